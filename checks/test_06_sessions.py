"""Step 06's logins: a token per login in the session, its document in MongoDB, and its end."""

from datetime import UTC, datetime, timedelta

import pytest

from harness.answers import redirect_target
from harness.apps import PASSWORD, USERNAME, WRONG_PASSWORD, login_over_a_planted_session, setting
from harness.sections import LOGIN_LIFETIME, LOGOUT

pytestmark = [pytest.mark.steps(6, 8), pytest.mark.hardening]

# Forms that are refused, or logins that fail: none of them stores a login.
REFUSED_FORMS = [
    pytest.param("/login", USERNAME, WRONG_PASSWORD, id="wrong-password"),
    pytest.param("/login", "ghost", PASSWORD, id="unknown-user"),
    pytest.param("/login", USERNAME, "x" * 73, id="password-over-72-bytes"),
    pytest.param("/login", USERNAME, "é" * 37, id="accented-password-over-72-bytes"),
    pytest.param("/register", "ab", PASSWORD, id="bad-username"),
    pytest.param("/register", "newcomer", "1234567", id="bad-password"),
    pytest.param("/register", USERNAME, PASSWORD, id="username-taken"),
    pytest.param("/register", USERNAME.upper(), PASSWORD, id="taken-in-capitals"),
]


def test_logins_last_30_days_by_default(default_app):
    assert default_app.config.get("LOGIN_LIFETIME_SECONDS") == 30 * 24 * 60 * 60, (
        f"LOGIN_LIFETIME_SECONDS defaults to 30 days, 2592000 seconds ({LOGIN_LIFETIME})"
    )


def stored_login(db):
    """The one login the database holds, or fail saying there is none."""
    logins = list(db.logins.find())
    assert len(logins) == 1, (
        f"a login stores one document in the logins collection, not {len(logins)} ({LOGOUT})"
    )
    return logins[0]


def test_login_stores_a_login_token_in_a_fresh_session(app, auth, db, user):
    login_over_a_planted_session(app, auth, LOGOUT)
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


def test_register_stores_a_login_token_too(auth, db):
    redirect_target(auth.register(), "POST /register", LOGOUT)
    login = stored_login(db)
    assert login.get("username") == USERNAME, f"registering logs in with a token too ({LOGOUT})"


@pytest.mark.pitfall("pitfall_expiry_left_to_ttl")
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


def test_logout_deletes_the_login(auth, db, logged_in_user):
    redirect_target(auth.logout(), "POST /logout", LOGOUT)
    assert db.logins.count_documents({}) == 0, (
        f"logout deletes the login's token from the database ({LOGOUT})"
    )


def test_logout_ends_only_this_login(app, auth, auth_actions, db, logged_in_user):
    other_device = auth_actions(app)
    redirect_target(other_device.login(), "POST /login on another device", LOGOUT)
    redirect_target(auth.logout(), "POST /logout", LOGOUT)
    assert db.logins.count_documents({}) == 1, f"logout deletes this login's token only ({LOGOUT})"
    assert other_device.logged_in_as() == USERNAME, f"the other device stays logged in ({LOGOUT})"


@pytest.mark.pitfall("pitfall_cookie_only_logout")
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


@pytest.mark.parametrize(("path", "username", "password"), REFUSED_FORMS)
def test_a_refused_form_or_failed_login_stores_no_login(client, db, user, path, username, password):
    response = client.post(path, data={"username": username, "password": password})
    assert response.status_code in {400, 401, 409}, (
        f"POST {path} as {username!r} is refused, not answered {response.status_code} ({LOGOUT})"
    )
    assert db.logins.count_documents({}) == 0, (
        f"a refused form or a failed login stores no login in the logins collection ({LOGOUT})"
    )
