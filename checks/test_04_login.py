"""Step 04's accounts: register, log in and log out with forms; two decorators guard the rest."""

import bcrypt
import pytest
from flask import Flask, redirect, request, session, url_for
from markupsafe import escape
from pymongo.errors import DuplicateKeyError

from support import (
    PASSWORD,
    USERNAME,
    WRONG_PASSWORD,
    AuthActions,
    accounts_and_logins,
    assert_json_error,
    from_step,
    redirect_target,
)

pytestmark = pytest.mark.steps(4, 5)

UNKNOWN_USERNAME = "ghost"
WRONG_CREDENTIALS = "Wrong username or password."
DECORATORS = "WORKSHOP.md, Step 04 · Two decorators, one for pages and one for the API"
LOGOUT = "WORKSHOP.md, Step 04 · A session that logout really ends"
PASSWORDS = "WORKSHOP.md, Step 04 · Passwords with bcrypt 5"
WRAPS = "WORKSHOP.md, Step 04 · The pitfall: a decorator without `functools.wraps`"


def assert_form_again(response, status, auth, db, before):
    """The response is the form again with this status, and nothing changed."""
    assert response.status_code == status, f"a refused form answers {status}"
    assert response.mimetype == "text/html", "a refused form is shown again, as a page"
    assert 'name="username"' in response.get_data(as_text=True), "the form again"
    assert accounts_and_logins(db) == before, "a refused form changes nothing in the database"
    assert auth.logged_in_as() is None, "a refused form logs nobody in"


# --- register ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/register", "/login"])
def test_account_forms_ask_for_a_username_and_a_password(client, path):
    response = client.get(path)
    assert response.status_code == 200, f"GET {path} should show its form"
    assert response.mimetype == "text/html", "a form is an HTML page"
    page = response.get_data(as_text=True)
    assert 'name="username"' in page, f"the form of {path} needs a username field"
    assert 'name="password"' in page, f"the form of {path} needs a password field"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param("a-b", PASSWORD, id="3-character-name"),
        pytest.param("Dots.and_under" + "x" * 18, PASSWORD, id="32-character-name"),
        pytest.param(USERNAME, "12345678", id="8-character-password"),
        pytest.param(USERNAME, "é" * 36, id="72-byte-password"),
    ],
)
def test_register_stores_a_bcrypt_hash_and_logs_in(auth, db, username, password):
    response = auth.register(username, password)
    assert redirect_target(response) == ("/", {}), "registering logs in and goes to the list"
    (stored,) = db.users.find()
    assert stored["username"] == username, "the account has the name registered"
    assert stored["password_hash"].startswith("$2b$04$"), "a bcrypt hash of BCRYPT_ROUNDS"
    assert password not in repr(stored), "never the plain password"
    assert bcrypt.checkpw(password.encode(), stored["password_hash"].encode()), (
        "the hash is of the password registered"
    )
    assert auth.logged_in_as() == username, "registering logs the new account in"
    assert db.logins.count_documents({"username": username}) == 1, f"one login ({LOGOUT})"


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
def test_register_refuses_a_bad_username(auth, db, username):
    before = accounts_and_logins(db)
    response = auth.register(username, PASSWORD)
    assert_form_again(response, 400, auth, db, before)
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
def test_register_refuses_a_bad_password_saying_why(auth, db, step_dir, password):
    before = accounts_and_logins(db)
    response = auth.register(USERNAME, password)
    assert_form_again(response, 400, auth, db, before)
    message = escape(from_step(step_dir, "password_problem")(password))
    assert message in response.get_data(as_text=True), "the form says what password_problem said"


def test_register_refuses_a_taken_username(auth, db, user):
    before = accounts_and_logins(db)
    response = auth.register(USERNAME, "another one")
    assert_form_again(response, 409, auth, db, before)
    assert "That username is taken." in response.get_data(as_text=True), (
        "the form says why: That username is taken."
    )


def test_unique_index_on_username(db, user):
    with pytest.raises(DuplicateKeyError):
        # The database itself keeps names unique, even between two racing registrations.
        db.users.insert_one({"username": USERNAME, "password_hash": "x"})


@pytest.mark.parametrize(
    ("username", "typed", "stored"),
    [
        pytest.param("alice", f"{PASSWORD}\n{PASSWORD}\n", True, id="stored"),
        pytest.param("alice", f"{PASSWORD}\n{WRONG_PASSWORD}\n", False, id="passwords-differ"),
        pytest.param("alice", "short\nshort\n", False, id="password-too-short"),
        pytest.param(USERNAME, f"{PASSWORD}\n{PASSWORD}\n", False, id="username-taken"),
    ],
)
def test_create_user_command_stores_a_bcrypt_hash_or_refuses(
    app, auth, db, user, username, typed, stored
):
    before = accounts_and_logins(db)
    # `flask create-user USERNAME`, typing the lines at the password prompts.
    result = app.test_cli_runner().invoke(args=["create-user", username], input=typed)
    if not stored:
        assert result.exit_code != 0, f"create-user should refuse this: {result.output}"
        assert accounts_and_logins(db) == before, "a refused create-user changes nothing"
        return
    assert result.exit_code == 0, result.output
    (account,) = db.users.find({"username": username})
    assert bcrypt.checkpw(PASSWORD.encode(), account["password_hash"].encode()), (
        "the hash is of the password typed"
    )
    assert auth.login(username, PASSWORD).status_code == 302, "the new account can log in"


@pytest.mark.parametrize("mongo_uri", [None, ""], ids=["no-mongo-uri", "empty-mongo-uri"])
def test_create_user_refuses_the_embedded_database(make_app, mongo_uri):
    app = make_app(MONGO_CLIENT=None, MONGO_URI=mongo_uri)
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    result = app.test_cli_runner().invoke(args=["create-user", "alice"], input=typed)
    assert result.exit_code != 0, (
        "step 04 needs `flask create-user` to refuse when MONGO_URI is unset or empty: the account"
        " would go to an embedded database that dies with the command (WORKSHOP.md, The embedded"
        " database, or your own MongoDB)"
    )
    assert "MONGO_URI" in result.output, "the refusal should say that MONGO_URI is missing"


# --- login -------------------------------------------------------------------------------------


def test_login_form_carries_next_in_a_hidden_field(client):
    page = client.get("/login?next=/items/3").get_data(as_text=True)
    assert 'name="next"' in page, "the login form keeps where to go next in a hidden field"
    assert 'value="/items/3"' in page, "the hidden next field holds where to go"


def test_login_form_escapes_next(client):
    response = client.get("/login", query_string={"next": '/"><script>alert(1)</script>'})
    assert response.status_code == 200, "GET /login?next=... shows the form"
    assert "<script>alert(1)" not in response.get_data(as_text=True), "next is echoed escaped"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param(USERNAME, WRONG_PASSWORD, id="wrong-password"),
        pytest.param(UNKNOWN_USERNAME, PASSWORD, id="unknown-user"),
        pytest.param(USERNAME, "x" * 73, id="password-over-72-bytes"),
        pytest.param(USERNAME, "é" * 37, id="accented-password-over-72-bytes"),
    ],
)
def test_failed_login_says_only_wrong_username_or_password(auth, db, user, username, password):
    response = auth.login(username, password)
    assert response.status_code == 401, f"a failed login is a 401, not a 500 ({PASSWORDS})"
    assert response.mimetype == "text/html", "a failed login shows the form again"
    assert WRONG_CREDENTIALS in response.get_data(as_text=True), (
        "one message for both mistakes: it must not tell which usernames exist"
    )
    assert db.logins.count_documents({}) == 0, "a failed login stores no login"
    assert auth.logged_in_as() is None, "a failed login logs nobody in"


def test_wrong_password_and_unknown_user_get_the_same_page(auth, user):
    wrong_password = auth.login(USERNAME, WRONG_PASSWORD).get_data(as_text=True)
    unknown_user = auth.login(UNKNOWN_USERNAME, PASSWORD).get_data(as_text=True)
    # Apart from the name the form echoes back, nothing tells the two apart.
    assert wrong_password.replace(USERNAME, "NAME") == unknown_user.replace(
        UNKNOWN_USERNAME, "NAME"
    ), "a wrong password and an unknown user must get the same page"


@pytest.mark.parametrize(
    "username", [USERNAME, UNKNOWN_USERNAME], ids=["wrong-password", "unknown-user"]
)
def test_failed_login_always_runs_bcrypt_at_the_same_cost(auth, user, monkeypatch, username):
    # An unknown user gets a dummy hash: answering faster would tell which names exist.
    hashes_checked = []
    real_checkpw = bcrypt.checkpw

    def spy(password, hashed_password):
        hashes_checked.append(hashed_password)
        return real_checkpw(password, hashed_password)

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    assert auth.login(username, WRONG_PASSWORD).status_code == 401, "a wrong password is a 401"
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
def test_login_refuses_anything_but_the_plain_form(client, auth, db, user, body):
    response = client.post("/login", **body)
    assert response.status_code == 400, "only a form with one username and one password"
    assert WRONG_CREDENTIALS in response.get_data(as_text=True), (
        "the same one message for a form that is not plain"
    )
    assert db.logins.count_documents({}) == 0, "it stores no login"
    assert auth.logged_in_as() is None, "it logs nobody in"


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        pytest.param("/", "/", id="root"),
        pytest.param("/?page=2", "/?page=2", id="root-with-query"),
        pytest.param("/items/3", "/items/3", id="local-path"),
        pytest.param("https://evil.example", "/", id="other-site"),
        pytest.param("http:/evil.example", "/", id="scheme-and-one-slash"),
        pytest.param("//evil.example", "/", id="scheme-relative"),
        pytest.param("///evil.example", "/", id="three-slashes"),
        pytest.param(" //evil.example", "/", id="leading-space"),
        pytest.param("/\\evil.example", "/", id="slash-backslash"),
        pytest.param("\\\\evil.example", "/", id="two-backslashes"),
        pytest.param("/\t/evil.example", "/", id="tab-between-slashes"),
        pytest.param("/\r\nLocation: https://evil.example", "/", id="header-injection"),
        pytest.param("javascript:alert(1)", "/", id="javascript-url"),
        pytest.param("", "/", id="empty"),
    ],
)
def test_login_follows_next_only_within_the_site(auth, user, next_url, location):
    response = auth.login(next_path=next_url)
    assert response.status_code == 302, "a login redirects"
    assert response.headers["Location"] == location, (
        "a login goes to a local next, and to / for anything that could leave the site"
    )
    assert auth.logged_in_as() == USERNAME, "the login worked, wherever it goes next"


# --- logout ------------------------------------------------------------------------------------


def test_logout_ends_the_login(auth, db, logged_in_user):
    response = auth.logout()
    assert redirect_target(response) == ("/login", {}), "logging out goes to the login form"
    assert db.logins.count_documents({}) == 0, f"logout deletes the login ({LOGOUT})"
    with auth.client.session_transaction() as after_logout:
        assert "login" not in after_logout, "logout takes the token out of the session"
    assert auth.logged_in_as() is None, "after logout, nobody is logged in"


def test_logout_by_get_is_refused(auth, db, logged_in_user):
    # A link or an <img src="/logout"> on any page must not log people out. The answer is a 404,
    # not a 405: the static route at the site root (/<path:filename>) takes every GET.
    assert auth.client.get("/logout").status_code in {404, 405}, (
        f"step 04 needs a /logout that takes POST only ({LOGOUT})"
    )
    assert db.logins.count_documents({}) == 1, "a GET of /logout ends no login"
    assert auth.logged_in_as() == USERNAME, "and the learner stays logged in"


# --- what the two decorators guard -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/?page=2"])
def test_index_sends_visitors_to_login_with_next(client, path):
    assert redirect_target(client.get(path)) == ("/login", {"next": [path]}), (
        f"login_required sends a visitor to /login?next=... ({DECORATORS})"
    )


def test_index_names_the_logged_in_user(client, logged_in_user):
    response = client.get("/")
    assert response.status_code == 200, "a logged-in user gets the page"
    assert f'data-username="{USERNAME}"' in response.get_data(as_text=True), (
        "the page says who is logged in, for the front end"
    )


@pytest.mark.parametrize("path", ["/api/me", "/api/items/"])
def test_api_needs_a_login(client, path):
    response = client.get(path)
    assert_json_error(response, 401, f"GET {path} without a login")
    assert response.get_json() == {"error": "login required"}, (
        f"api_login_required answers 401 in JSON, no redirect ({DECORATORS})"
    )


def test_api_me_names_the_logged_in_user(client, logged_in_user):
    response = client.get("/api/me")
    assert response.status_code == 200, "GET /api/me answers who is logged in"
    assert response.get_json()["username"] == USERNAME, "GET /api/me names the logged-in user"


@pytest.mark.parametrize("path", ["/api/me", "/api/items/"])
def test_api_never_sends_a_password_hash(client, logged_in_user, path):
    response = client.get(path)
    assert response.status_code == 200, "a logged-in user's GET works"
    assert "$2b$" not in response.get_data(as_text=True), "never a password hash"


def test_embedded_database_has_a_demo_account_and_says_so(make_app, step_dir, caplog):
    caplog.set_level("INFO")
    auth = AuthActions(make_app(MONGO_CLIENT=None))
    username, password = from_step(step_dir, "DEMO_USERNAME"), from_step(step_dir, "DEMO_PASSWORD")
    messages = [record.getMessage() for record in caplog.records]
    assert any(username in message and password in message for message in messages), (
        "the log says how to log in"
    )
    assert auth.login(username, password).status_code == 302, "the demo account logs in"
    assert auth.logged_in_as() == username, "the demo account is who is logged in"


# --- functools.wraps ---------------------------------------------------------------------------


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
def test_step_decorators_keep_the_view_name(step_dir, decorator):
    login_required = from_step(step_dir, decorator)

    def first():
        return "first"

    def second():
        return "second"

    message = f"{decorator} needs @functools.wraps(view) ({WRAPS})"
    assert login_required(first).__name__ == "first", message
    app = Flask(__name__)
    app.add_url_rule("/first", view_func=login_required(first))
    app.add_url_rule("/second", view_func=login_required(second))
    assert {"first", "second"} <= set(app.view_functions), message
