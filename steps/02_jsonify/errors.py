"""API errors as JSON: one helper builds every error body, and the handlers that use it."""

import re

from flask import current_app, request
from pymongo.errors import ConnectionFailure
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


def unreachable_message(uri):
    """Say, in one line, that the database at uri does not answer and what to do about it."""
    # Credentials in the URI (user:password@) stay out of logs and responses.
    where = re.sub(r"//[^/@]*@", "//", uri or "")
    return (
        f"The database at {where} is unreachable. "
        "Start it, or unset MONGO_URI to use the embedded database."
    )


def database_unreachable(error):
    """Answer 503 with one clear line, not a traceback, when MongoDB does not answer."""
    message = unreachable_message(current_app.config["MONGO_URI"])
    current_app.logger.error(message)
    if request.path.startswith("/api/"):
        return error_response(503, message)
    return message, 503, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app):
    """Answer HTTP errors under /api/ as JSON, and an unreachable database with a 503."""
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(ConnectionFailure, database_unreachable)
