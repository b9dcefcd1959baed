"""Headers that tell the browser what it must not do with the answers of this app."""

from flask import g, request

# Pages load scripts, styles and images from this site only (the favicon is a data: URL), run
# no inline script and no eval, post forms only here, and no other site may show them in a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; img-src 'self' data:;"
    " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def add_security_headers(response):
    """Add nosniff to every answer, the policy to pages, no-store to what shows a user."""
    # The browser must believe the Content-Type: JSON that holds <script> is never run as a page.
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # A user's items, and every page made for a logged-in user (g.user, set by the login
    # decorators), stay out of shared caches and of the browser's cache on disk.
    if request.path.startswith("/api/") or g.get("user"):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    """Add the headers to every response, error pages included."""
    app.after_request(add_security_headers)
