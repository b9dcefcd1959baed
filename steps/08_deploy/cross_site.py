"""Refuse state-changing requests that a browser marks as coming from another site."""

# A form or script on another site can make the browser send a POST with the user's cookie
# (cross-site request forgery). Browsers say where a request comes from: `Sec-Fetch-Site`
# (all current browsers) and `Origin` (sent with every POST, PUT, PATCH and DELETE). A request
# that a browser marks as foreign is refused; a same-origin page, jQuery's XHR with its default
# headers, and clients that send neither header (curl, scripts) go through unchanged, so no
# token is needed. SameSite=Lax cookies add a second, independent layer.

from flask import abort, current_app, request

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# "none" is a request the user started (typed address, bookmark), not another site's page.
TRUSTED_FETCH_SITES = {"same-origin", "none"}


def comes_from_another_site():
    """Tell whether the browser says that this request was sent by another site's page."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in TRUSTED_FETCH_SITES:
        return True
    origin = request.headers.get("Origin")
    # The request's own host is ours only if it is one of TRUSTED_HOSTS (Flask answers 400 to
    # any other): without that list it is whatever the client wrote in its Host header.
    own_origin = request.host_url.rstrip("/") if current_app.config["TRUSTED_HOSTS"] else None
    return origin is not None and origin != own_origin


def refuse_cross_site_writes():
    """Answer 403 to a state-changing request that comes from another site."""
    if request.method in STATE_CHANGING and comes_from_another_site():
        abort(403, "Cross-site requests cannot change anything here.")


def init_app(app):
    """Check every request before its view runs."""
    app.before_request(refuse_cross_site_writes)
