"""Step 04's accounts: register, log in and log out with forms; two decorators guard the rest."""

import bcrypt
import pytest
from flask import Flask, redirect, request, session, url_for
from markupsafe import escape
from pymongo.errors import DuplicateKeyError

from harness.answers import (
    assert_json_error,
    expect_status,
    json_body,
    redirect_target,
    said,
    step_code,
)
from harness.apps import PASSWORD, USERNAME, WRONG_PASSWORD, accounts, from_step
from harness.sections import ACCOUNTS, DECORATORS, ONE_SPELLING, PASSWORDS, TELL_NOTHING, WRAPS

pytestmark = pytest.mark.steps(4, 8)

UNKNOWN_USERNAME = "ghost"
WRONG_CREDENTIALS = "Wrong username or password."
TAKEN = "That username is taken."
# Logins that fail: a wrong password, an unknown user, and passwords bcrypt 5 would refuse.
FAILED_LOGINS = [
    pytest.param(USERNAME, WRONG_PASSWORD, id="wrong-password"),
    pytest.param(UNKNOWN_USERNAME, PASSWORD, id="unknown-user"),
    pytest.param(USERNAME, "x" * 73, id="password-over-72-bytes"),
    pytest.param(USERNAME, "é" * 37, id="accented-password-over-72-bytes"),
]
# Names the register form refuses: 3 to 32 letters, digits, dots, dashes or underscores only.
BAD_USERNAMES = [
    pytest.param("", id="empty"),
    pytest.param("ab", id="two-characters"),
    pytest.param("a" * 33, id="33-characters"),
    pytest.param("two words", id="space"),
    pytest.param("learner\n", id="trailing-newline"),
    pytest.param("ünïcode", id="non-ascii-letters"),
    pytest.param("$ne", id="operator"),
    pytest.param("<b>bold</b>", id="markup"),
]
# Where a login must not follow next to: anything a browser could read as another site.
NEXTS_THAT_LEAVE_THE_SITE = [
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
]


def assert_form_again(response, status, auth, db, before, section, sent="the refused form"):
    """The response is the form again with this status, and nothing changed; sent names it."""
    expect_status(response, status, sent, section)
    assert response.mimetype == "text/html", (
        f"a refused form is shown again, as a page, not {response.mimetype} ({section})"
    )
    assert 'name="username"' in response.get_data(as_text=True), (
        f"a refused form is shown again, its username field included ({section})"
    )
    assert accounts(db) == before, f"a refused form changes no account ({section})"
    assert auth.logged_in_as() is None, f"a refused form logs nobody in ({section})"


# --- register ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/register", "/login"])
def test_account_forms_ask_for_a_username_and_a_password(client, path):
    response = expect_status(client.get(path), 200, f"GET {path} (its form)", ACCOUNTS)
    assert response.mimetype == "text/html", f"a form is an HTML page ({ACCOUNTS})"
    page = response.get_data(as_text=True)
    assert 'name="username"' in page, (
        f'the form of {path} needs a field name="username" ({ACCOUNTS})'
    )
    assert 'name="password"' in page, (
        f'the form of {path} needs a field name="password" ({ACCOUNTS})'
    )


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param("a-b", PASSWORD, id="3-character-name"),
        # Lower case: every name is stored in lower case (test_register_stores_the_name_...).
        pytest.param("dots.and_under" + "x" * 18, PASSWORD, id="32-character-name"),
        pytest.param(USERNAME, "12345678", id="8-character-password"),
        pytest.param(USERNAME, "é" * 36, id="72-byte-password"),
    ],
)
def test_register_stores_a_bcrypt_hash_and_logs_in(auth, db, username, password):
    response = auth.register(username, password)
    assert redirect_target(response, "POST /register", PASSWORDS) == ("/", {}), (
        f"registering logs in and goes to the list, / ({ACCOUNTS})"
    )
    stored = list(db.users.find())
    assert [user.get("username") for user in stored] == [username], (
        f"the users collection holds the one account registered, under its username ({PASSWORDS})"
    )
    password_hash = stored[0].get("password_hash")
    assert isinstance(password_hash, str), (
        f"the account stores its bcrypt hash as text, in password_hash ({PASSWORDS})"
    )
    assert password_hash.startswith("$2b$04$"), (
        f"a bcrypt hash of cost BCRYPT_ROUNDS (4 in the checks), not {password_hash[:7]!r}"
        f" ({PASSWORDS})"
    )
    assert password not in repr(stored), f"never the plain password ({PASSWORDS})"
    assert bcrypt.checkpw(password.encode(), password_hash.encode()), (
        f"the hash is of the password registered ({PASSWORDS})"
    )
    assert auth.logged_in_as() == username, (
        f"registering logs the new account in, under its name ({ACCOUNTS})"
    )


def test_register_stores_the_name_in_lower_case(auth, db):
    typed = USERNAME.capitalize()
    redirect_target(auth.register(typed, PASSWORD), f"POST /register as {typed!r}", ONE_SPELLING)
    stored = [account.get("username") for account in db.users.find()]
    assert stored == [USERNAME], (
        f"{typed!r} is stored as {USERNAME!r}, the one spelling a name is stored in, not as"
        f" {stored} ({ONE_SPELLING})"
    )
    assert auth.logged_in_as() == USERNAME, (
        f"registering {typed!r} logs in as {USERNAME!r} ({ONE_SPELLING})"
    )


@pytest.mark.parametrize("username", BAD_USERNAMES)
def test_register_refuses_a_bad_username(auth, db, username):
    before = accounts(db)
    response = auth.register(username, PASSWORD)
    sent = f"POST /register with the username {username!r}"
    assert_form_again(response, 400, auth, db, before, ONE_SPELLING, sent)
    assert "<b>" not in response.get_data(as_text=True), (
        f"what the form echoes is escaped ({ACCOUNTS})"
    )


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
    before = accounts(db)
    response = auth.register(USERNAME, password)
    assert_form_again(response, 400, auth, db, before, PASSWORDS)
    with step_code(f"password_problem({password!r})", PASSWORDS):
        problem = from_step(step_dir, "password_problem")(password)
    assert str(escape(problem)) in response.get_data(as_text=True), (
        f"the form says what password_problem said: {problem!r} ({PASSWORDS})"
    )


def test_register_refuses_a_taken_username(auth, db, user):
    before = accounts(db)
    response = auth.register(USERNAME, "another one")
    assert_form_again(response, 409, auth, db, before, ONE_SPELLING)
    assert TAKEN in response.get_data(as_text=True), f"the form says why: {TAKEN} ({ONE_SPELLING})"


def test_register_refuses_a_name_taken_in_another_case(auth, db, user):
    before = accounts(db)
    response = auth.register(USERNAME.capitalize(), "another one")
    assert_form_again(response, 409, auth, db, before, ONE_SPELLING)
    assert TAKEN in response.get_data(as_text=True), (
        f"{USERNAME.capitalize()!r} is {USERNAME!r} spelled otherwise: {TAKEN} ({ONE_SPELLING})"
    )


@pytest.mark.parametrize("typed", [USERNAME.upper(), USERNAME.capitalize()])
def test_login_takes_the_name_in_any_case(auth, db, user, typed):
    redirect_target(auth.login(typed, PASSWORD), f"POST /login as {typed!r}", ONE_SPELLING)
    assert auth.logged_in_as() == USERNAME, (
        f"{typed!r} logs in as {USERNAME!r}, the one spelling the name is stored in"
        f" ({ONE_SPELLING})"
    )


def test_unique_index_on_username(db, user):
    # The database itself keeps names unique, even between two racing registrations.
    try:
        db.users.insert_one({"username": USERNAME, "password_hash": "x"})
    except DuplicateKeyError:
        return
    pytest.fail(
        "the users collection needs a unique index on username: db.users.create_index("
        f'"username", unique=True) when the app starts ({ONE_SPELLING})',
        pytrace=False,
    )


# --- login -------------------------------------------------------------------------------------


def test_login_form_carries_next_in_a_hidden_field(client):
    response = expect_status(client.get("/login?next=/items/3"), 200, "GET /login", ACCOUNTS)
    page = response.get_data(as_text=True)
    assert 'name="next"' in page, (
        f'the login form keeps where to go next in a hidden field, name="next" ({ACCOUNTS})'
    )
    assert 'value="/items/3"' in page, f"the hidden next field holds where to go ({ACCOUNTS})"


def test_login_form_escapes_next(client):
    query = {"next": '/"><script>alert(1)</script>'}
    response = expect_status(
        client.get("/login", query_string=query), 200, "GET /login", TELL_NOTHING
    )
    assert "<script>alert(1)" not in response.get_data(as_text=True), (
        f"next is echoed escaped, never as markup ({TELL_NOTHING})"
    )


@pytest.mark.parametrize(("username", "password"), FAILED_LOGINS)
def test_failed_login_is_a_401_with_the_form_again(auth, user, username, password):
    response = auth.login(username, password)
    expect_status(response, 401, "POST /login with a wrong password", PASSWORDS)
    assert response.mimetype == "text/html", (
        f"a failed login shows the login form again, as a page ({ACCOUNTS})"
    )
    assert 'name="username"' in response.get_data(as_text=True), (
        f"a failed login shows the login form again ({ACCOUNTS})"
    )
    assert auth.logged_in_as() is None, f"a failed login logs nobody in ({ACCOUNTS})"


@pytest.mark.parametrize(("username", "password"), FAILED_LOGINS)
def test_failed_login_says_only_wrong_username_or_password(auth, user, username, password):
    response = auth.login(username, password)
    expect_status(response, 401, "POST /login with a wrong password", TELL_NOTHING)
    assert WRONG_CREDENTIALS in response.get_data(as_text=True), (
        f"one message for both mistakes, {WRONG_CREDENTIALS!r}: it must not tell which"
        f" usernames exist ({TELL_NOTHING})"
    )


def test_wrong_password_and_unknown_user_get_the_same_page(auth, user):
    wrong_password = auth.login(USERNAME, WRONG_PASSWORD).get_data(as_text=True)
    unknown_user = auth.login(UNKNOWN_USERNAME, PASSWORD).get_data(as_text=True)
    # Apart from the name the form echoes back, nothing tells the two apart.
    assert wrong_password.replace(USERNAME, "NAME") == unknown_user.replace(
        UNKNOWN_USERNAME, "NAME"
    ), f"a wrong password and an unknown user must get the same page ({TELL_NOTHING})"


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
    expect_status(auth.login(username, WRONG_PASSWORD), 401, "a failed login", TELL_NOTHING)
    assert len(hashes_checked) == 1, (
        "every failed login checks one bcrypt hash, a dummy one for an unknown user, so that"
        f" the time taken does not tell who has an account ({TELL_NOTHING})"
    )
    cost = user["password_hash"][:7]
    assert hashes_checked[0][:7].decode() == cost, (
        f"the dummy hash has the same cost as real ones, BCRYPT_ROUNDS ({TELL_NOTHING})"
    )


# Bodies that are not a plain form: none may log anyone in. Step 06 refuses them all with a 400
# (test_06_forms.py); here a login reads request.form alone, whose values are strings.
NOT_A_PLAIN_FORM = [
    pytest.param(
        {"json": {"username": {"$ne": None}, "password": {"$ne": None}}}, id="json-operators"
    ),
    pytest.param({"json": {"username": USERNAME, "password": PASSWORD}}, id="json"),
    pytest.param(
        {"data": {"username[$ne]": "x", "password[$ne]": "x"}}, id="operator-in-field-name"
    ),
    pytest.param({"data": {"username": USERNAME}}, id="no-password"),
    pytest.param({}, id="empty-body"),
]


@pytest.mark.parametrize("body", NOT_A_PLAIN_FORM)
def test_login_reads_only_plain_form_fields(client, auth, db, user, body):
    before = accounts(db)
    response = client.post("/login", **body)
    assert response.status_code in {400, 401}, (
        f"POST /login with {body or 'no body'} logs nobody in: the fields come from request.form,"
        f" never from JSON, so an operator such as {{'$ne': None}} never reaches the query; it"
        f" answered {said(response)} ({TELL_NOTHING})"
    )
    assert WRONG_CREDENTIALS in response.get_data(as_text=True), (
        f"the same one message, {WRONG_CREDENTIALS!r}, for a form that is not plain"
        f" ({TELL_NOTHING})"
    )
    assert accounts(db) == before, f"it changes no account ({TELL_NOTHING})"
    assert auth.logged_in_as() is None, f"it logs nobody in ({TELL_NOTHING})"


@pytest.mark.parametrize(
    "next_path",
    [
        pytest.param("/", id="root"),
        pytest.param("/?page=2", id="root-with-query"),
        pytest.param("/items/3", id="local-path"),
    ],
)
def test_login_goes_where_next_says(auth, user, next_path):
    response = auth.login(next_path=next_path)
    redirect_target(response, f"POST /login with next={next_path}", ACCOUNTS)
    assert response.headers["Location"] == next_path, (
        f"a login goes where next says, {next_path}, not {response.headers['Location']}"
        f" ({ACCOUNTS})"
    )
    assert auth.logged_in_as() == USERNAME, f"the login worked ({ACCOUNTS})"


@pytest.mark.parametrize("next_url", NEXTS_THAT_LEAVE_THE_SITE)
def test_login_follows_next_only_within_the_site(auth, user, next_url):
    response = auth.login(next_path=next_url)
    redirect_target(response, f"POST /login with next={next_url!r}", TELL_NOTHING)
    assert response.headers["Location"] == "/", (
        f"a login goes to / for a next that could leave the site, not to"
        f" {response.headers['Location']!r} ({TELL_NOTHING})"
    )
    assert auth.logged_in_as() == USERNAME, (
        f"the login worked, wherever it goes next ({TELL_NOTHING})"
    )


# --- logout ------------------------------------------------------------------------------------


def test_logout_ends_the_login(auth, logged_in_user):
    response = auth.logout()
    assert redirect_target(response, "POST /logout", ACCOUNTS) == ("/login", {}), (
        f"logging out goes to the login form, /login ({ACCOUNTS})"
    )
    assert auth.logged_in_as() is None, f"after logout, nobody is logged in ({ACCOUNTS})"


def test_logout_by_get_is_refused(auth, logged_in_user):
    # A link or an <img src="/logout"> on any page must not log people out. Without a GET rule of
    # its own, the static route at the site root (/<path:filename>) answers 404: step 07
    # (test_07_routes.py) asks for the 405 that says Allow: POST.
    response = auth.client.get("/logout")
    assert response.status_code in {404, 405}, (
        f"/logout is a form that takes POST only: GET /logout answered {said(response)}"
        f" ({ACCOUNTS})"
    )
    assert auth.logged_in_as() == USERNAME, (
        f"a GET of /logout leaves the learner logged in ({ACCOUNTS})"
    )


# --- what the two decorators guard -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/?page=2"])
def test_index_sends_visitors_to_login_with_next(client, path):
    assert redirect_target(client.get(path), f"GET {path} by a visitor", DECORATORS) == (
        "/login",
        {"next": [path]},
    ), f"login_required sends a visitor to /login?next={path} ({DECORATORS})"


def test_index_names_the_logged_in_user(client, logged_in_user):
    response = expect_status(client.get("/"), 200, "GET / by a logged-in user", DECORATORS)
    assert f'data-username="{USERNAME}"' in response.get_data(as_text=True), (
        "the page says who is logged in, for the front end: render_template gets the"
        f" username ({DECORATORS})"
    )


@pytest.mark.parametrize("path", ["/api/me", "/api/items/"])
def test_api_needs_a_login(client, path):
    response = client.get(path)
    assert_json_error(response, 401, f"GET {path} without a login", DECORATORS)
    assert response.get_json() == {"error": "login required"}, (
        f'api_login_required answers 401 {{"error": "login required"}}, no redirect ({DECORATORS})'
    )


def test_api_me_names_the_logged_in_user(client, logged_in_user):
    body = json_body(client.get("/api/me"), "GET /api/me, logged in", DECORATORS)
    assert body.get("username") == USERNAME, (
        f'GET /api/me names the logged-in user: {{"username": "{USERNAME}"}} ({DECORATORS})'
    )


@pytest.mark.parametrize("path", ["/api/me", "/api/items/"])
def test_api_never_sends_a_password_hash(client, logged_in_user, path):
    response = expect_status(client.get(path), 200, f"GET {path}, logged in", DECORATORS)
    assert "$2b$" not in response.get_data(as_text=True), (
        f"GET {path} never sends a password hash ({DECORATORS})"
    )


def test_embedded_database_has_a_demo_account_and_says_so(make_app, auth_actions, step_dir, caplog):
    caplog.set_level("INFO")
    auth = auth_actions(make_app(MONGO_CLIENT=None))
    username, password = from_step(step_dir, "DEMO_USERNAME"), from_step(step_dir, "DEMO_PASSWORD")
    messages = [record.getMessage() for record in caplog.records]
    assert any(username in message and password in message for message in messages), (
        f"the log says how to log in: the demo username and its password ({ACCOUNTS})"
    )
    redirect_target(auth.login(username, password), "POST /login as the demo", ACCOUNTS)
    assert auth.logged_in_as() == username, f"the demo account is who is logged in ({ACCOUNTS})"


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


@pytest.mark.pitfall("pitfall_no_wraps")
@pytest.mark.parametrize("decorator", ["login_required", "api_login_required"])
def test_step_decorators_keep_the_view_name(step_dir, decorator):
    login_required = from_step(step_dir, decorator)

    def first():
        return "first"

    def second():
        return "second"

    with step_code(f"{decorator}(a view)", WRAPS):
        guarded = login_required(first), login_required(second)
    assert [view.__name__ for view in guarded] == ["first", "second"], (
        f"{decorator} needs @functools.wraps(view): without it every view it guards is named"
        f" {guarded[0].__name__!r}, and Flask names endpoints after views, so url_for() cannot"
        " find them (in step 04, POST /register answers 500: BuildError: Could not build url"
        " for endpoint 'index'), and a second guarded view in the same app or blueprint"
        f" collides with the first ({WRAPS})"
    )
    app = Flask(__name__)
    app.add_url_rule("/first", view_func=guarded[0])
    app.add_url_rule("/second", view_func=guarded[1])
    assert {"first", "second"} <= set(app.view_functions), (
        f"each guarded view keeps its own endpoint ({WRAPS})"
    )
