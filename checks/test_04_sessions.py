"""Step 04's sessions: a login token per login in a signed cookie, and the settings around it."""

import logging
from datetime import UTC, datetime, timedelta

import bcrypt
import pytest

from answers import (
    assert_tells_only_that_the_database_is_down,
    redirect_target,
    said,
    step_code,
)
from sections import COOKIES, LOGIN_LIFETIME, LOGOUT, PASSWORDS, THROTTLE, UNREACHABLE
from support import USERNAME, assert_refuses_to_start, setting

pytestmark = pytest.mark.steps(4, 6)


def session_cookie_flags(response, app):
    """The attributes of the session cookie the response sets (HttpOnly, SameSite=Lax, ...)."""
    name = app.config["SESSION_COOKIE_NAME"]
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, (
        f"registering should set the session cookie once; it answered {said(response)} ({COOKIES})"
    )
    return {part.strip() for part in headers[0].split(";")[1:]}


@pytest.fixture
def default_app(step_app_module, mongo_client, monkeypatch):
    """The step's app with only a database client given: every other setting is its own."""
    # Hashing at the default cost 12 takes 0.2 s each time: salts of cost 4 keep this check fast.
    real_gensalt = bcrypt.gensalt
    monkeypatch.setattr(bcrypt, "gensalt", lambda rounds=12, prefix=b"2b": real_gensalt(4, prefix))
    with step_code("create_app({'MONGO_CLIENT': a client})", PASSWORDS):
        return step_app_module.create_app({"MONGO_CLIENT": mongo_client})


def test_bcrypt_cost_defaults_to_12(default_app):
    assert default_app.config.get("BCRYPT_ROUNDS") == 12, (
        f"BCRYPT_ROUNDS defaults to bcrypt's own cost, 12 ({PASSWORDS})"
    )


@pytest.mark.hardening
def test_throttle_defaults_to_five_failures_per_15_minutes(default_app):
    config = default_app.config
    assert config.get("LOGIN_MAX_FAILURES") == 5, (
        f"LOGIN_MAX_FAILURES defaults to 5 failed logins per name and address ({THROTTLE})"
    )
    assert config.get("LOGIN_WINDOW_SECONDS") == 900, (
        f"LOGIN_WINDOW_SECONDS defaults to 15 minutes, 900 ({THROTTLE})"
    )


@pytest.mark.hardening
def test_logins_last_30_days_by_default(default_app):
    assert default_app.config.get("LOGIN_LIFETIME_SECONDS") == 30 * 24 * 60 * 60, (
        f"LOGIN_LIFETIME_SECONDS defaults to 30 days, 2592000 seconds ({LOGIN_LIFETIME})"
    )


@pytest.mark.hardening
def test_session_cookie_defaults(default_app):
    assert default_app.config["SESSION_COOKIE_SAMESITE"] == "Lax", (
        f"SESSION_COOKIE_SAMESITE is Lax: other sites' forms do not carry the cookie ({COOKIES})"
    )
    assert default_app.config["SESSION_COOKIE_HTTPONLY"] is True, (
        f"SESSION_COOKIE_HTTPONLY is True: scripts cannot read the cookie ({COOKIES})"
    )


@pytest.mark.hardening
def test_secret_key_is_generated_with_a_warning_without_the_environment(make_app, caplog):
    first, second = make_app(), make_app()
    assert first.config["SECRET_KEY"], (
        f"a SECRET_KEY even without one in the environment ({COOKIES})"
    )
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"], (
        f"a SECRET_KEY generated at each start, not written in the code ({COOKIES})"
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("SECRET_KEY" in message for message in warnings), (
        f"the log warns that SECRET_KEY is not set ({COOKIES})"
    )


@pytest.mark.hardening
@pytest.mark.parametrize(
    ("secret_key", "secure"),
    [
        pytest.param(None, False, id="local-http-no-secret-key"),
        pytest.param("a-secret-key-from-the-environment", True, id="secret-key-from-environment"),
    ],
)
def test_session_cookie_is_httponly_samesite_lax_and_secure_in_production(
    make_app, auth_actions, monkeypatch, secret_key, secure
):
    if secret_key is not None:
        monkeypatch.setenv("SECRET_KEY", secret_key)
    app = make_app()
    if secret_key is not None:
        assert app.config["SECRET_KEY"] == secret_key, (
            f"SECRET_KEY comes from the environment ({COOKIES})"
        )
    assert app.config["SESSION_COOKIE_SECURE"] is secure, (
        "a SECRET_KEY in the environment means production: Secure cookies, sent over HTTPS only;"
        f" local http://: no Secure cookie ({COOKIES})"
    )
    auth = auth_actions(app)
    flags = session_cookie_flags(auth.register(), app)
    assert {"HttpOnly", "SameSite=Lax"} <= flags, (
        f"the session cookie is HttpOnly and SameSite=Lax, not {sorted(flags)} ({COOKIES})"
    )
    assert ("Secure" in flags) is secure, (
        f"the cookie is Secure with a SECRET_KEY from the environment only ({COOKIES})"
    )


def stored_login(db):
    """The one login the database holds, or fail saying there is none."""
    logins = list(db.logins.find())
    assert len(logins) == 1, (
        f"a login stores one document in the logins collection, not {len(logins)} ({LOGOUT})"
    )
    return logins[0]


@pytest.mark.hardening
def test_login_stores_a_login_token_in_a_fresh_session(app, auth, db, user):
    assert app.config.get("SECRET_KEY"), (
        f"create_app should set SECRET_KEY, which signs the session cookie ({COOKIES})"
    )
    with auth.client.session_transaction() as before_login:
        before_login["planted"] = "by someone else"
    response = auth.login()
    assert redirect_target(response, "POST /login", LOGOUT) == ("/", {}), (
        f"logging in goes to the list ({LOGOUT})"
    )
    login = stored_login(db)
    assert isinstance(login["_id"], str), f"the login's _id is a random token ({LOGOUT})"
    assert len(login["_id"]) >= 20, f"a token long enough not to be guessed ({LOGOUT})"
    assert login.get("user_id") == user["_id"], f"the login names its user, user_id ({LOGOUT})"
    assert login.get("username") == USERNAME, f"and the username, for /api/me ({LOGOUT})"
    assert isinstance(login.get("created_at"), datetime), (
        f"and when it was made, created_at ({LOGOUT})"
    )
    with auth.client.session_transaction() as after_login:
        assert list(after_login.values()) == [login["_id"]], (
            "the session holds the token, nothing else: session.clear() before logging in"
            f" ({LOGOUT})"
        )
    assert auth.logged_in_as() == USERNAME, f"the login worked ({LOGOUT})"


@pytest.mark.hardening
def test_register_stores_a_login_token_too(auth, db):
    redirect_target(auth.register(), "POST /register", LOGOUT)
    login = stored_login(db)
    assert login.get("username") == USERNAME, f"registering logs in with a token too ({LOGOUT})"


@pytest.mark.hardening
def test_a_login_ends_when_its_lifetime_does(app, auth, db, user):
    lifetime = setting(app, "LOGIN_LIFETIME_SECONDS", LOGIN_LIFETIME)
    redirect_target(auth.login(), "POST /login", LOGIN_LIFETIME)
    login = stored_login(db)
    expires_at = login.get("expires_at")
    assert isinstance(expires_at, datetime), (
        f"a login has an expires_at datetime, when it ends; a TTL index deletes it then"
        f" ({LOGIN_LIFETIME})"
    )
    lived = (expires_at - login["created_at"]).total_seconds()
    assert abs(lived - lifetime) < 1, (
        f"expires_at is created_at plus LOGIN_LIFETIME_SECONDS, not {lived} s later"
        f" ({LOGIN_LIFETIME})"
    )
    # As if MongoDB's TTL monitor had not come by yet: without its index, nothing deletes it.
    # One by one: mongomock's drop_indexes() leaves a TTL index at work.
    for name in db.logins.index_information():
        if name != "_id_":
            db.logins.drop_index(name)
    now = datetime.now(UTC)
    db.logins.update_one({"_id": login["_id"]}, {"$set": {"expires_at": now + timedelta(5)}})
    assert auth.logged_in_as() == USERNAME, (
        f"a login is good until its expires_at ({LOGIN_LIFETIME})"
    )
    db.logins.update_one({"_id": login["_id"]}, {"$set": {"expires_at": now}})
    assert auth.logged_in_as() is None, (
        "a login whose expires_at has passed is refused at once, even while its document is"
        " still there: MongoDB's TTL monitor deletes it up to a minute later, so"
        f" load_logged_in_user asks for expires_at after now ({LOGIN_LIFETIME})"
    )
    assert db.logins.count_documents({}) == 1, (
        f"the document was still there: the step's own query refused it ({LOGIN_LIFETIME})"
    )


@pytest.mark.hardening
def test_logout_deletes_the_login(auth, db, logged_in_user):
    redirect_target(auth.logout(), "POST /logout", LOGOUT)
    assert db.logins.count_documents({}) == 0, (
        f"logout deletes the login's token from the database ({LOGOUT})"
    )


@pytest.mark.hardening
def test_logout_ends_only_this_login(app, auth, auth_actions, db, logged_in_user):
    other_device = auth_actions(app)
    redirect_target(other_device.login(), "POST /login on another device", LOGOUT)
    redirect_target(auth.logout(), "POST /logout", LOGOUT)
    assert db.logins.count_documents({}) == 1, f"logout deletes this login's token only ({LOGOUT})"
    assert other_device.logged_in_as() == USERNAME, f"the other device stays logged in ({LOGOUT})"


@pytest.mark.hardening
def test_a_cookie_copied_before_logout_stops_working(app, auth, auth_actions, logged_in_user):
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = auth.client.get_cookie(name)
    assert cookie is not None, f"registering sets the session cookie, {name} ({LOGOUT})"
    copy = auth_actions(app)
    copy.client.set_cookie(name, cookie.value)
    assert copy.logged_in_as() == USERNAME, f"arrange: the copy works while logged in ({LOGOUT})"
    redirect_target(auth.logout(), "POST /logout", LOGOUT)
    assert copy.logged_in_as() is None, (
        "a copy of the session cookie taken before logout still logs in: logout must end the"
        f" login for good, not only clear the browser's cookie ({LOGOUT})"
    )


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


@pytest.mark.hardening
@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_a_real_server_without_secret_key_refuses_to_start(
    step_app_module, monkeypatch, capsys, secret_key
):
    # No test_config and no `flask` command: create_app is called as gunicorn would call it.
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    # An env file with a line `SECRET_KEY=` sets it to nothing: no key either.
    if secret_key is not None:
        monkeypatch.setenv("SECRET_KEY", secret_key)
    why = f"with SECRET_KEY {'empty' if secret_key == '' else 'unset'} and no `flask` command"
    words = ["SECRET_KEY is not set", "SECRET_KEY="]
    assert_refuses_to_start(step_app_module, capsys, why, words, COOKIES)


@pytest.mark.hardening
def test_a_real_server_without_mongo_uri_refuses_to_start(step_app_module, monkeypatch, capsys):
    # Each worker would have an embedded database of its own, with the public demo account.
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.setenv("SECRET_KEY", "a-key-from-the-environment")
    why = "with SECRET_KEY set, no MONGO_URI and no `flask` command"
    words = ["MONGO_URI is not set", "MONGO_URI="]
    assert_refuses_to_start(step_app_module, capsys, why, words, COOKIES)


@pytest.mark.hardening
def test_flask_run_without_secret_key_starts_with_a_warning(step_app_module, monkeypatch, caplog):
    # What `make run` does: the `flask` command sets FLASK_RUN_FROM_CLI for the app it loads.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    real_gensalt = bcrypt.gensalt
    monkeypatch.setattr(bcrypt, "gensalt", lambda rounds=12, prefix=b"2b": real_gensalt(4, prefix))
    with caplog.at_level(logging.WARNING), step_code("create_app() under `flask run`", COOKIES):
        app = step_app_module.create_app()
    assert app.config["SECRET_KEY"], f"`flask run` gets a random key ({COOKIES})"
    assert "SECRET_KEY is not set" in caplog.text, (
        f"`flask run` without SECRET_KEY warns that the key is random ({COOKIES})"
    )
