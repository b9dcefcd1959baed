"""Step 06 with MongoDB down: what needs no database answers at once, logout still logs out."""

import pytest

from answers import said, step_code
from sections import DATABASE_DOWN

pytestmark = [pytest.mark.steps(6, 6), pytest.mark.hardening]

# What a logged-in browser asks for that needs no database: Brunch's files and the forms.
NO_DATABASE_NEEDED = ["/app.js", "/vendor.js", "/app.css", "/login", "/register"]


@pytest.fixture
def logged_in_client(unreachable_app):
    """A client of the app whose MongoDB is down, with a session cookie holding a login token."""
    client = unreachable_app.test_client()
    # Flask opens a session only with a SECRET_KEY to sign it, which create_app sets.
    with (
        step_code("a session cookie for the app", DATABASE_DOWN),
        client.session_transaction() as session,
    ):
        session["login"] = "a-token-the-database-would-be-asked-about"
    return client


def test_static_files_and_forms_need_no_database(logged_in_client):
    for path in NO_DATABASE_NEEDED:
        # A file response is streamed: close it, or the file stays open.
        with logged_in_client.get(path) as response:
            # Every question to the database fails here, after MONGO_TIMEOUT_MS, with a 503: a
            # 200 says that nobody asked it who is logged in.
            assert response.status_code == 200, (
                f"GET {path} with a session cookie and the database down should answer 200 at"
                f" once: only the views that need the user may ask MongoDB who it is, not a"
                f" before_app_request function. It answered {said(response)} ({DATABASE_DOWN})"
            )


def test_logout_clears_the_cookie_even_with_the_database_down(unreachable_app, logged_in_client):
    response = logged_in_client.post("/logout")
    assert response.status_code == 503, (
        f"POST /logout with the database down says that the login could not be ended on the"
        f" server, with a 503; it answered {said(response)} ({DATABASE_DOWN})"
    )
    name = unreachable_app.config["SESSION_COOKIE_NAME"]
    assert logged_in_client.get_cookie(name) is None, (
        f"POST /logout clears the session cookie even when the database is down: the session is"
        f" cleared before the login is deleted ({DATABASE_DOWN})"
    )
