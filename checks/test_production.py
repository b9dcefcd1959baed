"""Going to production: make serve, gunicorn's workers sharing one real MongoDB."""

import contextlib
import http.client
import json
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from mongo_servers import real_server_only
from sections import PRODUCTION, REFUSE_TO_START, SERVE_RECIPE, THROTTLE
from servers import MAKE_SERVE, SERVE_WORKERS, STOP_TIMEOUT, make_serve, run
from support import PASSWORD, ROOT, USERNAME

pytestmark = [pytest.mark.steps(8, 8), pytest.mark.hardening]


# Seconds make serve may take to refuse a bad setting: a refusal comes before any worker starts.
REFUSAL_TIMEOUT = 20
# On top of make serve's access log: a format that names the worker (its process id) behind
# every answer. gunicorn reads extra settings from GUNICORN_CMD_ARGS.
WATCHING = """--access-logformat '%(p)s %(s)s "%(r)s"'"""
READS = 30
# Requests at once: more than one worker must answer them.
AT_ONCE = 6


class Visitor:
    """A client of the server at 127.0.0.1:port that keeps its session cookie, as a browser."""

    def __init__(self, port):
        self.port = port
        self.cookie = None

    def send(self, method, path, body=None, content_type=None):
        """Send a request on a connection of its own; return the status and the body's text."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=STOP_TIMEOUT * 3)
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

    def post_form(self, path, **fields):
        """Post a form, as the register and login pages do."""
        return self.send("POST", path, urlencode(fields), "application/x-www-form-urlencoded")


def production_environment(mongo_uri):
    """The environment of a deployment: a SECRET_KEY and the real server's MONGO_URI."""
    # os.environ names the check's database in MONGO_DBNAME (the mongo_client fixture).
    environment = {**os.environ, "SECRET_KEY": secrets.token_hex(32), "MONGO_URI": mongo_uri}
    return {**environment, "GUNICORN_CMD_ARGS": WATCHING}


@contextlib.contextmanager
def serving_gunicorn(environment):
    """Run make serve until its workers answer; yield it and its port."""
    with make_serve(environment, ROOT) as (server, port):
        yield server, port


def answers_by_worker(log):
    """The check's reads in gunicorn's access log: {read number: (worker pid, status)}."""
    pattern = r'^<(\d+)> (\d{3}) "(?:GET|POST) /(?:api/me|api/items/|login)\?read=(\d+) HTTP/1\.1"$'
    return {
        int(read): (pid, int(status))
        for pid, status, read in re.findall(pattern, log, re.MULTILINE)
    }


@pytest.mark.real_server
@pytest.mark.slow
def test_gunicorn_workers_share_logins_and_items_through_mongodb(mongo_server, mongo_client):
    real_server_only(mongo_server)
    assert "\nserve:" in (ROOT / "Makefile").read_text(), (
        f"the Makefile has make serve, the production recipe this check runs ({SERVE_RECIPE})"
    )
    with serving_gunicorn(production_environment(mongo_server)) as (server, port):
        visitor = Visitor(port)
        register = visitor.post_form("/register", username=USERNAME, password=PASSWORD)
        assert register[0] == 302, f"registering under gunicorn: {register}"
        login = visitor.post_form("/login", username=USERNAME, password=PASSWORD)
        assert login[0] == 302, f"logging in under gunicorn: {login}"
        created = visitor.send(
            "POST", "/api/items/", json.dumps({"title": "shared"}), "application/json"
        )
        assert created[0] == 201, f"creating an item under gunicorn: {created}"
        paths = [f"/api/{'me' if n % 2 else 'items/'}?read={n}" for n in range(READS)]
        with ThreadPoolExecutor(AT_ONCE) as pool:
            reads = list(pool.map(lambda path: visitor.send("GET", path), paths))
        server.wait_for(lambda: len(answers_by_worker(server.stdout())) == READS, "logging")
        log = server.output()
    for path, (status, body) in zip(paths, reads, strict=True):
        assert status == 200, f"GET {path} under gunicorn answered {status}: {body}"
        wanted = USERNAME if "/me" in path else "shared"
        assert wanted in body, (
            f"every worker sees the login and the item, whichever answers: GET {path} gave"
            f" {body}. Set SECRET_KEY and MONGO_URI for all workers ({PRODUCTION})"
        )
    workers = {pid for pid, _status in answers_by_worker(log).values()}
    assert len(workers) > 1, (
        f"more than one of the {SERVE_WORKERS} workers answered the {READS} reads: {workers}"
    )
    assert "Embedded database" not in log, "the workers use MONGO_URI, not an embedded database"
    assert "SECRET_KEY is not set" not in log, "the workers use SECRET_KEY from the environment"


def assert_gunicorn_refuses_without(step_dir, setting, environment):
    """make serve stops before any worker starts, saying in one line that setting is unset."""
    why = f"without {setting}"
    assert_make_serve_refuses(step_dir, why, f"{setting} is not set", environment)


def assert_make_serve_refuses(step_dir, why, first_words, environment):
    """make serve DIR=step_dir stops before any worker starts, in one line with first_words."""
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
        f"make serve {why} says why in one line starting with {first_words!r}, once (not once"
        f" per worker) and with no traceback: {said[:12]} ({REFUSE_TO_START})"
    )
    assert "Booting worker" not in result.stdout + result.stderr, (
        f"no worker starts: make serve makes the app once before them (--check-config)"
        f" ({SERVE_RECIPE})"
    )


@pytest.mark.slow
@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_gunicorn_without_secret_key_refuses_to_start_in_one_line(step_dir, secret_key):
    # Each worker would make a random key of its own: a login would work on one worker only.
    # SECRET_KEY is looked at first: without MONGO_URI either, its line is the one said.
    environment = {**os.environ, "MONGO_URI": "", "SECRET_KEY": secret_key}
    if secret_key is None:
        environment.pop("SECRET_KEY")
    assert_gunicorn_refuses_without(step_dir, "SECRET_KEY", environment)


@pytest.mark.slow
def test_gunicorn_without_mongo_uri_refuses_to_start_in_one_line(step_dir):
    # Each worker would have an embedded database of its own, holding the public demo account:
    # a login would work on one worker only, and the throttle would count per worker.
    environment = {**os.environ, "SECRET_KEY": secrets.token_hex(32), "MONGO_URI": ""}
    assert_gunicorn_refuses_without(step_dir, "MONGO_URI", environment)


@pytest.mark.slow
def test_make_serve_refuses_a_short_secret_key_in_one_line(step_dir):
    # A key a computer could guess signs anyone's login: 32 characters at least, spaces aside.
    environment = {**os.environ, "SECRET_KEY": " x ", "MONGO_URI": "mongodb://127.0.0.1:1/"}
    why = "with SECRET_KEY=' x '"
    assert_make_serve_refuses(step_dir, why, "SECRET_KEY is too short", environment)


@pytest.mark.real_server
@pytest.mark.slow
def test_gunicorn_workers_share_the_login_throttle_and_it_survives_a_restart(
    mongo_server, mongo_client
):
    real_server_only(mongo_server)
    environment = production_environment(mongo_server)
    guesses = 8
    with serving_gunicorn(environment) as (server, port):
        visitor = Visitor(port)
        register = visitor.post_form("/register", username=USERNAME, password=PASSWORD)
        assert register[0] == 302, f"registering under gunicorn: {register}"
        stranger = Visitor(port)
        paths = [f"/login?read={n}" for n in range(guesses)]
        with ThreadPoolExecutor(AT_ONCE) as pool:
            answers = list(
                pool.map(
                    lambda path: stranger.post_form(
                        path, username=USERNAME, password="wrong-guess"
                    ),
                    paths,
                )
            )
        server.wait_for(lambda: len(answers_by_worker(server.stdout())) == guesses, "logging")
        workers = {pid for pid, _status in answers_by_worker(server.output()).values()}
    statuses = sorted(status for status, _body in answers)
    counted_in_mongodb = (
        f"{guesses} wrong passwords spread over {len(workers)} workers: at most 5 are checked"
        f" (401) and the rest refused (429, or 503 when bcrypt is busy), because every worker"
        f" counts in MongoDB's login_attempts; got {statuses} ({THROTTLE})"
    )
    # A 503: counted, then turned away by a worker's full bcrypt queue.
    assert set(statuses) <= {401, 429, 503}, counted_in_mongodb
    assert 1 <= statuses.count(401) <= 5, counted_in_mongodb
    assert len(workers) > 1, f"more than one worker answered the {guesses} guesses: {workers}"
    # A new server, as after a deploy: the count is in MongoDB, not in a worker's memory.
    with serving_gunicorn(environment) as (_server, port):
        status, _body = Visitor(port).post_form("/login", username=USERNAME, password=PASSWORD)
    assert status == 429, (
        f"after a restart, the right password of a locked name still waits: {status}, not 429"
        f" ({THROTTLE})"
    )
    assert mongo_client[os.environ["MONGO_DBNAME"]].logins.count_documents({}) == 1, (
        "only the registration's login exists: no guess and no locked login made one"
    )
