"""Going to production: make serve, several servers sharing one real MongoDB."""

import contextlib
import http.client
import json
import os
import re
import secrets
from urllib.parse import urlencode

import pytest

from harness.apps import PASSWORD, USERNAME
from harness.sections import PRODUCTION, REFUSE_TO_START, SERVE_RECIPE, THROTTLE
from harness.servers import MAKE_SERVE, STOP_TIMEOUT, make_serve, real_server_only, run
from harness.steps import ROOT

pytestmark = [pytest.mark.steps(8, 8), pytest.mark.hardening]


# Seconds make serve may take to refuse a bad setting: a refusal comes before it listens.
REFUSAL_TIMEOUT = 20
READS = 10


class Visitor:
    """A client of the servers at 127.0.0.1 that keeps its session cookie, as a browser."""

    def __init__(self, port):
        self.port = port
        self.cookie = None

    def send(self, method, path, body=None, content_type=None, port=None):
        """Send a request (to port, else the visitor's); return the status and the body's text."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", port or self.port, timeout=STOP_TIMEOUT * 3
        )
        headers = {"Content-Type": content_type} if content_type else {}
        if self.cookie:
            # The cookie is Secure (SECRET_KEY is set): the HTTPS proxy in front would pass it on.
            headers["Cookie"] = self.cookie
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                self.cookie = header.split(";")[0]
            return response.status, response.read().decode()
        finally:
            connection.close()

    def post_form(self, path, port=None, **fields):
        """Post a form, as the register and login pages do."""
        form = "application/x-www-form-urlencoded"
        return self.send("POST", path, urlencode(fields), form, port)


def production_environment(mongo_uri):
    """The environment of a deployment: a SECRET_KEY and the real server's MONGO_URI."""
    # os.environ names the check's database in MONGO_DBNAME (the mongo_client fixture).
    return {**os.environ, "SECRET_KEY": secrets.token_hex(32), "MONGO_URI": mongo_uri}


@contextlib.contextmanager
def two_servers(environment):
    """Run make serve twice, as two processes behind one proxy; yield their two ports."""
    with (
        make_serve(environment, ROOT) as (_first, first_port),
        make_serve(environment, ROOT) as (_second, second_port),
    ):
        yield first_port, second_port


@pytest.mark.real_server
@pytest.mark.slow
def test_two_servers_share_logins_and_items_through_mongodb(mongo_server, mongo_client):
    real_server_only(mongo_server)
    assert "\nserve:" in (ROOT / "Makefile").read_text(), (
        f"the Makefile has make serve, the production recipe this check runs ({SERVE_RECIPE})"
    )
    with two_servers(production_environment(mongo_server)) as (first, second):
        visitor = Visitor(first)
        register = visitor.post_form("/register", username=USERNAME, password=PASSWORD)
        assert register[0] == 302, f"registering under make serve: {register}"
        login = visitor.post_form("/login", username=USERNAME, password=PASSWORD)
        assert login[0] == 302, f"logging in under make serve: {login}"
        created = visitor.send(
            "POST", "/api/items/", json.dumps({"title": "shared"}), "application/json"
        )
        assert created[0] == 201, f"creating an item under make serve: {created}"
        paths = [f"/api/{'me' if n % 2 else 'items/'}" for n in range(READS)]
        reads = [(path, visitor.send("GET", path, port=second)) for path in paths]
    for path, (status, body) in reads:
        assert status == 200, f"GET {path} from the second server answered {status}: {body}"
        wanted = USERNAME if "/me" in path else "shared"
        assert wanted in body, (
            f"a second server process sees the login and the item the first one made: GET"
            f" {path} gave {body}. Set the same SECRET_KEY and MONGO_URI for every process"
            f" ({PRODUCTION})"
        )


def assert_make_serve_refuses_without(step_dir, setting, environment):
    """make serve stops before it listens, saying in one line that setting is unset."""
    why = f"without {setting}"
    assert_make_serve_refuses(step_dir, why, f"{setting} is not set", environment)


def assert_make_serve_refuses(step_dir, why, first_words, environment):
    """make serve DIR=step_dir stops before it listens, in one line with first_words."""
    command = [*MAKE_SERVE, f"DIR={step_dir}"]
    try:
        result = run(command, cwd=ROOT, env=environment, timeout=REFUSAL_TIMEOUT)
    except AssertionError as went_on:
        pytest.fail(
            f"make serve {why} should stop at once with one line starting with {first_words!r};"
            f" it was still running after {REFUSAL_TIMEOUT} s ({REFUSE_TO_START}). The start of"
            f" what it printed: {str(went_on)[:600]}",
            pytrace=False,
        )
    # make's own last line, "make: *** [Makefile:NN: serve] Error 3", is not the app's.
    said = [line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?: ", line)]
    assert result.returncode != 0, (
        f"make serve {why} stops with a non-zero status, not {result.returncode}"
        f" ({REFUSE_TO_START})"
    )
    assert [line.startswith(first_words) for line in said] == [True], (
        f"make serve {why} says why in one line starting with {first_words!r}, once and with"
        f" no traceback: {said[:12]} ({REFUSE_TO_START})"
    )
    assert "Serving on" not in result.stdout + result.stderr, (
        f"make serve {why} never listens: create_app refuses before waitress serves"
        f" ({SERVE_RECIPE})"
    )


@pytest.mark.slow
@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_make_serve_without_secret_key_refuses_to_start_in_one_line(step_dir, secret_key):
    # Each server process would make a random key of its own: a login would hold on one only.
    # SECRET_KEY is looked at first: without MONGO_URI either, its line is the one said.
    environment = {**os.environ, "MONGO_URI": "", "SECRET_KEY": secret_key}
    if secret_key is None:
        environment.pop("SECRET_KEY")
    assert_make_serve_refuses_without(step_dir, "SECRET_KEY", environment)


@pytest.mark.slow
def test_make_serve_without_mongo_uri_refuses_to_start_in_one_line(step_dir):
    # Each server process would have an embedded database of its own, holding the public demo
    # account: a login would hold on one only, and the throttle would count per process.
    environment = {**os.environ, "SECRET_KEY": secrets.token_hex(32), "MONGO_URI": ""}
    assert_make_serve_refuses_without(step_dir, "MONGO_URI", environment)


@pytest.mark.slow
def test_make_serve_refuses_a_short_secret_key_in_one_line(step_dir):
    # A key a computer could guess signs anyone's login: 32 characters at least, spaces aside.
    environment = {**os.environ, "SECRET_KEY": " x ", "MONGO_URI": "mongodb://127.0.0.1:1/"}
    why = "with SECRET_KEY=' x '"
    assert_make_serve_refuses(step_dir, why, "SECRET_KEY is too short", environment)


@pytest.mark.real_server
@pytest.mark.slow
def test_two_servers_share_the_login_throttle_and_it_survives_a_restart(mongo_server, mongo_client):
    real_server_only(mongo_server)
    environment = production_environment(mongo_server)
    guesses = 8
    with two_servers(environment) as ports:
        register = Visitor(ports[0]).post_form("/register", username=USERNAME, password=PASSWORD)
        assert register[0] == 302, f"registering under make serve: {register}"
        stranger = Visitor(ports[0])
        # Every other guess goes to the other process, as a proxy spreads them.
        statuses = sorted(
            stranger.post_form("/login", ports[n % 2], username=USERNAME, password="wrong-guess")[0]
            for n in range(guesses)
        )
    counted_in_mongodb = (
        f"{guesses} wrong passwords spread over two server processes: 5 are checked (401) and"
        f" the rest refused (429), because every process counts in MongoDB's login_attempts;"
        f" got {statuses} ({THROTTLE})"
    )
    assert statuses == [401] * 5 + [429] * (guesses - 5), counted_in_mongodb
    # A new server, as after a deploy: the count is in MongoDB, not in a process's memory.
    with make_serve(environment, ROOT) as (_server, port):
        status, _body = Visitor(port).post_form("/login", username=USERNAME, password=PASSWORD)
    assert status == 429, (
        f"after a restart, the right password of a locked name still waits: {status}, not 429"
        f" ({THROTTLE})"
    )
    assert mongo_client[os.environ["MONGO_DBNAME"]].logins.count_documents({}) == 1, (
        "only the registration's login exists: no guess and no locked login made one"
    )
