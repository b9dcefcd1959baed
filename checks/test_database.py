"""Your own MongoDB: a database per step, `flask init-db [--demo]`, and indexes that never miss.

docs/embedded-database.md teaches all three; each message names it, and the step section of the
module it is in.
"""

import logging
import os
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mongomock
import pymongo
import pytest
from pymongo.errors import ServerSelectionTimeoutError

from harness.answers import UNREACHABLE_ADDRESS, expect_status, said, step_code, uri_parts_in
from harness.apps import PASSWORD, checks_config, database, from_step
from harness.sections import (
    ACCOUNTS,
    COMMAND_LINE,
    LATE_INDEXES,
    LOGIN_LIFETIME,
    METHODVIEW,
    ONE_SPELLING,
    STEP02_MODULES,
    UNREACHABLE,
)
from harness.servers import (
    MAKE_SERVE,
    answers,
    free_port,
    real_server_only,
    run,
    secantus_server,
    started,
)
from harness.steps import ROOT

pytestmark = [pytest.mark.steps(2, 8), pytest.mark.hardening]

OWN_MONGODB = "see docs/embedded-database.md"
UNIQUE_USERNAME = (("username", 1),)
LIST_PAGE = (("owner_id", 1), ("created_at", -1), ("_id", -1))
# The flask command next to the Python that runs the checks.
FLASK = Path(sys.executable).parent / "flask"
# Seconds a command may take to refuse a database it cannot serve.
REFUSAL_TIMEOUT = 20


def everything_in(db):
    """Every document of every collection, in order: to compare before and after a command."""
    return {name: list(db[name].find().sort("_id")) for name in db.list_collection_names()}


def indexes(db):
    """Each index of the users and items collections: (collection, its keys, whether unique)."""
    return {
        (name, tuple(info["key"]), bool(info.get("unique")))
        for name in ("users", "items")
        for info in db[name].index_information().values()
    }


def ttl_indexes(db):
    """Each TTL index of the login_attempts and logins collections: (collection, keys, seconds)."""
    return {
        (name, tuple(info["key"]), info["expireAfterSeconds"])
        for name in ("login_attempts", "logins")
        for info in db[name].index_information().values()
        if "expireAfterSeconds" in info
    }


# What deletes an ended window of login attempts, and an ended login: both are made, and shown,
# together (LOGIN_LIFETIME).
TTL_INDEXES = (
    ("login_attempts", (("expires_at", 1),), 0),
    ("logins", (("expires_at", 1),), 0),
)


def init_db(app, *options):
    """Run `flask init-db` with options on the app, which must have it; return Click's result."""
    assert "init-db" in app.cli.commands, (
        "from step 02 on, demo.py adds a `flask init-db [--demo]` command to the app"
        f"; {OWN_MONGODB} ({STEP02_MODULES})"
    )
    return app.test_cli_runner().invoke(args=["init-db", *options])


def succeeded(result, command):
    """Fail, saying what it printed or raised, unless a command ran to a good end."""
    assert result.exit_code == 0, (
        f"`{command}` should succeed on a real MongoDB; it printed {result.output.strip()!r}"
        f" and raised {result.exception!r}; {OWN_MONGODB} ({STEP02_MODULES})"
    )


# --- A database per step -------------------------------------------------------------------------


def test_each_step_has_a_database_of_its_own(step_app_module, step_dir, monkeypatch):
    # A mongomock client whatever the run: the step's default name is all that is looked at.
    config = checks_config(mongomock.MongoClient(tz_aware=True))
    monkeypatch.delenv("MONGO_DBNAME", raising=False)
    number = from_step(step_dir, "STEP_NUMBER")
    with step_code("create_app(test_config)", STEP02_MODULES):
        name = step_app_module.create_app(config).config.get("MONGO_DBNAME")
        monkeypatch.setenv("MONGO_DBNAME", "elsewhere")
        named = step_app_module.create_app(config).config.get("MONGO_DBNAME")
    assert name == f"workshop_{number}", (
        f"step {number} keeps its data in a database of its own, workshop_{number}, not {name!r}:"
        f" steps on one server never see each other's data; {OWN_MONGODB} ({STEP02_MODULES})"
    )
    assert named == "elsewhere", (
        f"MONGO_DBNAME from the environment names another database ({STEP02_MODULES})"
    )


# --- flask init-db [--demo] -------------------------------------------------------------------


def test_init_db_refuses_the_embedded_database(make_app):
    result = init_db(make_app(MONGO_CLIENT=None, MONGO_URI=""), "--demo")
    refusal = (
        "`flask init-db` refuses when MONGO_URI is unset or empty, saying so in one line: the"
        f" embedded database dies with the command; {OWN_MONGODB} ({STEP02_MODULES})"
    )
    assert result.exit_code != 0, refusal
    assert "MONGO_URI" in result.output, refusal
    assert len(result.output.strip().splitlines()) == 1, (
        f"init-db refuses in one line, not {result.output!r} ({STEP02_MODULES})"
    )


def test_init_db_alone_adds_no_data(app, db):
    succeeded(init_db(app), "flask init-db")
    assert db.items.count_documents({}) == db.users.count_documents({}) == 0, (
        f"without --demo, init-db adds no item and no account ({STEP02_MODULES})"
    )


def test_init_db_demo_adds_the_demo_data_once(app, db, auth, step_dir):
    succeeded(init_db(app, "--demo"), "flask init-db --demo")
    titles = sorted(item.get("title") for item in db.items.find())
    assert titles == sorted(from_step(step_dir, "DEMO_TITLES")), (
        f"`flask init-db --demo` adds the demo items, not {titles}"
        f"; {OWN_MONGODB} ({STEP02_MODULES})"
    )
    if auth.enabled:
        demo = from_step(step_dir, "DEMO_USERNAME"), from_step(step_dir, "DEMO_PASSWORD")
        expect_status(auth.login(*demo), 302, "the demo account's login", ACCOUNTS)
        auth.logout()
    after_first = everything_in(db)
    succeeded(init_db(app, "--demo"), "flask init-db --demo")
    assert everything_in(db) == after_first, (
        "a second `flask init-db --demo` changes nothing: a demo item or account that is there"
        f" already is left as it is; {OWN_MONGODB} ({STEP02_MODULES})"
    )


def drop_indexes(db):
    """Drop every index the app made at start-up: only init-db can make them again then."""
    for collection in ("users", "items", "login_attempts", "logins"):
        db[collection].drop_indexes()


@pytest.mark.steps(4, 8)
def test_init_db_makes_the_indexes(app, db, step_dir):
    drop_indexes(db)
    succeeded(init_db(app), "flask init-db")
    made = indexes(db)
    assert ("users", UNIQUE_USERNAME, True) in made, (
        "`flask init-db` makes the unique index on users.username, with create_indexes(db)"
        f" from db.py; {OWN_MONGODB} ({ONE_SPELLING})"
    )
    if from_step(step_dir, "STEP_NUMBER") >= "05":
        assert ("items", LIST_PAGE, False) in made, (
            f"from step 05 on, init-db makes the list page's index (owner_id, created_at, _id)"
            f"; {OWN_MONGODB} ({METHODVIEW})"
        )
    before = everything_in(db)
    succeeded(init_db(app), "flask init-db")
    assert (indexes(db), everything_in(db)) == (made, before), (
        f"a second init-db changes nothing; {OWN_MONGODB} ({ONE_SPELLING})"
    )


@pytest.mark.steps(6, 8)
def test_init_db_makes_the_ttl_indexes(app, db):
    drop_indexes(db)
    succeeded(init_db(app), "flask init-db")
    for index in TTL_INDEXES:
        assert index in ttl_indexes(db), (
            f"`flask init-db` makes the TTL index {index[0]}.expires_at with expireAfterSeconds=0,"
            f" found {ttl_indexes(db)}; {OWN_MONGODB} ({LOGIN_LIFETIME})"
        )


@pytest.mark.steps(6, 8)
def test_the_app_makes_ttl_indexes_on_login_attempts_and_logins(db):
    # On a real server (make test's second run) the TTL monitor deletes by these indexes.
    found = ttl_indexes(db)
    for index in TTL_INDEXES:
        assert index in found, (
            f"the app makes a TTL index on {index[0]}.expires_at with expireAfterSeconds=0, in"
            f" create_indexes(db): MongoDB then deletes each document once its expires_at has"
            f" passed; found {found} ({LOGIN_LIFETIME})"
        )


# --- Indexes that are there before the first registration ---------------------------------------

LAZY_INDEX = (
    "the unique index on users.username exists before the first registration is stored, even"
    " when MongoDB was down as the app started: get_db() makes it on first use, and tries again"
    f" after a failure; {OWN_MONGODB} ({LATE_INDEXES})"
)


@pytest.mark.steps(8, 8)
def test_unique_username_holds_when_the_database_was_down_at_start(
    make_app, mongo_client, auth_actions
):
    # The class of the client's collections: mongomock's, or pymongo's on a real server.
    collection_class = type(mongo_client["any"].users)

    def down(*args, **kwargs):
        raise ServerSelectionTimeoutError("the database is down")

    with pytest.MonkeyPatch.context() as outage:
        # No index can be made while the app starts, nor for the first registration.
        outage.setattr(collection_class, "create_index", down)
        app = make_app()
        during = auth_actions(app).register()
    first, second = auth_actions(app).register(), auth_actions(app).register()
    assert during.status_code == 503, (
        f"while the index cannot be made, POST /register is a 503, not {said(during)}: {LAZY_INDEX}"
    )
    assert first.status_code == 302, f"POST /register answered {said(first)} ({LATE_INDEXES})"
    assert second.status_code == 409, (
        f"the same name registered twice answered {said(second)}: {LAZY_INDEX}"
    )


@pytest.mark.real_server
@pytest.mark.slow
@pytest.mark.steps(8, 8)
def test_unique_username_holds_when_mongodb_starts_after_the_app(
    make_app, mongo_server, auth_actions, monkeypatch
):
    real_server_only(mongo_server, needs_secantus=True)
    # pymongo looks for a server every 0.5 s whatever the timeout: look every 10 ms instead.
    monkeypatch.setattr(pymongo.common, "MIN_HEARTBEAT_INTERVAL", 0.01)
    port = free_port()
    uri = f"mongodb://127.0.0.1:{port}/"
    with pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=500) as client:
        # Nothing listens at uri yet: the app starts without its indexes.
        app = make_app(MONGO_CLIENT=client)
        with secantus_server(port=port):
            first, second = auth_actions(app).register(), auth_actions(app).register()
    assert first.status_code == 302, f"POST /register answered {said(first)} ({LATE_INDEXES})"
    assert second.status_code == 409, (
        f"with MongoDB started after the app, the same name registered twice answered"
        f" {said(second)}: {LAZY_INDEX}"
    )


# --- Indexes that survive a reset of the database -----------------------------------------------

RESET_INDEX = (
    "the unique index on users.username is made again before each new account, not once per"
    " process: a database dropped or restored under the running app has lost it, and only the"
    f" index keeps a name to one account ({LATE_INDEXES})"
)
# Registrations of one name at once, each from an address of its own (the password budget
# counts per address), with a bcrypt cost that makes each hash last longer than it takes all
# of them to look the name up.
AT_ONCE = 30
RACING_ROUNDS = 8


@pytest.mark.real_server
@pytest.mark.slow
@pytest.mark.steps(8, 8)
def test_unique_username_holds_after_the_database_is_dropped_under_the_app(
    make_app, mongo_server, mongo_client
):
    real_server_only(mongo_server)
    app = make_app(BCRYPT_ROUNDS=RACING_ROUNDS)
    # The app made its indexes as it started; then the database is reset under it.
    db = database(app)
    mongo_client.drop_database(db.name)
    form = {"username": "one-name", "password": PASSWORD}
    ready = threading.Barrier(AT_ONCE)

    def register(number):
        """Post the register form from an address of its own, with the others; the status."""
        client, environ = app.test_client(), {"REMOTE_ADDR": f"198.51.100.{number + 1}"}
        ready.wait()
        return client.post("/register", data=form, environ_base=environ).status_code

    with ThreadPoolExecutor(AT_ONCE) as pool:
        statuses = sorted(pool.map(register, range(AT_ONCE)))
    accounts = db.users.count_documents({"username": "one-name"})
    assert accounts == 1, (
        f"{AT_ONCE} registrations of one name at once, after the database was dropped under the"
        f" app, made {accounts} accounts: {RESET_INDEX}"
    )
    # A 503: bcrypt's queue was full, and the form asks to try again (step 06).
    answered = (
        f"one registration is stored (302) and the others find the name taken (409) or are"
        f" asked to try again (503): {statuses} ({LATE_INDEXES})"
    )
    assert statuses.count(302) == 1, answered
    assert set(statuses) <= {302, 409, 503}, answered


def store_twice(client, names):
    """Store two accounts of each name in the check's database, as a restore without the index."""
    users = client[os.environ["MONGO_DBNAME"]].users
    users.insert_many([{"username": name, "password_hash": "x"} for name in names * 2])


def assert_one_line_naming(result, names, told):
    """A command stopped with a status that is not 0 and one line of its own naming names."""
    # On stderr; make's own last line, "make: *** [Makefile:NN: serve] Error 3", is not the app's.
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not re.match(r"make(\[\d+\])?: ", line)
    ]
    assert result.returncode != 0, f"{told} stops, with a status that is not 0 ({LATE_INDEXES})"
    said = (
        f"{told} says in one line which names are held twice ({', '.join(names)}) and what to"
        f" do, with no traceback; it printed {lines[:12]} ({LATE_INDEXES})"
    )
    assert len(lines) == 1, said
    assert all(name in lines[0] for name in names), said


@pytest.mark.real_server
@pytest.mark.slow
@pytest.mark.steps(8, 8)
def test_duplicate_names_stop_init_db_and_make_serve_in_one_line(
    step_dir, mongo_server, mongo_client
):
    real_server_only(mongo_server)
    names = ["ann", "bob"]
    store_twice(mongo_client, names)
    environment = {**os.environ, "SECRET_KEY": "k" * 64, "MONGO_URI": mongo_server}
    init_db = [str(FLASK), "--app", str(step_dir / "app.py"), "init-db"]
    assert_one_line_naming(run(init_db, cwd=ROOT, env=environment), names, "flask init-db")
    serve = [*MAKE_SERVE, f"DIR={step_dir}"]
    result = run(serve, cwd=ROOT, env=environment, timeout=REFUSAL_TIMEOUT)
    assert_one_line_naming(result, names, "make serve")


@pytest.mark.steps(8, 8)
def test_a_name_held_twice_under_the_running_app_is_a_503_said_in_the_log(app, db, caplog):
    # A restore under the running app: the unique index gone, one name in two accounts.
    db.users.drop_indexes()
    db.users.insert_many([{"username": "ann", "password_hash": "x"} for _ in range(2)])
    form = {"username": "newcomer", "password": PASSWORD}
    with caplog.at_level(logging.ERROR):
        response = app.test_client().post("/register", data=form)
    assert response.status_code == 503, (
        f"a new account while users holds a name twice is a 503 (no unique index can be made),"
        f" not {said(response)} ({LATE_INDEXES})"
    )
    assert "ann" in caplog.text, (
        f"the log says which names are held twice, in the line of DuplicateUsernames: found"
        f" {caplog.text[-300:]!r} ({LATE_INDEXES})"
    )
    assert db.users.count_documents({"username": "newcomer"}) == 0, "nothing is stored"


# --- make mongo ---------------------------------------------------------------------------------


@pytest.mark.real_server
@pytest.mark.slow
def test_make_mongo_serves_mongodb_and_says_how_to_use_it(mongo_server, tmp_path):
    real_server_only(mongo_server, needs_secantus=True)
    port = free_port()
    command = ["make", "mongo", f"MONGO_PORT={port}", f"MONGO_DATA={tmp_path / 'data'}"]
    with started(command, cwd=ROOT) as server:
        server.wait_for_output(rf"MONGO_URI=mongodb://127\.0\.0\.1:{port}/ make run")
        uri = f"mongodb://127.0.0.1:{port}/"
        server.wait_for(lambda: answers(uri), f"a MongoDB answering at {uri}")
        assert "mongod --port" in server.output(), "the note says how to run mongod instead"
    assert any((tmp_path / "data").iterdir()), "the server keeps its data in MONGO_DATA"


def assert_says_in_one_line_that_the_database_does_not_answer(app, command):
    """A command run with MongoDB down ends with one line, naming only the server's address."""
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    result = app.test_cli_runner().invoke(args=command, input=typed)
    told = f"`flask {' '.join(command)}` with MongoDB down"
    assert result.exit_code == 1, (
        f"{told} should fail with status 1, not {result.exit_code}: {result.output[-300:]!r}"
        f" ({UNREACHABLE})"
    )
    said_last = result.output.splitlines()[-1]
    assert "unreachable" in said_last, (
        f"{told} should end with one line saying the database does not answer, not a traceback:"
        f" {result.output[-300:]!r} ({UNREACHABLE})"
    )
    assert UNREACHABLE_ADDRESS in said_last, (
        f"{told} names where the database is, {UNREACHABLE_ADDRESS}: {said_last!r} ({UNREACHABLE})"
    )
    assert uri_parts_in(said_last) == ["127.0.0.1"], (
        f"{told} names no user, password, database or options of MONGO_URI, only its host:"
        f" {said_last!r} ({UNREACHABLE})"
    )


@pytest.mark.steps(4, 8)
def test_init_db_says_in_one_line_that_the_database_does_not_answer(unreachable_app):
    assert_says_in_one_line_that_the_database_does_not_answer(
        unreachable_app, ["init-db", "--demo"]
    )


@pytest.mark.steps(6, 8)
def test_create_user_says_in_one_line_that_the_database_does_not_answer(unreachable_app):
    # UNREACHABLE teaches the line, COMMAND_LINE the command.
    assert "create-user" in unreachable_app.cli.commands, (
        f"step 06 adds a `flask create-user USERNAME` command ({COMMAND_LINE})"
    )
    assert_says_in_one_line_that_the_database_does_not_answer(
        unreachable_app, ["create-user", "alice"]
    )
