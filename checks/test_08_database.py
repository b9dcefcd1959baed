"""Step 08: a MongoDB that hangs or is down is a 503 in seconds; what needs none answers."""

import pymongo
import pytest
from pymongo.errors import ExecutionTimeout, NetworkTimeout, ServerSelectionTimeoutError

from harness.answers import UNREACHABLE_URI, assert_json_error, expect_status, said, step_code
from harness.apps import database
from harness.sections import HUNG_DATABASE

pytestmark = [pytest.mark.steps(8, 8), pytest.mark.hardening]

# What pymongo raises when MongoDB does not answer in time: a socket read that ran out of time,
# a command that timeoutMS left no time to send, no server found.
TIMEOUTS = [
    pytest.param(NetworkTimeout("timed out"), id="network-timeout"),
    pytest.param(ExecutionTimeout("operation would exceed time limit", 50), id="execution-timeout"),
    pytest.param(ServerSelectionTimeoutError("no server"), id="server-selection-timeout"),
]


@pytest.fixture
def pymongo_clients(monkeypatch):
    """Every pymongo client the step opens, with the options it was given; closed afterwards."""
    opened, real_init = [], pymongo.MongoClient.__init__

    def init_and_keep(client, *args, **kwargs):
        opened.append(client)
        real_init(client, *args, **kwargs)

    monkeypatch.setattr(pymongo.MongoClient, "__init__", init_and_keep)
    yield opened
    for client in opened:
        client.close()


def test_every_call_to_mongodb_has_a_time_limit(make_app, pymongo_clients, monkeypatch):
    # pymongo looks for a server every 0.5 s whatever the timeout: look every 10 ms instead.
    monkeypatch.setattr(pymongo.common, "MIN_HEARTBEAT_INTERVAL", 0.01)
    make_app(MONGO_CLIENT=None, MONGO_URI=UNREACHABLE_URI, MONGO_TIMEOUT_MS=50)
    assert len(pymongo_clients) == 1, f"the app opens one client: {pymongo_clients}"
    options = pymongo_clients[0].options
    assert options.timeout == 0.05, (
        "the client gives up on every operation after MONGO_TIMEOUT_MS: pass"
        " timeoutMS=MONGO_TIMEOUT_MS to MongoClient. Without it, a server that hangs (stopped,"
        f" not dead) holds each request about 30 s; timeout was {options.timeout} s"
        f" ({HUNG_DATABASE})"
    )
    assert options.server_selection_timeout == 0.05, (
        f"and looks for a server that long, as before: serverSelectionTimeoutMS ({HUNG_DATABASE})"
    )


@pytest.mark.parametrize("timeout", TIMEOUTS)
def test_a_timeout_is_the_503_of_a_database_that_does_not_answer(
    app, client, logged_in_user, monkeypatch, timeout
):
    def does_not_answer(*args, **kwargs):
        raise timeout

    # The collection class of the checks' client (mongomock's, or pymongo's on a real server).
    monkeypatch.setattr(type(database(app).logins), "find_one", does_not_answer)
    api = client.get("/api/me")
    assert_json_error(api, 503, f"GET /api/me when MongoDB raises {timeout!r}", HUNG_DATABASE)
    assert "does not answer" in api.get_json()["error"], (
        f"the 503 says that the database does not answer, as when it is down ({HUNG_DATABASE})"
    )
    page = client.get("/")
    expect_status(page, 503, f"GET / when MongoDB raises {timeout!r}", HUNG_DATABASE)


# What a logged-in browser asks for that needs no database: Brunch's files and the forms.
NO_DATABASE_NEEDED = ["/app.js", "/vendor.js", "/app.css", "/login", "/register"]


@pytest.fixture
def logged_in_client(unreachable_app):
    """A client of the app whose MongoDB is down, with a session cookie holding a login token."""
    client = unreachable_app.test_client()
    # Flask opens a session only with a SECRET_KEY to sign it, which create_app sets.
    with (
        step_code("a session cookie for the app", HUNG_DATABASE),
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
                f" before_app_request function. It answered {said(response)} ({HUNG_DATABASE})"
            )


def test_logout_clears_the_cookie_even_with_the_database_down(unreachable_app, logged_in_client):
    response = logged_in_client.post("/logout")
    assert response.status_code == 503, (
        f"POST /logout with the database down says that the login could not be ended on the"
        f" server, with a 503; it answered {said(response)} ({HUNG_DATABASE})"
    )
    name = unreachable_app.config["SESSION_COOKIE_NAME"]
    assert logged_in_client.get_cookie(name) is None, (
        f"POST /logout clears the session cookie even when the database is down: the session is"
        f" cleared before the login is deleted ({HUNG_DATABASE})"
    )
