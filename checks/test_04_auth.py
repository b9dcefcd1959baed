"""Step 04: session login with bcrypt, per-login tokens, a login throttle and a cross-site guard."""

import logging
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import bcrypt
import pytest
from flask import Flask, redirect, request, session, url_for
from markupsafe import escape
from pymongo.errors import DuplicateKeyError

from conftest import step_module

pytestmark = pytest.mark.steps(4, 5)

USERNAME = "learner"
PASSWORD = "correct horse battery"
WRONG_PASSWORD = "wrong horse battery"
UNKNOWN_USERNAME = "ghost"
WRONG_CREDENTIALS = "Wrong username or password."
STRANGER = {"REMOTE_ADDR": "10.0.0.9"}


class FakeClock:
    """A clock the check moves by hand, so the throttle's window passes without sleeping."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        """Move the clock forward."""
        self.now += seconds


@pytest.fixture(autouse=True)
def no_secret_key_in_environment(monkeypatch):
    """Each check decides itself whether SECRET_KEY comes from the environment."""
    monkeypatch.delenv("SECRET_KEY", raising=False)


@pytest.fixture
def app(make_app):
    """The step's app with cheap bcrypt hashes (cost 4), so the checks stay fast."""
    return make_app(BCRYPT_ROUNDS=4)


@pytest.fixture
def passwords(step_dir):
    """The step's passwords module."""
    return step_module(step_dir, "passwords")


@pytest.fixture
def auth_module(step_dir):
    """The step's auth module (the auth fixture is the conftest's AuthActions)."""
    return step_module(step_dir, "auth")


@pytest.fixture
def user(app, db, passwords):
    """The learner's account, stored straight in the database; the client is not logged in."""
    password_hash = passwords.hash_password(PASSWORD, app.config["BCRYPT_ROUNDS"])
    db.users.insert_one({"username": USERNAME, "password_hash": password_hash})
    return db.users.find_one({"username": USERNAME})


@pytest.fixture
def logged_in_client(client, user):
    """The test client, logged in as the learner with the login form."""
    response = log_in(client)
    assert response.status_code == 302, "arrange: the login form should log the learner in"
    return client


@pytest.fixture
def clock(app):
    """A fake clock put into the app's login throttle."""
    fake_clock = FakeClock()
    app.extensions["login_throttle"].clock = fake_clock
    return fake_clock


def log_in(client, username=USERNAME, password=PASSWORD, next_path=None, **request_options):
    """Post the login form (with next if given); request_options go to client.post."""
    data = {"username": username, "password": password}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data, **request_options)


def fail_logins(client, times, username=USERNAME, **request_options):
    """Post a wrong password several times, each an ordinary failed login."""
    for _ in range(times):
        response = log_in(client, username, WRONG_PASSWORD, **request_options)
        assert response.status_code == 401, "arrange: a wrong password is a 401"


def current_username(client):
    """Who the client is logged in as according to /api/me, None if nobody."""
    response = client.get("/api/me")
    if response.status_code == 401:
        return None
    assert response.status_code == 200
    return response.get_json()["username"]


def saved_state(db):
    """Every account and every login in the database, to compare before and after a request."""
    return {"users": list(db.users.find()), "logins": list(db.logins.find())}


def redirect_target(response):
    """The path and query parameters a redirect points to."""
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    return location.path, parse_qs(location.query)


def session_cookie_flags(response, app):
    """The attributes of the session cookie the response sets (HttpOnly, SameSite=Lax, ...)."""
    name = app.config["SESSION_COOKIE_NAME"]
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    return {part.strip() for part in header.split(";")[1:]}


# --- passwords.py -------------------------------------------------------------------------------


def test_password_limits(passwords):
    assert passwords.MIN_PASSWORD_LENGTH == 8
    assert passwords.MAX_PASSWORD_BYTES == 72


@pytest.mark.parametrize(
    ("password", "acceptable"),
    [
        pytest.param("", False, id="empty"),
        pytest.param("1234567", False, id="seven-characters"),
        pytest.param("12345678", True, id="eight-characters"),
        pytest.param("é" * 8, True, id="eight-accented-characters"),
        pytest.param("x" * 72, True, id="72-bytes"),
        pytest.param("é" * 36, True, id="36-accented-is-72-bytes"),
        pytest.param("x" * 73, False, id="73-bytes"),
        pytest.param("é" * 37, False, id="37-accented-is-74-bytes"),
    ],
)
def test_password_problem(passwords, password, acceptable):
    problem = passwords.password_problem(password)
    if acceptable:
        assert problem is None
    else:
        assert isinstance(problem, str)
        assert problem


def test_hash_password_makes_a_bcrypt_hash_of_the_given_cost(passwords):
    password_hash = passwords.hash_password(PASSWORD, 4)
    assert isinstance(password_hash, str)
    assert password_hash.startswith("$2b$04$")
    assert bcrypt.checkpw(PASSWORD.encode(), password_hash.encode())
    assert passwords.hash_password(PASSWORD, 4) != password_hash, "a fresh salt each time"


@pytest.mark.parametrize(
    ("password", "matches"),
    [
        pytest.param(PASSWORD, True, id="right-password"),
        pytest.param(WRONG_PASSWORD, False, id="wrong-password"),
        pytest.param("x" * 73, False, id="73-bytes"),
        pytest.param("é" * 37, False, id="37-accented-is-74-bytes"),
    ],
)
def test_check_password_answers_true_or_false(passwords, password, matches):
    # bcrypt 5 raises ValueError over 72 bytes: check_password must not let it out.
    assert passwords.check_password(password, passwords.hash_password(PASSWORD, 4)) is matches


# --- throttle.py --------------------------------------------------------------------------------


@pytest.fixture
def throttle(step_dir):
    """A throttle of 3 failures per 60 seconds on a fake clock."""
    return step_module(step_dir, "throttle").LoginThrottle(3, 60, clock=FakeClock())


def test_throttle_blocks_until_the_failures_leave_the_window(throttle):
    key = (USERNAME, "127.0.0.1")
    throttle.failed(key)
    throttle.failed(key)
    assert throttle.retry_after(key) == 0
    throttle.failed(key)
    assert throttle.retry_after(key) == 60
    throttle.clock.advance(58.6)
    wait = throttle.retry_after(key)
    assert wait > 0, "still inside the window"
    throttle.clock.advance(wait)
    assert throttle.retry_after(key) == 0, "waiting retry_after seconds is enough: round up"


def test_throttle_keeps_keys_apart_and_forgets_on_success(throttle):
    key, stranger_key = (USERNAME, "127.0.0.1"), (USERNAME, "10.0.0.9")
    for _ in range(3):
        throttle.failed(stranger_key)
    assert throttle.retry_after(stranger_key) > 0
    assert throttle.retry_after(key) == 0
    throttle.failed(key)
    throttle.failed(key)
    throttle.succeeded(key)
    throttle.failed(key)
    throttle.failed(key)
    assert throttle.retry_after(key) == 0


# --- configuration ------------------------------------------------------------------------------


def test_production_defaults(step_app_module, mongo_client, monkeypatch):
    # Hashing at the default cost 12 takes 0.2 s each time: salts of cost 4 keep this check fast.
    real_gensalt = bcrypt.gensalt
    monkeypatch.setattr(bcrypt, "gensalt", lambda rounds=12, prefix=b"2b": real_gensalt(4, prefix))
    # Only a database client: every other setting is the step's own default.
    app = step_app_module.create_app({"MONGO_CLIENT": mongo_client})
    assert app.config["BCRYPT_ROUNDS"] == 12
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    assert app.config["LOGIN_WINDOW_SECONDS"] == 900
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_secret_key_is_generated_with_a_warning_without_the_environment(make_app, caplog):
    first, second = make_app(BCRYPT_ROUNDS=4), make_app(BCRYPT_ROUNDS=4)
    assert first.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"], "generated, not hard-coded"
    assert first.config["SESSION_COOKIE_SECURE"] is False, "local http://: no Secure cookie"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("SECRET_KEY" in message for message in warnings)


def test_secret_key_from_the_environment_means_secure_cookies(make_app, user, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-secret-key-from-the-environment")
    app = make_app(BCRYPT_ROUNDS=4)
    assert app.config["SECRET_KEY"] == "a-secret-key-from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = log_in(app.test_client())
    assert "Secure" in session_cookie_flags(response, app)


def test_session_cookie_is_httponly_and_samesite_lax(app, client, user):
    flags = session_cookie_flags(log_in(client), app)
    assert "HttpOnly" in flags
    assert "SameSite=Lax" in flags
    assert "Secure" not in flags


def test_unique_index_on_username(db, user):
    with pytest.raises(DuplicateKeyError):
        db.users.insert_one({"username": USERNAME, "password_hash": "x"})


# --- register -----------------------------------------------------------------------------------


def test_register_form(client):
    response = client.get("/register")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'name="username"' in page
    assert 'name="password"' in page


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param("a-b", PASSWORD, id="3-character-name"),
        pytest.param("Dots.and_under" + "x" * 18, PASSWORD, id="32-character-name"),
        pytest.param(USERNAME, "12345678", id="8-character-password"),
        pytest.param(USERNAME, "é" * 36, id="72-byte-password"),
    ],
)
def test_register_stores_a_bcrypt_hash_and_logs_in(client, db, username, password):
    response = client.post("/register", data={"username": username, "password": password})
    assert redirect_target(response) == ("/", {})
    (stored,) = db.users.find()
    assert stored["username"] == username
    assert stored["password_hash"].startswith("$2b$04$"), "a bcrypt hash of BCRYPT_ROUNDS"
    assert password not in repr(stored), "never the plain password"
    assert bcrypt.checkpw(password.encode(), stored["password_hash"].encode())
    assert current_username(client) == username
    assert db.logins.count_documents({"username": username}) == 1


def assert_refused(response, status, client, db, before):
    """The response is the form again with the given status, and nothing changed."""
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert 'name="username"' in response.get_data(as_text=True), "the form again"
    assert saved_state(db) == before
    assert current_username(client) is None


@pytest.mark.parametrize(
    "username",
    [
        pytest.param("", id="empty"),
        pytest.param("ab", id="two-characters"),
        pytest.param("a" * 33, id="33-characters"),
        pytest.param("two words", id="space"),
        pytest.param("learner\n", id="trailing-newline"),
        pytest.param("ünïcode", id="non-ascii-letters"),
        pytest.param("$ne", id="operator"),
        pytest.param("<b>bold</b>", id="markup"),
    ],
)
def test_register_refuses_a_bad_username(client, db, username):
    before = saved_state(db)
    response = client.post("/register", data={"username": username, "password": PASSWORD})
    assert_refused(response, 400, client, db, before)
    assert "<b>" not in response.get_data(as_text=True), "what the form echoes is escaped"


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("", id="empty"),
        pytest.param("1234567", id="seven-characters"),
        pytest.param("x" * 73, id="73-bytes"),
        pytest.param("é" * 37, id="37-accented-is-74-bytes"),
    ],
)
def test_register_refuses_a_bad_password_saying_why(client, db, passwords, password):
    before = saved_state(db)
    response = client.post("/register", data={"username": USERNAME, "password": password})
    assert_refused(response, 400, client, db, before)
    message = escape(passwords.password_problem(password))
    assert message in response.get_data(as_text=True)


def test_register_refuses_a_taken_username(client, db, user):
    before = saved_state(db)
    response = client.post("/register", data={"username": USERNAME, "password": "another one"})
    assert_refused(response, 409, client, db, before)
    assert "That username is taken." in response.get_data(as_text=True)


# --- login --------------------------------------------------------------------------------------


def test_login_form_carries_next_in_a_hidden_field(client):
    response = client.get("/login?next=/items/3")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'name="username"' in page
    assert 'name="password"' in page
    assert 'name="next"' in page
    assert 'value="/items/3"' in page


def test_login_form_escapes_next(client):
    response = client.get("/login", query_string={"next": '/"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.get_data(as_text=True)


def test_login_stores_a_login_token_in_a_fresh_session(client, db, user):
    with client.session_transaction() as before_login:
        before_login["planted"] = "by someone else"
    response = log_in(client)
    assert redirect_target(response) == ("/", {})
    (login,) = db.logins.find()
    assert isinstance(login["_id"], str)
    assert len(login["_id"]) >= 20, "a token long enough not to be guessed"
    assert login["user_id"] == user["_id"]
    assert login["username"] == USERNAME
    assert isinstance(login["created_at"], datetime)
    with client.session_transaction() as after_login:
        assert after_login["login"] == login["_id"]
        assert "planted" not in after_login, "session.clear() before logging in"
    assert current_username(client) == USERNAME


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param(USERNAME, WRONG_PASSWORD, id="wrong-password"),
        pytest.param(UNKNOWN_USERNAME, PASSWORD, id="unknown-user"),
        pytest.param(USERNAME, "x" * 73, id="password-over-72-bytes"),
        pytest.param(USERNAME, "é" * 37, id="accented-password-over-72-bytes"),
    ],
)
def test_failed_login_says_only_wrong_username_or_password(client, db, user, username, password):
    response = log_in(client, username, password)
    assert response.status_code == 401
    assert response.mimetype == "text/html"
    assert WRONG_CREDENTIALS in response.get_data(as_text=True)
    assert db.logins.count_documents({}) == 0
    assert current_username(client) is None


def test_wrong_password_and_unknown_user_get_the_same_page(client, user):
    wrong_password = log_in(client, USERNAME, WRONG_PASSWORD).get_data(as_text=True)
    unknown_user = log_in(client, UNKNOWN_USERNAME, PASSWORD).get_data(as_text=True)
    # Apart from the name the form echoes back, nothing tells the two apart.
    assert wrong_password.replace(USERNAME, "NAME") == unknown_user.replace(
        UNKNOWN_USERNAME, "NAME"
    )


@pytest.mark.parametrize(
    "username", [USERNAME, UNKNOWN_USERNAME], ids=["wrong-password", "unknown-user"]
)
def test_failed_login_always_runs_bcrypt_at_the_same_cost(client, user, monkeypatch, username):
    # An unknown user gets a dummy hash: answering faster would tell which names exist.
    hashes_checked = []
    real_checkpw = bcrypt.checkpw

    def spy(password, hashed_password):
        hashes_checked.append(hashed_password)
        return real_checkpw(password, hashed_password)

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    assert log_in(client, username, WRONG_PASSWORD).status_code == 401
    (checked,) = hashes_checked
    cost = user["password_hash"][:7]
    assert checked[:7].decode() == cost, "the dummy hash has the same cost"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"json": {"username": {"$ne": None}, "password": {"$ne": None}}}, id="json-operators"
        ),
        pytest.param({"json": {"username": USERNAME, "password": PASSWORD}}, id="json"),
        pytest.param(
            {"data": {"username": [USERNAME, UNKNOWN_USERNAME], "password": PASSWORD}},
            id="repeated-username",
        ),
        pytest.param(
            {"data": {"username": USERNAME, "password": [PASSWORD, WRONG_PASSWORD]}},
            id="repeated-password",
        ),
        pytest.param(
            {"data": {"username[$ne]": "x", "password[$ne]": "x"}}, id="operator-in-field-name"
        ),
        pytest.param({"data": {"username": USERNAME}}, id="no-password"),
        pytest.param({"data": {"password": PASSWORD}}, id="no-username"),
        pytest.param({}, id="empty-body"),
    ],
)
def test_login_refuses_anything_but_the_plain_form(client, db, user, body):
    response = client.post("/login", **body)
    assert response.status_code == 400
    assert WRONG_CREDENTIALS in response.get_data(as_text=True)
    assert db.logins.count_documents({}) == 0
    assert current_username(client) is None


@pytest.mark.parametrize("next_url", ["/", "/?page=2", "/items/3"])
def test_login_follows_a_local_next(client, user, next_url):
    response = log_in(client, next_path=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        pytest.param("https://evil.example", id="other-site"),
        pytest.param("http:/evil.example", id="scheme-and-one-slash"),
        pytest.param("//evil.example", id="scheme-relative"),
        pytest.param("///evil.example", id="three-slashes"),
        pytest.param(" //evil.example", id="leading-space"),
        pytest.param("/\\evil.example", id="slash-backslash"),
        pytest.param("\\\\evil.example", id="two-backslashes"),
        pytest.param("/\t/evil.example", id="tab-between-slashes"),
        pytest.param("/\r\nLocation: https://evil.example", id="header-injection"),
        pytest.param("javascript:alert(1)", id="javascript-url"),
        pytest.param("", id="empty"),
    ],
)
def test_login_ignores_an_unsafe_next(client, user, next_url):
    response = log_in(client, next_path=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert current_username(client) == USERNAME


# --- login throttle -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username", [USERNAME, UNKNOWN_USERNAME], ids=["known-user", "unknown-user"]
)
def test_repeated_failures_lock_the_name_out(app, client, db, user, clock, username):
    fail_logins(client, app.config["LOGIN_MAX_FAILURES"], username)
    response = log_in(client, username, PASSWORD)
    assert response.status_code == 429, "even the right password, while locked out"
    assert 0 < int(response.headers["Retry-After"]) <= app.config["LOGIN_WINDOW_SECONDS"]
    assert db.logins.count_documents({}) == 0
    assert current_username(client) is None


def test_lockout_ends_after_the_window_and_blocked_tries_do_not_extend_it(app, client, user, clock):
    max_failures, window = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_WINDOW_SECONDS"]
    fail_logins(client, max_failures)
    clock.advance(window - 1)
    for _ in range(max_failures):
        assert log_in(client, USERNAME, WRONG_PASSWORD).status_code == 429
    clock.advance(2)
    assert log_in(client).status_code == 302
    assert current_username(client) == USERNAME


def test_failures_older_than_the_window_do_not_count(app, client, user, clock):
    fail_logins(client, app.config["LOGIN_MAX_FAILURES"] - 1)
    clock.advance(app.config["LOGIN_WINDOW_SECONDS"] + 1)
    fail_logins(client, app.config["LOGIN_MAX_FAILURES"] - 1)
    assert log_in(client).status_code == 302


def test_a_successful_login_clears_the_failures(app, client, user, clock):
    fail_logins(client, app.config["LOGIN_MAX_FAILURES"] - 1)
    assert log_in(client).status_code == 302
    fail_logins(client, app.config["LOGIN_MAX_FAILURES"] - 1)
    assert log_in(client).status_code == 302


def test_a_strangers_failures_do_not_lock_out_the_user(app, client, user, clock):
    stranger = app.test_client()
    fail_logins(stranger, app.config["LOGIN_MAX_FAILURES"], environ_base=STRANGER)
    assert log_in(stranger, environ_base=STRANGER).status_code == 429
    assert log_in(client).status_code == 302
    assert current_username(client) == USERNAME


# --- logout and the login documents -------------------------------------------------------------


def test_logout_ends_the_login(logged_in_client, db):
    response = logged_in_client.post("/logout")
    assert redirect_target(response) == ("/login", {})
    assert db.logins.count_documents({}) == 0
    with logged_in_client.session_transaction() as after_logout:
        assert "login" not in after_logout
    assert current_username(logged_in_client) is None


def test_logout_by_get_is_refused(logged_in_client, db):
    # A link or an <img src="/logout"> on any page must not log people out. The answer is a 404,
    # not a 405: the static route at the site root (/<path:filename>) takes every GET.
    assert logged_in_client.get("/logout").status_code in {404, 405}
    assert db.logins.count_documents({}) == 1
    assert current_username(logged_in_client) == USERNAME


def test_logout_ends_only_this_login(app, logged_in_client, db):
    other_device = app.test_client()
    assert log_in(other_device).status_code == 302
    logged_in_client.post("/logout")
    assert db.logins.count_documents({}) == 1
    assert current_username(other_device) == USERNAME


def test_a_cookie_copied_before_logout_stops_working(app, logged_in_client):
    name = app.config["SESSION_COOKIE_NAME"]
    copy = app.test_client()
    copy.set_cookie(name, logged_in_client.get_cookie(name).value)
    assert current_username(copy) == USERNAME, "arrange: the copy works while logged in"
    logged_in_client.post("/logout")
    assert current_username(copy) is None


# --- pages and API behind the login -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/?page=2"])
def test_index_sends_visitors_to_login_with_next(client, path):
    assert redirect_target(client.get(path)) == ("/login", {"next": [path]})


def test_index_names_the_logged_in_user(logged_in_client):
    response = logged_in_client.get("/")
    assert response.status_code == 200
    assert f'data-username="{USERNAME}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/me", "/api/items/"])
def test_api_needs_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": "login required"}


def test_api_me_names_the_logged_in_user(logged_in_client):
    response = logged_in_client.get("/api/me")
    assert response.status_code == 200
    assert response.get_json()["username"] == USERNAME
    assert "$2b$" not in response.get_data(as_text=True), "never a password hash"


def test_api_items_never_send_a_password_hash(logged_in_client):
    response = logged_in_client.get("/api/items/")
    assert response.status_code == 200
    assert "$2b$" not in response.get_data(as_text=True)


@pytest.mark.steps(4, 4)
def test_logged_in_user_sees_every_item(logged_in_client, db):
    for minute, title in enumerate(["older", "newer"]):
        db.items.insert_one({"title": title, "created_at": datetime(2024, 1, 1, 12, minute)})
    response = logged_in_client.get("/api/items/")
    assert response.status_code == 200
    assert [item["title"] for item in response.get_json()["items"]] == ["newer", "older"]


# --- functools.wraps ----------------------------------------------------------------------------


def test_pitfall_a_decorator_without_wraps_breaks_the_second_view():
    def login_required(view):
        # The article's decorator: no @functools.wraps, so every view is called "wrapper".
        def wrapper(*args, **kwargs):
            if "username" not in session:
                return redirect(url_for("login", next=request.url))
            return view(*args, **kwargs)

        return wrapper

    app = Flask(__name__)

    @app.get("/first")
    @login_required
    def first():
        return "first"

    with pytest.raises(AssertionError, match="overwriting an existing endpoint function"):

        @app.get("/second")
        @login_required
        def second():
            return "second"


@pytest.mark.parametrize("decorator", ["login_required", "api_login_required"])
def test_step_decorators_keep_the_view_name(auth_module, decorator):
    login_required = getattr(auth_module, decorator)

    def first():
        return "first"

    def second():
        return "second"

    assert login_required(first).__name__ == "first"
    app = Flask(__name__)
    app.add_url_rule("/first", view_func=login_required(first))
    app.add_url_rule("/second", view_func=login_required(second))
    assert {"first", "second"} <= set(app.view_functions)


# --- cross-site requests ------------------------------------------------------------------------

UNSAFE_FORMS = [
    pytest.param("/register", {"username": "newcomer", "password": PASSWORD}, False, id="register"),
    pytest.param("/login", {"username": USERNAME, "password": PASSWORD}, False, id="login"),
    pytest.param("/logout", {}, True, id="logout"),
]


def post_form(client, db, path, data, starts_logged_in, headers):
    """Post a form (after logging in if asked); return the response and what it changed."""
    if starts_logged_in:
        log_in(client)
    users_and_logins, username = saved_state(db), current_username(client)
    response = client.post(path, data=data, headers=headers)
    changes = {
        "database": saved_state(db) != users_and_logins,
        "logged-in user": current_username(client) != username,
    }
    return response, changes


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="fetch-cross-site"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="fetch-same-site"),
        pytest.param({"Origin": "https://evil.example"}, id="origin-other-site"),
        pytest.param({"Origin": "null"}, id="origin-null"),
    ],
)
@pytest.mark.parametrize(("path", "data", "starts_logged_in"), UNSAFE_FORMS)
def test_cross_site_forms_are_refused(client, db, user, path, data, starts_logged_in, headers):
    response, changes = post_form(client, db, path, data, starts_logged_in, headers)
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert changes == {"database": False, "logged-in user": False}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Sec-Fetch-Site": "same-origin"}, id="fetch-same-origin"),
        pytest.param({"Origin": "http://localhost"}, id="origin-ours"),
    ],
)
@pytest.mark.parametrize(("path", "data", "starts_logged_in"), UNSAFE_FORMS)
def test_same_origin_forms_work(client, db, user, path, data, starts_logged_in, headers):
    response, changes = post_form(client, db, path, data, starts_logged_in, headers)
    assert response.status_code == 302
    assert changes == {"database": True, "logged-in user": True}


@pytest.mark.parametrize(
    ("headers", "status", "logged_in_as"),
    [
        pytest.param(
            {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
            302,
            USERNAME,
            id="fetch-and-origin-ours",
        ),
        pytest.param({"Sec-Fetch-Site": "none"}, 302, USERNAME, id="fetch-none-user-typed-it"),
        pytest.param(
            {"Origin": "http://localhost.evil.example"}, 403, None, id="our-name-as-a-prefix"
        ),
        pytest.param({"Origin": "http://localhost:8080"}, 403, None, id="other-port"),
        pytest.param({"Origin": "https://localhost"}, 403, None, id="other-scheme"),
        pytest.param(
            {"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"},
            403,
            None,
            id="fetch-same-origin-but-origin-other-site",
        ),
    ],
)
def test_login_compares_the_origin_exactly(client, user, headers, status, logged_in_as):
    assert log_in(client, headers=headers).status_code == status
    assert current_username(client) == logged_in_as


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_cross_site_api_writes_are_refused_as_json(logged_in_client, db, method):
    items_before = list(db.items.find())
    response = logged_in_client.open(
        "/api/items/", method=method, json={"title": "t"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]
    assert list(db.items.find()) == items_before


def test_cross_site_links_still_open_pages(client):
    # Only writes are refused: following a link from another site must work.
    response = client.get("/login", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200


# --- create-user, demo account, unreachable database --------------------------------------------


def create_user(app, username, typed):
    """Run `flask create-user USERNAME`, typing the given lines at the prompts."""
    return app.test_cli_runner().invoke(args=["create-user", username], input=typed)


def test_create_user_command_stores_a_bcrypt_hash(app, client, db):
    result = create_user(app, "alice", f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    (stored,) = db.users.find({"username": "alice"})
    assert bcrypt.checkpw(PASSWORD.encode(), stored["password_hash"].encode())
    assert log_in(client, "alice", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("username", "typed"),
    [
        pytest.param("alice", f"{PASSWORD}\n{WRONG_PASSWORD}\n", id="passwords-differ"),
        pytest.param("alice", "short\nshort\n", id="password-too-short"),
        pytest.param(USERNAME, f"{PASSWORD}\n{PASSWORD}\n", id="username-taken"),
    ],
)
def test_create_user_command_refuses(app, db, user, username, typed):
    before = saved_state(db)
    result = create_user(app, username, typed)
    assert result.exit_code != 0, result.output
    assert saved_state(db) == before


def test_embedded_database_has_a_demo_account_and_says_so(make_app, step_dir, caplog):
    caplog.set_level(logging.INFO)
    demo = step_module(step_dir, "demo")
    app = make_app(MONGO_CLIENT=None, BCRYPT_ROUNDS=4)
    messages = [record.getMessage() for record in caplog.records]
    assert any(
        demo.DEMO_USERNAME in message and demo.DEMO_PASSWORD in message for message in messages
    ), "the log says how to log in"
    client = app.test_client()
    assert log_in(client, demo.DEMO_USERNAME, demo.DEMO_PASSWORD).status_code == 302
    assert current_username(client) == demo.DEMO_USERNAME


def test_login_with_an_unreachable_database_is_a_clear_503(unreachable_app):
    response = log_in(unreachable_app.test_client())
    assert response.status_code == 503
    message = response.get_data(as_text=True)
    assert "unreachable" in message
    assert "s3cret" not in message


@pytest.mark.parametrize("mongo_uri", [None, ""], ids=["no-mongo-uri", "empty-mongo-uri"])
def test_create_user_refuses_the_embedded_database(make_app, mongo_uri):
    app = make_app(MONGO_CLIENT=None, MONGO_URI=mongo_uri)
    result = create_user(app, "alice", f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0, (
        "step 04 needs `flask create-user` to refuse when MONGO_URI is unset or empty: the account"
        " would go to an embedded database that dies with the command (WORKSHOP.md, The embedded"
        " database, or your own MongoDB)"
    )
    assert "MONGO_URI" in result.output, "the refusal should say that MONGO_URI is missing"
    assert app.extensions["mongo_db"].users.find_one({"username": "alice"}) is None
