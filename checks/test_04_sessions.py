"""Step 04's sessions: who is logged in, in a signed cookie, and the settings around it."""

import pytest

from harness.answers import assert_tells_only_that_the_database_is_down, said
from harness.apps import USERNAME, login_over_a_planted_session
from harness.sections import ACCOUNTS, COOKIES, PASSWORDS, UNREACHABLE

pytestmark = pytest.mark.steps(4, 8)


def session_cookie_flags(response, app):
    """The attributes of the session cookie the response sets (HttpOnly, SameSite=Lax, ...)."""
    name = app.config["SESSION_COOKIE_NAME"]
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, (
        f"registering should set the session cookie once; it answered {said(response)} ({COOKIES})"
    )
    return {part.strip() for part in headers[0].split(";")[1:]}


def test_bcrypt_cost_defaults_to_12(default_app):
    assert default_app.config.get("BCRYPT_ROUNDS") == 12, (
        f"BCRYPT_ROUNDS defaults to bcrypt's own cost, 12 ({PASSWORDS})"
    )


def test_session_cookie_defaults(default_app):
    assert default_app.config["SESSION_COOKIE_SAMESITE"] == "Lax", (
        f"SESSION_COOKIE_SAMESITE is Lax: other sites' forms do not carry the cookie ({COOKIES})"
    )
    assert default_app.config["SESSION_COOKIE_HTTPONLY"] is True, (
        f"SESSION_COOKIE_HTTPONLY is True: scripts cannot read the cookie ({COOKIES})"
    )


def test_secret_key_is_random_unless_the_environment_sets_it(make_app, monkeypatch):
    first, second = make_app(), make_app()
    assert first.config["SECRET_KEY"], (
        f"a SECRET_KEY even without one in the environment ({COOKIES})"
    )
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"], (
        f"a SECRET_KEY generated at each start, not written in the code ({COOKIES})"
    )
    monkeypatch.setenv("SECRET_KEY", "a-secret-key-from-the-environment")
    assert make_app().config["SECRET_KEY"] == "a-secret-key-from-the-environment", (
        f"SECRET_KEY comes from the environment when it is set there ({COOKIES})"
    )


def test_session_cookie_is_httponly_and_samesite_lax(make_app, auth_actions):
    app = make_app()
    flags = session_cookie_flags(auth_actions(app).register(), app)
    assert {"HttpOnly", "SameSite=Lax"} <= flags, (
        f"the session cookie is HttpOnly and SameSite=Lax, not {sorted(flags)} ({COOKIES})"
    )


def test_login_starts_a_fresh_session(app, auth, user):
    login_over_a_planted_session(app, auth, ACCOUNTS)
    with auth.client.session_transaction() as after_login:
        assert "planted" not in after_login, (
            "a value put in the session before the login is gone after it: session.clear()"
            f" before the login goes in, so nobody can prepare a session for another ({ACCOUNTS})"
        )
    assert auth.logged_in_as() == USERNAME, f"the login worked ({ACCOUNTS})"


@pytest.mark.hardening
def test_login_with_an_unreachable_database_is_a_clear_503(unreachable_app, auth_actions):
    response = auth_actions(unreachable_app).login()
    assert response.status_code == 503, (
        "POST /login with the database down should answer 503, not a 500; it answered"
        f" {said(response)} ({UNREACHABLE})"
    )
    assert_tells_only_that_the_database_is_down(
        response.get_data(as_text=True), "POST /login with the database down"
    )
