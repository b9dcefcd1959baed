"""Step 08's settings from the environment, in one place: a production server refuses bad ones."""

import logging

import pytest

from harness.answers import UNREACHABLE_URI, step_code
from harness.apps import opened_clients, salts_of_cost_4, setting
from harness.sections import OWN_HOSTS, PROXIES, REFUSE_TO_START, SETTINGS

pytestmark = [pytest.mark.steps(8, 8), pytest.mark.hardening]

# The refusals a key too short to be secret gets, spaces not counted, and what is no key at all.
SHORT_KEYS = [
    pytest.param("x", id="one-character"),
    pytest.param("k" * 31, id="31-characters"),
    pytest.param(f"  {'k' * 30}  ", id="30-characters-in-spaces"),
]
KEY_OF_32 = f" {'k' * 32} "
# How a server calls create_app: make serve with production=True, `flask run` without.
SERVERS = [
    pytest.param(True, id="production"),
    pytest.param(False, id="flask-run"),
]


def session_cookie_flags(response, app):
    """The attributes of the session cookie the response sets (HttpOnly, Secure, ...)."""
    name = app.config["SESSION_COOKIE_NAME"]
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, f"registering should set the session cookie once ({SETTINGS})"
    return {part.strip() for part in headers[0].split(";")[1:]}


def own_app(step_app_module, monkeypatch, section, production=False):
    """Call create_app() as a server does, with no settings of the checks; return the app."""
    # The demo account and the dummy hash at cost 12 take 0.2 s each: cost 4 keeps this fast.
    salts_of_cost_4(monkeypatch)
    call = "create_app(production=True)" if production else "create_app()"
    with step_code(call, section):
        if production:
            return step_app_module.create_app(production=True)
        return step_app_module.create_app()


def test_a_random_secret_key_is_said_in_the_log(make_app, caplog):
    make_app()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("SECRET_KEY" in message for message in warnings), (
        f"the log warns that SECRET_KEY is not set, and that logins end on restart ({SETTINGS})"
    )


@pytest.mark.parametrize("production", SERVERS)
def test_session_cookie_is_secure_in_production(
    step_app_module, auth_actions, monkeypatch, mongo_client, production
):
    monkeypatch.setenv("SECRET_KEY", "a-secret-key-from-the-environment-of-40-chars")
    monkeypatch.setenv("MONGO_URI", UNREACHABLE_URI)
    salts_of_cost_4(monkeypatch)
    with step_code("create_app(production=...) with a database of the checks", SETTINGS):
        app = step_app_module.create_app({"MONGO_CLIENT": mongo_client}, production=production)
    assert app.config["SESSION_COOKIE_SECURE"] is production, (
        "production is served over HTTPS: its cookie is Secure, sent over HTTPS only; `flask"
        f" run` on local http:// sets no Secure cookie, or the browser would drop it ({SETTINGS})"
    )
    flags = session_cookie_flags(auth_actions(app).register(), app)
    assert ("Secure" in flags) is production, (
        f"the cookie is Secure in production only, not {sorted(flags)} ({SETTINGS})"
    )


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_a_real_server_without_secret_key_refuses_to_start(
    step_app_module, monkeypatch, capsys, secret_key
):
    # An env file with a line `SECRET_KEY=` sets it to nothing: no key either.
    if secret_key is not None:
        monkeypatch.setenv("SECRET_KEY", secret_key)
    why = f"in production, with SECRET_KEY {'empty' if secret_key == '' else 'unset'}"
    words = ["SECRET_KEY is not set", "SECRET_KEY="]
    assert_refuses_to_start(step_app_module, capsys, why, words, REFUSE_TO_START)


def test_a_real_server_without_mongo_uri_refuses_to_start(step_app_module, monkeypatch, capsys):
    # The server would have an embedded database, lost at each restart, with the demo account.
    monkeypatch.setenv("SECRET_KEY", "a-secret-key-from-the-environment-of-40-chars")
    why = "in production, with SECRET_KEY set and no MONGO_URI"
    words = ["MONGO_URI is not set", "MONGO_URI="]
    assert_refuses_to_start(step_app_module, capsys, why, words, REFUSE_TO_START)


def test_flask_run_without_secret_key_starts_with_a_warning(step_app_module, monkeypatch, caplog):
    with caplog.at_level(logging.WARNING):
        app = own_app(step_app_module, monkeypatch, REFUSE_TO_START)
    assert app.config["SECRET_KEY"], f"`flask run` gets a random key ({REFUSE_TO_START})"
    assert "SECRET_KEY is not set" in caplog.text, (
        f"`flask run` without SECRET_KEY warns that the key is random ({REFUSE_TO_START})"
    )


def test_production_is_chosen_by_the_server_not_guessed(step_app_module, monkeypatch):
    # No `flask` command and no settings: what Flask sets for its own commands says nothing.
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    app = own_app(step_app_module, monkeypatch, REFUSE_TO_START)
    assert app.config["SESSION_COOKIE_SECURE"] is False, (
        "create_app() without production=True is not production, whoever calls it: only a"
        f" server that says so (make serve) gets its refusals ({REFUSE_TO_START})"
    )


@pytest.mark.parametrize("production", SERVERS)
@pytest.mark.parametrize("secret_key", SHORT_KEYS)
def test_a_short_secret_key_refuses_to_start(
    step_app_module, monkeypatch, capsys, secret_key, production
):
    monkeypatch.setenv("SECRET_KEY", secret_key)
    monkeypatch.setenv("MONGO_URI", UNREACHABLE_URI)
    status, lines = refused_start(step_app_module, capsys, SETTINGS, production)
    where = "in production" if production else "under `flask run`"
    assert status == 3, (
        f"with SECRET_KEY={secret_key!r} ({len(secret_key.strip())} characters), {where}, the"
        f" app stops with status 3, as for a missing key; it"
        f" {'returned an app' if status is None else f'stopped with {status}'} ({SETTINGS})"
    )
    assert len(lines) == 1, f"it says why in one line, not {lines} ({SETTINGS})"
    assert "SECRET_KEY is too short" in lines[0], (
        f"the line starts with `SECRET_KEY is too short` and says how to make one: {lines[0]!r}"
        f" ({SETTINGS})"
    )
    assert "32" in lines[0], f"and how long a key must be: 32 characters ({SETTINGS})"


def test_a_secret_key_of_spaces_is_no_key(step_app_module, monkeypatch, capsys):
    monkeypatch.setenv("SECRET_KEY", "    ")
    monkeypatch.setenv("MONGO_URI", UNREACHABLE_URI)
    status, lines = refused_start(step_app_module, capsys, REFUSE_TO_START)
    assert (status, [line.split(":")[0] for line in lines]) == (3, ["SECRET_KEY is not set"]), (
        "SECRET_KEY='    ' is no key: in production the server stops with the line of a"
        f" missing key; it stopped with {status} and said {lines} ({REFUSE_TO_START})"
    )


def test_a_secret_key_of_32_characters_starts(step_app_module, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", KEY_OF_32)
    app = own_app(step_app_module, monkeypatch, SETTINGS)
    assert app.config["SECRET_KEY"] == KEY_OF_32.strip(), (
        f"a key of 32 characters is used, without the spaces around it ({SETTINGS})"
    )


def test_trusted_hosts_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("TRUSTED_HOSTS", " shop.example,WWW.Shop.Example ,")
    hosts = make_app().config["TRUSTED_HOSTS"]
    assert hosts == ["shop.example", "www.shop.example"], (
        "TRUSTED_HOSTS=shop.example,WWW.Shop.Example in the environment is a list of the two"
        " names in lower case (as browsers send them), spaces and empty entries left out;"
        f" found {hosts} ({SETTINGS})"
    )
    client = make_app().test_client()
    assert client.get("/login", headers={"Host": "www.shop.example"}).status_code == 200, (
        f"a listed name is served ({OWN_HOSTS})"
    )
    assert client.get("/login").status_code == 400, (
        f"localhost is not one of the names listed: 400 ({OWN_HOSTS})"
    )


def test_trusted_proxies_comes_from_the_environment(make_app, monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    default = setting(make_app(), "TRUSTED_PROXIES", PROXIES)
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert (default, make_app().config["TRUSTED_PROXIES"]) == (0, 2), (
        f"TRUSTED_PROXIES is 0 unless the environment says how many proxies stand in front, as"
        f" a whole number ({SETTINGS})"
    )


@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
def test_a_trusted_proxies_that_is_not_a_count_refuses_to_start(
    step_app_module, monkeypatch, capsys, value
):
    # An operator's mistake, under `flask run` too: -1 would turn each X-Forwarded-For into a 500.
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    why = f"with TRUSTED_PROXIES={value}, even under `flask run`"
    assert_refuses_to_start(
        step_app_module, capsys, why, ["TRUSTED_PROXIES"], SETTINGS, production=False
    )


# --- A server that refuses to start ---------------------------------------------------------


def refused_start(step_app_module, capsys, section, production=True):
    """Call create_app() as a production server does (or as `flask run` does, production=False);
    return its exit status and the lines it printed."""
    status = None
    # An app that starts when it should refuse looks for MONGO_URI's server, which these checks
    # point nowhere: it gives up after 10 ms, not the step's MONGO_TIMEOUT_MS. Without MONGO_URI
    # it hashes the demo password at bcrypt's cheapest cost, not its default 12 (0.2 s).
    call = "create_app(production=True)" if production else "create_app()"
    with (
        pytest.MonkeyPatch.context() as patch,
        step_code(call, section),
    ):
        opened = opened_clients(
            patch, serverSelectionTimeoutMS=10, connectTimeoutMS=10, timeoutMS=10
        )
        salts_of_cost_4(patch)
        try:
            if production:
                step_app_module.create_app(production=True)
            else:
                step_app_module.create_app()
        except SystemExit as stopped:
            status = stopped.code
        finally:
            for client in opened:
                client.close()
    return status, capsys.readouterr().err.splitlines()


def assert_refuses_to_start(step_app_module, capsys, why, words, section, production=True):
    """create_app() stops with a non-zero status and one line holding all the words."""
    status, lines = refused_start(step_app_module, capsys, section, production)
    call = "create_app(production=True)" if production else "create_app()"
    assert status not in (None, 0), (
        f"{why}, {call} stops the server (SystemExit) with a non-zero status; it"
        f" {'returned an app' if status is None else f'stopped with {status}'} ({section})"
    )
    assert len(lines) == 1, f"{why}, it says why in one line, not {lines} ({section})"
    assert all(word in lines[0] for word in words), (
        f"{why}, the line says what is wrong and how to set it right, with {words}:"
        f" {lines[0]!r} ({section})"
    )
