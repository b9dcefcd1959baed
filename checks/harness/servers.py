"""Real servers and processes for the checks, started and always stopped; a real MongoDB.

A Flask app is served from a thread of this process (`serving`); a command such as `make run`
runs in a process group of its own (`started`, `run`), so that stopping it stops whatever it
started too. Every wait is for a condition (a port, a line of output), bounded by a timeout.

`pytest checks --mongo=secantus` starts a fresh SecantusDB server (a MongoDB-protocol server on
WiredTiger, installed by requirements-secantus.txt) for the run; `--mongo-uri URI` uses a server
of yours. Either way each check gets a database of its own, dropped after it: no other database
on the server is touched. SecantusDB is only ever started as a separate process, like mongod.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from urllib.parse import urlencode

import pymongo
import pytest
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import PyMongoError
from werkzeug.serving import make_server

# Generous, for a first run on a cold or busy machine, yet bounded: seconds.
START_TIMEOUT = 60
STOP_TIMEOUT = 10
RUN_TIMEOUT = 300
# How often a wait looks at its condition again: seconds.
POLL_INTERVAL = 0.01


@contextmanager
def serving(app):
    """Serve a Flask app from a threaded server on a free port of 127.0.0.1; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: shutdown() waits for the serving loop to look (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(STOP_TIMEOUT)


def free_port():
    """Return a TCP port of 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_status(port, path="/"):
    """The status GET path gets from 127.0.0.1:port (a redirect too); None if nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=STOP_TIMEOUT)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def signal_group(process, signal_number):
    """Send a signal to the process group a process leads; a group gone already is no error."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal_number)


def stop(process):
    """Stop a process started in a group of its own, and all it started; always reap it."""
    signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
    # A child that outlived the leader (make's flask, the reloader's server) must not keep
    # running, holding a port or a CPU.
    signal_group(process, signal.SIGKILL)


class Started:
    """A command running in a process group of its own, what it prints going to two files."""

    def __init__(self, command, folder, **popen_options):
        self.command = command
        self.stdout_path, self.stderr_path = folder / "stdout.txt", folder / "stderr.txt"
        with open(self.stdout_path, "wb") as stdout, open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                command, stdout=stdout, stderr=stderr, start_new_session=True, **popen_options
            )

    def stdout(self):
        """What the command has printed on its standard output so far."""
        return self.stdout_path.read_text(errors="replace")

    def output(self):
        """What the command has printed so far, on both outputs."""
        return self.stdout() + self.stderr_path.read_text(errors="replace")

    def wait_for(self, condition, what, timeout=START_TIMEOUT):
        """Wait until condition() returns something true, and return it."""
        # The command exiting first, or the timeout passing, fails the check with its output.
        deadline = time.monotonic() + timeout
        while True:
            found = condition()
            if found:
                return found
            exited = self.process.poll()
            if exited is not None or time.monotonic() > deadline:
                why = f"exited with {exited}" if exited is not None else f"ran {timeout} s"
                raise AssertionError(
                    f"{self.command} {why} without {what}. It printed:\n{self.output()}"
                )
            time.sleep(POLL_INTERVAL)

    def wait_for_output(self, pattern, timeout=START_TIMEOUT):
        """Wait until the output matches a regular expression; return the match."""
        return self.wait_for(
            lambda: re.search(pattern, self.output(), re.MULTILINE),
            f"printing {pattern!r}",
            timeout,
        )


@contextmanager
def started(command, **popen_options):
    """Start a command (a list, or a string with shell=True); stop it and its children after."""
    with tempfile.TemporaryDirectory(prefix="started-") as folder:
        running = Started(command, Path(folder), **popen_options)
        try:
            yield running
        finally:
            stop(running.process)


def run(command, timeout=RUN_TIMEOUT, **popen_options):
    """Run a command to its end, like subprocess.run(command, capture_output=True, text=True)."""
    # Past the timeout it is stopped with all it started, and the check fails saying so.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **popen_options,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process)
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"{command} did not finish within {timeout} s. It printed:\n{stdout}{stderr}"
        ) from None
    finally:
        # Nothing it started in the background may outlive it.
        signal_group(process, signal.SIGKILL)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


# `make serve` as the checks run it: PORT=0 takes a free port, which waitress's log names. The
# set-up is make setup's to prove (make test runs it first): -o leaves the venv and the built
# front end as they are, so that a check never installs anything.
MAKE_SERVE = [
    *("make", "--no-print-directory", "-o", ".venv/.installed", "-o", "frontend/public/index.html"),
    *("serve", "PORT=0"),
]


# What the register and login forms send.
FORM = "application/x-www-form-urlencoded"


def send(port, method, path, body=None, headers=None, address="192.0.2.1", timeout=30):
    """One request on a connection of its own, as the proxy in front would pass it on from a
    client at address; return (status, headers, body text, seconds taken)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    # TRUSTED_PROXIES=1: the app takes the client's address from the proxy's X-Forwarded-For.
    headers = {"X-Forwarded-For": address, **(headers or {})}
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        return response.status, response.headers, text, time.perf_counter() - started
    finally:
        connection.close()


def post_form(port, path, address, **fields):
    """Post a form, as the register and login pages do."""
    return send(port, "POST", path, urlencode(fields), {"Content-Type": FORM}, address)


@contextmanager
def make_serve(environment, cwd):
    """Run make serve in cwd until it answers; yield it (a Started) and its port."""
    with started(MAKE_SERVE, cwd=cwd, env=environment) as server:
        port = int(server.wait_for_output(r"Serving on http://127\.0\.0\.1:(\d+)").group(1))
        server.wait_for(lambda: http_status(port, "/login") == 200, "answering GET /login")
        yield server, port


# Installed next to the Python that runs the checks, by `pip install -r requirements-secantus.txt`.
SECANTUS = Path(sys.executable).parent / "secantusd-py"
LISTENING = r"listening on 127\.0\.0\.1:(\d+)"
# Where `make mongo` serves, as WORKSHOP.md's commands point a step at it.
MAKE_MONGO_URI = "mongodb://127.0.0.1:27017/"


def secantus_installed():
    """Tell whether SecantusDB's server command is installed next to this Python."""
    return SECANTUS.is_file()


def real_server_only(uri, needs_secantus=False):
    """Skip a check that needs the run on a real server (uri), or SecantusDB to start one more."""
    if uri is None:
        pytest.skip(
            "on a real MongoDB server only, as make test's second run has it:"
            " pytest checks -m 'not browser' --mongo=secantus"
        )
    if needs_secantus and not secantus_installed():
        pytest.skip(
            "starts a SecantusDB server of its own: pip install -r requirements-secantus.txt"
        )


def answers(uri):
    """Tell whether a MongoDB server answers a ping at uri right now."""
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=int(POLL_INTERVAL * 1000) + 100)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


@contextmanager
def secantus_server(port=0):
    """Start a SecantusDB server on 127.0.0.1 (port 0: a free one); yield its URI and its process.

    Its data goes to a temporary folder removed afterwards, even when the server had to be
    killed. Stopping it is SIGTERM, then SIGKILL, and it is always reaped. The process is a
    servers.Started, in a process group of its own: a check can stop it with SIGSTOP (a server
    that hangs rather than dies) and go on with SIGCONT.
    """
    with tempfile.TemporaryDirectory(prefix="secantus-") as folder:
        # An empty configuration file of its own: no secantusd.toml lying around applies.
        config = Path(folder) / "secantusd.toml"
        config.touch()
        command = [
            str(SECANTUS),
            *("--config", str(config), "--host", "127.0.0.1", "--port", str(port)),
            *("--storage-path", str(Path(folder) / "data")),
            # INFO: it says which port it took.
            *("--log-level", "INFO"),
        ]
        with started(command) as server:
            chosen = server.wait_for_output(LISTENING, START_TIMEOUT).group(1)
            uri = f"mongodb://127.0.0.1:{chosen}/"
            server.wait_for(lambda: answers(uri), f"answering at {uri}")
            yield uri, server


@contextmanager
def run_server(engine, uri):
    """The real server of a test run: uri, a fresh SecantusDB (engine "secantus"), or None."""
    if uri or engine != "secantus":
        yield uri or None
        return
    if not secantus_installed():
        pytest.exit(
            f"--mongo=secantus: {SECANTUS} is not installed. Install it with"
            f" `{Path(sys.executable).parent}/pip install -r requirements-secantus.txt`.",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
    with ExitStack() as stack:
        try:
            started_uri, _server = stack.enter_context(secantus_server())
        except AssertionError as error:
            # One message for the run, rather than the same error at every check.
            pytest.exit(f"--mongo=secantus: {error}", returncode=pytest.ExitCode.INTERNAL_ERROR)
        yield started_uri


class SecantusCollection(Collection):
    """A collection whose upserts answer with the document after them, as MongoDB's do."""

    def find_one_and_update(self, filter, update, *args, **kwargs):
        """MongoDB's find_one_and_update: SecantusDB 0.7.0b3 answers None to racing upserts."""
        # Upserts that race to make a document are all applied, but some are answered None.
        document = super().find_one_and_update(filter, update, *args, **kwargs)
        if document is None and kwargs.get("upsert") and kwargs.get("return_document"):
            return self.find_one(filter, kwargs.get("projection"))
        return document


class SecantusDatabase(Database):
    """A database whose collections are SecantusCollection."""

    def __getitem__(self, name):
        return SecantusCollection(self, name)


class SecantusClient(pymongo.MongoClient):
    """The checks' client of SecantusDB: where the engine differs from MongoDB, MongoDB's way."""

    def __getitem__(self, name):
        return SecantusDatabase(self, name)


@contextmanager
def database_of_its_own(client):
    """The name of a new database on the client's server; it is dropped afterwards, only it."""
    name = f"checks_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        client.drop_database(name)


@contextmanager
def make_mongo_stand_in():
    """The run's real server in place of make mongo's: MONGO_URI and a new MONGO_DBNAME set.

    A documented command run meanwhile uses them through the environment; the database is
    dropped afterwards. On mongomock the check is skipped: the commands need a real server.
    """
    uri = os.environ.get("CHECKS_MONGO_URI")
    real_server_only(uri)
    with (
        pymongo.MongoClient(uri) as client,
        database_of_its_own(client) as name,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("MONGO_URI", uri)
        patch.setenv("MONGO_DBNAME", name)
        yield
