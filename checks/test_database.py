"""Your own MongoDB: a database per step, `flask init-db [--demo]`, and indexes that never miss."""

import mongomock
import pymongo
import pytest
from pymongo.errors import ServerSelectionTimeoutError

from mongo_servers import answers, real_server_only, secantus_server
from servers import free_port, started
from support import ROOT, AuthActions, checks_config, from_step

pytestmark = pytest.mark.steps(2, 5)

OWN_MONGODB = "WORKSHOP.md, The embedded database, or your own MongoDB"


def everything_in(db):
    """Every document of every collection, in order: to compare before and after a command."""
    return {name: list(db[name].find().sort("_id")) for name in db.list_collection_names()}


def init_db(app, *options):
    """Run `flask init-db` with options on the app; return Click's result."""
    return app.test_cli_runner().invoke(args=["init-db", *options])


# --- A database per step -------------------------------------------------------------------------


def test_each_step_has_a_database_of_its_own(step_app_module, step_dir, monkeypatch):
    # A mongomock client whatever the run: the step's default name is all that is looked at.
    config = checks_config(mongomock.MongoClient(tz_aware=True))
    monkeypatch.delenv("MONGO_DBNAME", raising=False)
    number = from_step(step_dir, "STEP_NUMBER")
    assert step_app_module.create_app(config).config["MONGO_DBNAME"] == f"workshop_{number}", (
        f"step {number} keeps its data in a database of its own, workshop_{number}, so that"
        f" steps on one server never see each other's data ({OWN_MONGODB})"
    )
    monkeypatch.setenv("MONGO_DBNAME", "elsewhere")
    assert step_app_module.create_app(config).config["MONGO_DBNAME"] == "elsewhere", (
        "MONGO_DBNAME from the environment names another database"
    )


# --- flask init-db [--demo] -------------------------------------------------------------------


def test_init_db_refuses_the_embedded_database(make_app):
    result = init_db(make_app(MONGO_CLIENT=None, MONGO_URI=""), "--demo")
    assert result.exit_code != 0, (
        "`flask init-db` refuses when MONGO_URI is unset or empty: the embedded database dies"
        f" with the command ({OWN_MONGODB})"
    )
    assert "MONGO_URI" in result.output, "the refusal says that MONGO_URI is missing"
    assert len(result.output.strip().splitlines()) == 1, "in one line, not a traceback"


def test_init_db_alone_adds_no_data(app, db):
    result = init_db(app)
    assert result.exit_code == 0, result.output
    assert db.items.count_documents({}) == 0, "without --demo, init-db adds no item"
    assert db.users.count_documents({}) == 0, "without --demo, init-db adds no account"


def test_init_db_demo_adds_the_demo_data_once(app, db, step_dir):
    first = init_db(app, "--demo")
    assert first.exit_code == 0, first.output
    titles = sorted(item["title"] for item in db.items.find())
    assert titles == sorted(from_step(step_dir, "DEMO_TITLES")), (
        f"`flask init-db --demo` adds the demo items ({OWN_MONGODB})"
    )
    auth = AuthActions(app)
    if auth.enabled:
        demo = from_step(step_dir, "DEMO_USERNAME"), from_step(step_dir, "DEMO_PASSWORD")
        assert auth.login(*demo).status_code == 302, "from step 04 on, the demo account logs in"
        auth.logout()
    after_first = everything_in(db)
    second = init_db(app, "--demo")
    assert second.exit_code == 0, second.output
    assert everything_in(db) == after_first, (
        "a second `flask init-db --demo` changes nothing: what is there already stays as it is"
    )


def indexes(db):
    """The keys of every index of the users and items collections, and whether each is unique."""
    return {
        (name, tuple(info["key"]), bool(info.get("unique")))
        for name in ("users", "items")
        for info in db[name].index_information().values()
    }


@pytest.mark.steps(4, 5)
def test_init_db_makes_the_indexes(app, db, step_dir):
    # The app made them at start-up: once they are dropped, only init-db can make them again.
    db.users.drop_indexes()
    db.items.drop_indexes()
    result = init_db(app)
    assert result.exit_code == 0, result.output
    made = indexes(db)
    assert ("users", (("username", 1),), True) in made, (
        f"`flask init-db` makes the unique index on users.username ({OWN_MONGODB})"
    )
    if from_step(step_dir, "STEP_NUMBER") >= "05":
        assert ("items", (("owner_id", 1), ("created_at", -1), ("_id", -1)), False) in made, (
            "from step 05 on, init-db makes the list page's index (owner_id, created_at, _id)"
        )
    before = everything_in(db)
    assert init_db(app).exit_code == 0, "init-db runs again"
    assert (indexes(db), everything_in(db)) == (made, before), "a second init-db changes nothing"


# --- Indexes that are there before the first registration ---------------------------------------


@pytest.mark.steps(4, 5)
def test_unique_username_holds_when_the_database_was_down_at_start(make_app, mongo_client):
    # The class of the client's collections: mongomock's, or pymongo's on a real server.
    collection_class = type(mongo_client["any"].users)

    def down(*args, **kwargs):
        raise ServerSelectionTimeoutError("the database is down")

    with pytest.MonkeyPatch.context() as outage:
        # No index can be made while the app starts, nor for the first registration.
        outage.setattr(collection_class, "create_index", down)
        app = make_app()
        assert AuthActions(app).register().status_code == 503, (
            "no registration is stored before the unique index exists: while it cannot be made"
            " (the database is down), registering is a 503"
        )
    first, second = AuthActions(app).register(), AuthActions(app).register()
    assert first.status_code == 302, "once the database answers, registering works"
    assert second.status_code == 409, (
        "the unique index on users.username is made once the database answers, before the"
        " first registration is stored: get_db() makes it on first use, and tries again after"
        f" a failure ({OWN_MONGODB})"
    )


@pytest.mark.slow
@pytest.mark.steps(4, 5)
def test_unique_username_holds_when_mongodb_starts_after_the_app(
    make_app, mongo_server, monkeypatch
):
    real_server_only(mongo_server, needs_secantus=True)
    # pymongo looks for a server every 0.5 s whatever the timeout: look every 10 ms instead.
    monkeypatch.setattr(pymongo.common, "MIN_HEARTBEAT_INTERVAL", 0.01)
    port = free_port()
    app = make_app(
        MONGO_CLIENT=None, MONGO_URI=f"mongodb://127.0.0.1:{port}/", MONGO_TIMEOUT_MS=500
    )
    try:
        with secantus_server(port=port):
            first, second = AuthActions(app).register(), AuthActions(app).register()
    finally:
        app.extensions["mongo_db"].client.close()
    assert first.status_code == 302, "once MongoDB is up, registering works"
    assert second.status_code == 409, (
        "a MongoDB that starts after the app still gets the unique index on users.username"
        f" before the first registration ({OWN_MONGODB})"
    )


# --- make mongo ---------------------------------------------------------------------------------


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
