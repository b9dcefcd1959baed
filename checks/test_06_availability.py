"""Step 06: a MongoDB that hangs is a 503 in seconds; pages about the user stay out of caches;
a SECRET_KEY short enough to guess stops the server."""

import pymongo
import pytest
from pymongo.errors import ExecutionTimeout, NetworkTimeout, ServerSelectionTimeoutError

from answers import UNREACHABLE_URI, assert_json_error, expect_status, step_code
from sections import HUNG_DATABASE, LONG_SECRET_KEY, NOT_CACHED
from support import database, refused_start, salts_of_cost_4

pytestmark = [pytest.mark.steps(6, 6), pytest.mark.hardening]

# What pymongo raises when MongoDB does not answer in time: a socket read that ran out of time,
# a command that timeoutMS left no time to send, no server found.
TIMEOUTS = [
    pytest.param(NetworkTimeout("timed out"), id="network-timeout"),
    pytest.param(ExecutionTimeout("operation would exceed time limit", 50), id="execution-timeout"),
    pytest.param(ServerSelectionTimeoutError("no server"), id="server-selection-timeout"),
]
# The refusals a key too short to be secret gets, spaces not counted, and what is no key at all.
SHORT_KEYS = [
    pytest.param("x", id="one-character"),
    pytest.param("k" * 31, id="31-characters"),
    pytest.param(f"  {'k' * 30}  ", id="30-characters-in-spaces"),
]
KEY_OF_32 = f" {'k' * 32} "


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


def test_the_page_that_shows_the_user_is_not_cached(client, logged_in_user):
    response = client.get("/")
    expect_status(response, 200, "GET / logged in", NOT_CACHED)
    assert response.headers.get("Cache-Control") == "no-store", (
        "the page at / holds the user's name: Cache-Control: no-store keeps it out of shared"
        " caches and of the browser's disk, as for the API's answers; it sent"
        f" {response.headers.get('Cache-Control')!r} ({NOT_CACHED})"
    )


@pytest.mark.parametrize("flask_run", [False, True], ids=["real-server", "flask-run"])
@pytest.mark.parametrize("secret_key", SHORT_KEYS)
def test_a_short_secret_key_refuses_to_start(
    step_app_module, monkeypatch, capsys, secret_key, flask_run
):
    monkeypatch.setenv("SECRET_KEY", secret_key)
    monkeypatch.setenv("MONGO_URI", UNREACHABLE_URI)
    if flask_run:
        monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    else:
        monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    status, lines = refused_start(step_app_module, capsys, LONG_SECRET_KEY)
    where = "under `flask run`" if flask_run else "as gunicorn calls create_app()"
    assert status == 3, (
        f"with SECRET_KEY={secret_key!r} ({len(secret_key.strip())} characters), {where}, the"
        f" app stops with status 3, as for a missing key; it"
        f" {'returned an app' if status is None else f'stopped with {status}'} ({LONG_SECRET_KEY})"
    )
    assert len(lines) == 1, f"it says why in one line, not {lines} ({LONG_SECRET_KEY})"
    assert "SECRET_KEY is too short" in lines[0], (
        f"the line starts with `SECRET_KEY is too short` and says how to make one: {lines[0]!r}"
        f" ({LONG_SECRET_KEY})"
    )
    assert "32" in lines[0], f"and how long a key must be: 32 characters ({LONG_SECRET_KEY})"


def test_a_secret_key_of_spaces_is_no_key(step_app_module, monkeypatch, capsys):
    monkeypatch.setenv("SECRET_KEY", "    ")
    monkeypatch.setenv("MONGO_URI", UNREACHABLE_URI)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    status, lines = refused_start(step_app_module, capsys, LONG_SECRET_KEY)
    assert (status, [line.split(":")[0] for line in lines]) == (3, ["SECRET_KEY is not set"]), (
        "SECRET_KEY='    ' is no key: the server stops with the line of a missing key; it"
        f" stopped with {status} and said {lines} ({LONG_SECRET_KEY})"
    )


def test_a_secret_key_of_32_characters_starts(step_app_module, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", KEY_OF_32)
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    # The demo account and the dummy hash at cost 12 take 0.2 s each: cost 4 keeps this fast.
    salts_of_cost_4(monkeypatch)
    with step_code("create_app() with a SECRET_KEY of 32 characters", LONG_SECRET_KEY):
        app = step_app_module.create_app()
    assert app.config["SECRET_KEY"] == KEY_OF_32.strip(), (
        f"a key of 32 characters is used, without the spaces around it ({LONG_SECRET_KEY})"
    )
