"""Step 04's own rules for URLs that the static files' /<path:filename> would answer."""

import pytest

from answers import expect_status, said
from sections import ROUTES
from support import USERNAME, accounts_and_logins

pytestmark = [pytest.mark.steps(4, 5), pytest.mark.hardening]


@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "logged-in"])
def test_index_html_is_not_sent_as_a_file(client, db, auth, user, logged_in):
    if logged_in:
        auth.login()
    before = accounts_and_logins(db)
    response = client.get("/index.html")
    assert response.status_code == 404, (
        f"GET /index.html should be a 404: index.html is the template of /, and the static files"
        f" would send its Jinja source without a login; it answered {said(response)} ({ROUTES})"
    )
    assert "{{" not in response.get_data(as_text=True), f"no Jinja source is sent ({ROUTES})"
    assert accounts_and_logins(db) == before, f"GET /index.html changes nothing ({ROUTES})"


def test_get_logout_is_405_and_logs_nobody_out(client, db, auth, user):
    auth.login()
    before = accounts_and_logins(db)
    response = client.get("/logout")
    assert response.status_code == 405, (
        f"GET /logout should be a 405 (only the form's POST logs out), not the static files'"
        f" 404; it answered {said(response)} ({ROUTES})"
    )
    assert response.headers.get("Allow") == "POST", (
        f"GET /logout's 405 says Allow: POST; it says {response.headers.get('Allow')} ({ROUTES})"
    )
    assert accounts_and_logins(db) == before, f"GET /logout ends no login ({ROUTES})"
    assert auth.logged_in_as() == USERNAME, f"GET /logout leaves the user logged in ({ROUTES})"


def test_static_files_are_still_served(client):
    # A file response is streamed: close it, or the file stays open.
    with client.get("/app.js") as response:
        expect_status(response, 200, "GET /app.js, Brunch's build", ROUTES)
