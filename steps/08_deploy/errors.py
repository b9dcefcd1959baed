"""API errors as JSON: one helper builds every error body, and the handlers that use it."""

from flask import current_app, request
from pymongo.errors import ConnectionFailure, ExecutionTimeout
from werkzeug.exceptions import HTTPException


def error_response(status, message, fields=None, headers=None):
    """Return a JSON error: {"error": message}, and "fields" naming what is wrong."""
    body = {"error": message}
    if fields:
        body["fields"] = fields
    # Through the app's JSON provider, as jsonify() does: every error body is spelled alike.
    response = current_app.json.response(body)
    response.status_code = status
    response.headers.extend(headers or {})
    return response


def http_error(error):
    """Answer errors under /api/ as JSON, keeping their status and headers (such as Allow)."""
    if not request.path.startswith("/api/"):
        return error
    # Every header of the error (Allow, Retry-After) but the Content-Type of its HTML page.
    headers = [(name, value) for name, value in error.get_headers() if name != "Content-Type"]
    return error_response(error.code, error.description, headers=headers)


# What a client is told when MongoDB does not answer: nothing of where the database is.
DATABASE_DOWN = "The database does not answer. Try again later."
# What pymongo raises when MongoDB does not answer: a ConnectionFailure when it is down or a
# socket read runs out of time (NetworkTimeout), an ExecutionTimeout when timeoutMS has run
# out before a command could even be sent.
NO_ANSWER = (ConnectionFailure, ExecutionTimeout)


def database_address(uri):
    """Return the scheme and hosts of a MongoDB URI: no user, password, database or options."""
    scheme, _, rest = (uri or "").partition("://")
    # As pymongo reads a URI: the hosts end at the first "/" (or, without one, at the "?" of the
    # options), after the last "@" before that.
    hosts, slash, _ = rest.partition("/")
    if not slash:
        hosts = hosts.partition("?")[0]
    return f"{scheme}://{hosts.rpartition('@')[2]}"


def unreachable_message(uri):
    """Say, in one line for the log or the terminal, that the database at uri does not answer."""
    # Only scheme, host and port: the URI's credentials and options (tokens) stay secret.
    return (
        f"The database at {database_address(uri)} is unreachable. "
        "Start it, or unset MONGO_URI to use the embedded database."
    )


def database_unreachable(error):
    """Answer 503 with one clear line, not a traceback, when MongoDB does not answer."""
    # The operator's log says where; anyone may read the answer.
    current_app.logger.error(unreachable_message(current_app.config["MONGO_URI"]))
    if request.path.startswith("/api/"):
        return error_response(503, DATABASE_DOWN)
    return DATABASE_DOWN, 503, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app):
    """Answer HTTP errors under /api/ as JSON, and an unreachable database with a 503."""
    app.register_error_handler(HTTPException, http_error)
    for error in NO_ANSWER:
        app.register_error_handler(error, database_unreachable)
