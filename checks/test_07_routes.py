"""Step 07's own rules for URLs that the static files' /<path:filename> would answer."""

import pytest

from harness.answers import expect_status, said
from harness.apps import USERNAME, accounts_and_logins
from harness.sections import ROUTES

pytestmark = [pytest.mark.steps(7, 8), pytest.mark.hardening]

# Every spelling that the static files' /<path:filename> turns into index.html. The last is what
# a server makes of /app.js/..%2findex.html: it decodes %2f into a slash before Flask sees it.
INDEX_SPELLINGS = [
    "/index.html",
    "/index.html/",
    "/./index.html",
    "/x/../index.html",
    "/app.js/../index.html",
]


def get_changing_nothing(client, db, path, status, why):
    """GET path, which should answer status for the reason why and change nothing; return it."""
    before = accounts_and_logins(db)
    # PATH_INFO as a server hands it over, "." and ".." left in (curl --path-as-is sends them).
    # A file response (the static files' answer to /index.html) is streamed: read it, close it.
    with client.get(path, environ_overrides={"PATH_INFO": path}) as response:
        response.get_data()
    assert response.status_code == status, (
        f"GET {path} should be a {status}: {why}; it answered {said(response)} ({ROUTES})"
    )
    assert accounts_and_logins(db) == before, f"GET {path} changes nothing ({ROUTES})"
    return response


@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "logged-in"])
@pytest.mark.parametrize("path", INDEX_SPELLINGS)
def test_index_html_is_not_sent_as_a_file(client, db, auth, user, logged_in, path):
    if logged_in:
        auth.login()
    why = "index.html is the template of /, and the static files would send its Jinja source"
    response = get_changing_nothing(client, db, path, 404, f"{why} without a login")
    assert "{{" not in response.get_data(as_text=True), f"no Jinja source is sent ({ROUTES})"


def test_get_logout_is_405_and_logs_nobody_out(client, db, auth, user):
    auth.login()
    why = "only the form's POST logs out, and the answer says so, not the static files' 404"
    response = get_changing_nothing(client, db, "/logout", 405, why)
    assert response.headers.get("Allow") == "POST", (
        f"GET /logout's 405 says Allow: POST; it says {response.headers.get('Allow')} ({ROUTES})"
    )
    assert auth.logged_in_as() == USERNAME, f"GET /logout leaves the user logged in ({ROUTES})"


def test_static_files_are_still_served(client):
    # A file response is streamed: close it, or the file stays open.
    with client.get("/app.js") as response:
        expect_status(response, 200, "GET /app.js, Brunch's build", ROUTES)
