"""Refuse request bodies over MAX_CONTENT_LENGTH, chunked ones included."""

from flask import abort, request


def refuse_long_chunked_bodies():
    """Answer 413 to a chunked body longer than MAX_CONTENT_LENGTH, which Werkzeug would cut."""
    # A body with a Content-Length over the limit is refused by Werkzeug itself. A chunked body
    # (Transfer-Encoding: chunked) has none: Werkzeug reads it up to the limit and quietly stops
    # there, so a view would store its first MiB as if it were all. Read that much, then look
    # for one byte more.
    limit = request.max_content_length
    if limit is None or request.content_length is not None:
        return
    # Set by servers that end the stream themselves (chunked bodies): only then is it safe to
    # read a body of unknown length, and only then does Werkzeug read one at all.
    if not request.environ.get("wsgi.input_terminated"):
        return
    request.get_data()
    if request.environ["wsgi.input"].read(1):
        abort(413)


def init_app(app):
    """Check every request's body before its view runs."""
    app.before_request(refuse_long_chunked_bodies)
