"""Step 04's sessions: a login token per login in a signed cookie, and the settings around it."""

import logging
from datetime import datetime

import bcrypt
import pytest

from support import USERNAME, AuthActions, redirect_target

pytestmark = pytest.mark.steps(4, 5)

LOGOUT = "WORKSHOP.md, Step 04 · A session that logout really ends"
PASSWORDS = "WORKSHOP.md, Step 04 · Passwords with bcrypt 5"


def session_cookie_flags(response, app):
    """The attributes of the session cookie the response sets (HttpOnly, SameSite=Lax, ...)."""
    name = app.config["SESSION_COOKIE_NAME"]
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    return {part.strip() for part in header.split(";")[1:]}


def test_production_defaults(step_app_module, mongo_client, monkeypatch):
    # Hashing at the default cost 12 takes 0.2 s each time: salts of cost 4 keep this check fast.
    real_gensalt = bcrypt.gensalt
    monkeypatch.setattr(bcrypt, "gensalt", lambda rounds=12, prefix=b"2b": real_gensalt(4, prefix))
    # Only a database client: every other setting is the step's own default.
    app = step_app_module.create_app({"MONGO_CLIENT": mongo_client})
    assert app.config["BCRYPT_ROUNDS"] == 12, f"bcrypt's own default cost, 12 ({PASSWORDS})"
    assert app.config["LOGIN_MAX_FAILURES"] == 5, "five failed logins per name and address"
    assert app.config["LOGIN_WINDOW_SECONDS"] == 900, "per 15 minutes"
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax", (
        "other sites' forms do not carry the cookie"
    )
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True, "scripts cannot read the cookie"


def test_secret_key_is_generated_with_a_warning_without_the_environment(make_app, caplog):
    first, second = make_app(), make_app()
    assert first.config["SECRET_KEY"], "a SECRET_KEY even without one in the environment"
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"], "generated, not hard-coded"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("SECRET_KEY" in message for message in warnings), (
        "the log warns that SECRET_KEY is not set"
    )


@pytest.mark.parametrize(
    ("secret_key", "secure"),
    [
        pytest.param(None, False, id="local-http-no-secret-key"),
        pytest.param("a-secret-key-from-the-environment", True, id="secret-key-from-environment"),
    ],
)
def test_session_cookie_is_httponly_samesite_lax_and_secure_in_production(
    make_app, monkeypatch, secret_key, secure
):
    if secret_key is not None:
        monkeypatch.setenv("SECRET_KEY", secret_key)
    app = make_app()
    if secret_key is not None:
        assert app.config["SECRET_KEY"] == secret_key, "SECRET_KEY comes from the environment"
    assert app.config["SESSION_COOKIE_SECURE"] is secure, (
        "a SECRET_KEY in the environment means production: Secure cookies, sent over HTTPS only;"
        " local http://: no Secure cookie"
    )
    auth = AuthActions(app)
    flags = session_cookie_flags(auth.register(), app)
    assert {"HttpOnly", "SameSite=Lax"} <= flags, (
        "scripts cannot read it; other sites' posts lack it"
    )
    assert ("Secure" in flags) is secure, "Secure with a SECRET_KEY from the environment only"


def test_login_stores_a_login_token_in_a_fresh_session(auth, db, user):
    with auth.client.session_transaction() as before_login:
        before_login["planted"] = "by someone else"
    response = auth.login()
    assert redirect_target(response) == ("/", {}), "logging in goes to the list"
    (login,) = db.logins.find()
    assert isinstance(login["_id"], str), f"the login's _id is a random token ({LOGOUT})"
    assert len(login["_id"]) >= 20, "a token long enough not to be guessed"
    assert login["user_id"] == user["_id"], "the login names its user"
    assert login["username"] == USERNAME, "and the username, for /api/me"
    assert isinstance(login["created_at"], datetime), "and when it was made"
    with auth.client.session_transaction() as after_login:
        assert after_login["login"] == login["_id"], "the session holds the token, nothing else"
        assert "planted" not in after_login, "session.clear() before logging in"
    assert auth.logged_in_as() == USERNAME, "the login worked"


def test_logout_ends_only_this_login(app, auth, db, logged_in_user):
    other_device = AuthActions(app)
    assert other_device.login().status_code == 302, "arrange: the other device logs in"
    auth.logout()
    assert db.logins.count_documents({}) == 1, "logout deletes this login's token only"
    assert other_device.logged_in_as() == USERNAME, "the other device stays logged in"


def test_a_cookie_copied_before_logout_stops_working(app, auth, logged_in_user):
    name = app.config["SESSION_COOKIE_NAME"]
    copy = AuthActions(app)
    copy.client.set_cookie(name, auth.client.get_cookie(name).value)
    assert copy.logged_in_as() == USERNAME, "arrange: the copy works while logged in"
    auth.logout()
    assert copy.logged_in_as() is None, (
        f"step 04 needs logins that logout really ends, not only a signed cookie ({LOGOUT})"
    )


def test_login_with_an_unreachable_database_is_a_clear_503(unreachable_app):
    response = AuthActions(unreachable_app).login()
    assert response.status_code == 503, "a database that does not answer is a 503, not a 500"
    message = response.get_data(as_text=True)
    assert "unreachable" in message, "the message says the database does not answer"
    assert "s3cret" not in message, "the password in MONGO_URI stays secret"
