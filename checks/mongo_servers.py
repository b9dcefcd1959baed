"""A real MongoDB for the checks: a SecantusDB server of their own, and a database per check.

`pytest checks --mongo=secantus` starts a fresh SecantusDB server (a MongoDB-protocol server on
WiredTiger, installed by requirements-secantus.txt) for the run; `--mongo-uri URI` uses a server
of yours. Either way each check gets a database of its own, dropped after it: no other database
on the server is touched. SecantusDB is only ever started as a separate process, like mongod.
"""

import os
import sys
import tempfile
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pymongo
import pytest
from pymongo.errors import PyMongoError

from servers import POLL_INTERVAL, START_TIMEOUT, started

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
def secantus_server(port=0, storage_path=None):
    """Start a SecantusDB server on 127.0.0.1 (port 0: a free one); yield its URI; stop it after.

    Its data goes to storage_path, or to a temporary folder removed afterwards, even when the
    server had to be killed. Stopping it is SIGTERM, then SIGKILL, and it is always reaped.
    """
    with secantus_process(port, storage_path) as (uri, _server):
        yield uri


@contextmanager
def secantus_process(port=0, storage_path=None):
    """Start a SecantusDB server as secantus_server does; yield its URI and its process.

    The process is a servers.Started, in a process group of its own: a check can stop it with
    SIGSTOP (a server that hangs rather than dies) and go on with SIGCONT.
    """
    with tempfile.TemporaryDirectory(prefix="secantus-") as folder:
        # An empty configuration file of its own: no secantusd.toml lying around applies.
        config = Path(folder) / "secantusd.toml"
        config.touch()
        command = [
            str(SECANTUS),
            *("--config", str(config), "--host", "127.0.0.1", "--port", str(port)),
            *("--storage-path", str(storage_path or Path(folder) / "data")),
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
            started_uri = stack.enter_context(secantus_server())
        except AssertionError as error:
            # One message for the run, rather than the same error at every check.
            pytest.exit(f"--mongo=secantus: {error}", returncode=pytest.ExitCode.INTERNAL_ERROR)
        yield started_uri


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
