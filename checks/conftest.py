"""Fixtures and hooks: each check runs once per step folder it applies to, on a fresh database.

A check says which steps it applies to with ``@pytest.mark.steps(first, last)``. ``--step-dir``
(learner mode) runs the checks of one step against a learner's own copy of it instead.
"""

import os
from pathlib import Path

import mongomock
import pymongo
import pytest
from flask import got_request_exception
from werkzeug.routing import Rule

from harness.answers import (
    UNREACHABLE_URI,
    CheckedClient,
    fail,
    redirect_target,
    remember_exception,
    step_code,
)
from harness.apps import (
    FRONTEND_PUBLIC,
    TEMPLATE_CODE,
    USERNAME,
    AuthActions,
    checks_config,
    compiled_once,
    database,
    from_step,
    logins_expected,
    opened_clients,
    salts_of_cost_4,
    step_module,
    store_user,
)
from harness.items import arrange_item
from harness.report import PLUGIN_NAME, LearnerTally, is_plain
from harness.sections import ACCOUNTS, PASSWORDS, STEP02_MODULES, TEMPLATES
from harness.selection import (
    REAL_SERVER_LEFT_OUT,
    SCREENSHOTS,
    SUMMARY_KEY,
    carried_marks,
    copy_problem,
    has_checks,
    has_real_server,
    is_wanted,
    junit_properties,
    learners_checks,
    named_check_files,
    no_check_applies,
    pitfall_params,
    real_server_note,
    remember_for_summary,
    step_range,
)
from harness.servers import SecantusClient, database_of_its_own, run_server
from harness.steps import remove_exercise_copies, step_folders, step_number

# pytester runs a nested pytest in this process, for the checks of a learner's first to fix.
pytest_plugins = ["pytester"]

# --- Hooks -----------------------------------------------------------------------------------


def pytest_addoption(parser):
    """Add --step-dir, learner mode, --screenshots for the browser checks, and a real MongoDB."""
    parser.addoption(
        "--step-dir",
        metavar="DIR",
        help="run the checks against your own copy of a step folder, e.g. my_work/03_encoder",
    )
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        help="save the browser checks' screenshots (step01.png …) in DIR; default: a temporary"
        " folder, named at the end of the run",
    )
    parser.addoption(
        "--mongo-uri",
        metavar="URI",
        default=os.environ.get("CHECKS_MONGO_URI") or None,
        help="run the database checks on the MongoDB at URI, each on a database of its own,"
        " dropped after it; default: $CHECKS_MONGO_URI, else mongomock",
    )
    parser.addoption(
        "--mongo",
        choices=["mongomock", "secantus"],
        default="mongomock",
        help="secantus: start a fresh SecantusDB server for the run (requirements-secantus.txt)"
        " and use it as --mongo-uri",
    )


def pytest_configure(config):
    """In learner mode, check the folder, and count technique and hardening apart."""
    own = config.getoption("--step-dir")
    if not own:
        return
    folder = config.invocation_params.dir / own
    if not folder.is_dir():
        raise pytest.UsageError(f"--step-dir {own}: there is no such folder.")
    if step_number(folder) is None:
        raise pytest.UsageError(
            f"--step-dir {own}: the folder's name says which step it is, NN_name (04_auth), and"
            f" {folder.name} does not. Name it after the step you rebuild, e.g. my_work/04_auth."
        )
    # Said here, in the main process: pytest-xdist's workers cannot stop a run with a message.
    if not has_checks(step_number(folder)):
        raise pytest.UsageError(no_check_applies(folder))
    # An empty folder, or a copy one folder down, would fail every check on its missing app.py.
    problem = copy_problem(folder, config.invocation_params.dir)
    if problem:
        raise pytest.UsageError(problem)
    # With pytest-xdist, the main process counts what its workers report.
    if not hasattr(config, "workerinput") and not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(LearnerTally(own), PLUGIN_NAME)


# Check files of the repository itself (its documents, commands and tools), with no check of a
# step folder: learner mode runs none of them.
REPOSITORY_CHECK_FILES = {
    "test_autograding.py",
    "test_doctor.py",
    "test_workshop.py",
    "test_learner_mode.py",
    "test_tools.py",
    "test_watch.py",
}


def pytest_ignore_collect(collection_path, config):
    """In learner mode, leave unread the check files none of whose checks applies."""
    own = config.getoption("--step-dir")
    if not own:
        return None
    later = step_number(collection_path.name.removeprefix("test_"))
    if not (
        collection_path.name in REPOSITORY_CHECK_FILES or (later and later > step_number(Path(own)))
    ):
        return None
    # A file named on the command line is read, to say why it does not apply (selection.py).
    return collection_path.resolve() not in named_check_files(config) or None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """One process for learner mode on named check files: its refusals need the collection."""
    if config.getoption("--step-dir") and named_check_files(config):
        return 0
    return None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """In learner mode, a selection that leaves no check (-m hardening on step 01) is a report."""
    if session.config.getoption("--step-dir") and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK


def pytest_terminal_summary(terminalreporter, config):
    """Say where the screenshots went, and which checks wait for a real MongoDB server."""
    kept = config.stash.get(SUMMARY_KEY, {})
    for folder in kept.get(SCREENSHOTS, []):
        terminalreporter.write_line(f"Screenshots of the steps: {folder}")
    if kept.get(REAL_SERVER_LEFT_OUT):
        terminalreporter.write_line(real_server_note(kept[REAL_SERVER_LEFT_OUT]))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """Take what a pytest-xdist worker kept for the last lines."""
    for name in [SCREENSHOTS, REAL_SERVER_LEFT_OUT]:
        remember_for_summary(node.config, name, getattr(node, "workeroutput", {}).get(name, []))


def pytest_generate_tests(metafunc):
    """Run each check that uses a step once per step folder it applies to."""
    if "step_dir" not in metafunc.fixturenames:
        return
    own = metafunc.config.getoption("--step-dir")
    if own:
        metafunc.parametrize("step_dir", [pytest.param(Path(own).resolve(), id=Path(own).name)])
        return
    folders = step_folders(*step_range(metafunc.definition))
    params = [
        pytest.param(folder, id=folder.name, marks=carried_marks(folder, folders))
        for folder in folders
    ]
    metafunc.parametrize("step_dir", params + pitfall_params(metafunc))


# Last, after -m and -k: the checks named as left out are only those this run would have run.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Leave out the cases a pitfall does not name, and in learner mode what is not the step's;
    give each step check its group and step for JUnit XML."""
    own = config.getoption("--step-dir")
    if not own:
        kept = {item for item in items if is_wanted(item, has_real_server(config))}
    else:
        kept = set(learners_checks(config, Path(own), items))
    if not has_real_server(config):
        # Left out, not skipped: make test's second run, on a real server, runs them.
        needs_server = {item for item in kept if item.get_closest_marker("real_server")}
        remember_for_summary(
            config, REAL_SERVER_LEFT_OUT, {item.originalname for item in needs_server}
        )
        kept -= needs_server
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = [item for item in items if item in kept]
    # --junitxml writes them as each test case's <properties>: what a grader sorts by.
    for item in items:
        item.user_properties.extend(junit_properties(item))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A pitfall's check must fail as a learner's copy would: in words, naming its section."""
    report = yield
    if call.when == "call" and getattr(report, "wasxfail", None) and call.excinfo is not None:
        failure = {"error": call.excinfo.typename, "message": str(call.excinfo.value)}
        if not is_plain(failure):
            report.outcome = "failed"
            report.longrepr = (
                f"{report.wasxfail}, and its check fails, but not in words that name a section"
                f" of WORKSHOP.md: {failure['error']}: {failure['message'][:500]}"
            )
    return report


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """A browser check that Playwright stops (a wait in vain, a script that threw) fails in
    words: what the page did not do, what it logged, and the check's section."""
    if "page" not in pyfuncitem.fixturenames:
        return (yield)
    # Imported here, not above: Playwright takes a fifth of a second to load, and only the
    # browser checks, whose file has loaded it already, need it.
    from harness.browser import PageError, browser_error_in_words, section_of_check

    try:
        return (yield)
    except PageError as error:
        logged = pyfuncitem.funcargs["console"].unexpected()
        section = section_of_check(pyfuncitem.function)
        fail(browser_error_in_words(error, section, logged))


def pytest_unconfigure(config):
    """Remove the exercise copies."""
    remove_exercise_copies(config)


# --- Fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def url_builders_compiled_once():
    """Every app of the run shares Werkzeug's compiled URL builders (apps.compiled_once)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", compiled_once(Rule._compile_builder))
        yield


@pytest.fixture(autouse=True, scope="session")
def no_settings_from_the_environment():
    """The steps read settings from the environment (SECRET_KEY, ...): yours must not count here."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ["SECRET_KEY", "MONGO_URI", "TRUSTED_PROXIES", "TRUSTED_HOSTS"]:
            patch.delenv(name, raising=False)
        yield


@pytest.fixture
def step_app_module(step_dir):
    """The app.py module of the step under test."""
    from_step(step_dir, "create_app")
    return step_module(step_dir, "app")


@pytest.fixture
def frontend_public():
    """The built front end; the checks render its real index.html."""
    if not (FRONTEND_PUBLIC / "index.html").is_file():
        fail(
            "The front end is not built: run `make frontend` (or `npm ci && npm run build` in"
            " frontend/) first."
        )
    return FRONTEND_PUBLIC


@pytest.fixture(autouse=True, scope="session")
def mongo_server(pytestconfig):
    """The run's real MongoDB (--mongo-uri, --mongo=secantus), or None: mongomock."""
    engine, uri = pytestconfig.getoption("--mongo"), pytestconfig.getoption("--mongo-uri")
    with run_server(engine, uri) as server_uri, pytest.MonkeyPatch.context() as patch:
        if server_uri:
            # Nested pytest runs (learner mode, make progress) check on the same server.
            patch.setenv("CHECKS_MONGO_URI", server_uri)
        yield server_uri


@pytest.fixture(scope="session")
def mongo_server_client(mongo_server):
    """One client of the run's real server for every check: a new one each costs about 20 ms."""
    if mongo_server is None:
        yield None
        return
    with pymongo.MongoClient(mongo_server, tz_aware=True) as client:
        if "secantusVersion" not in client.server_info():
            yield client
            return
    # SecantusDB, whether this run started it or a nested run was given its URI.
    with SecantusClient(mongo_server, tz_aware=True) as client:
        yield client


@pytest.fixture
def mongo_client(mongo_server_client, monkeypatch):
    """A fresh, empty database client: mongomock, or the run's server with a new database."""
    if mongo_server_client is None:
        # tz_aware, as the steps create it.
        yield mongomock.MongoClient(tz_aware=True)
        return
    with database_of_its_own(mongo_server_client) as name:
        # The steps read MONGO_DBNAME from the environment: each app of this check uses this one.
        monkeypatch.setenv("MONGO_DBNAME", name)
        yield mongo_server_client


@pytest.fixture
def make_app(step_app_module, mongo_client, frontend_public):
    """Build the step's app with test settings; keyword arguments override them."""

    def make(**overrides):
        with step_code("create_app(test_config)", TEMPLATES):
            app = step_app_module.create_app(checks_config(mongo_client, **overrides))
        app.jinja_env.bytecode_cache = TEMPLATE_CODE
        # What a view raises becomes a 500 (PROPAGATE_EXCEPTIONS is off): keep it, to say it.
        app.test_client_class = CheckedClient
        got_request_exception.connect(remember_exception, app)
        return app

    return make


@pytest.fixture
def default_app(step_app_module, mongo_client, monkeypatch):
    """The step's app with only a database client given: every other setting is its own."""
    # Hashing at the default cost 12 takes 0.2 s each time: salts of cost 4 keep this check fast.
    salts_of_cost_4(monkeypatch)
    with step_code("create_app({'MONGO_CLIENT': a client})", PASSWORDS):
        return step_app_module.create_app({"MONGO_CLIENT": mongo_client})


@pytest.fixture
def unreachable_app(make_app, monkeypatch):
    """The step's app with MONGO_URI (a password and a token in it) where no MongoDB answers."""
    # The step's own timeouts, from MONGO_TIMEOUT_MS: forcing none, the checks see them work.
    opened = opened_clients(monkeypatch)
    yield make_app(MONGO_CLIENT=None, MONGO_URI=UNREACHABLE_URI, MONGO_TIMEOUT_MS=10)
    # Closed, or pymongo warns of an unclosed client.
    for client in opened:
        client.close()


@pytest.fixture
def app(make_app):
    """The step's app on a fresh mongomock database."""
    return make_app()


@pytest.fixture
def client(app):
    """A test client of the step's app."""
    return app.test_client()


@pytest.fixture
def db(app):
    """The database the step's app uses, to arrange data and to read what it wrote."""
    if "MONGO_DBNAME" not in app.config:
        fail(
            "This step has no database yet: create_app should set MONGO_DBNAME, and use the"
            f" client in MONGO_CLIENT when the checks pass one ({STEP02_MODULES})"
        )
    return database(app)


@pytest.fixture
def auth_actions(step_dir):
    """Make AuthActions for an app: a browser of its own that logs in with the step's forms."""
    return lambda app, client=None: AuthActions(app, client, logins=logins_expected(step_dir))


@pytest.fixture
def auth(app, client, auth_actions):
    """Log the test client in and out with the step's forms (a no-op in steps without login)."""
    return auth_actions(app, client)


@pytest.fixture
def user(app, auth):
    """The learner's account, stored in the database, not logged in; None before step 04."""
    return store_user(database(app)) if auth.enabled else None


@pytest.fixture
def logged_in_user(app, auth):
    """The learner, registered with the form, which logs the client in; None before step 04."""
    if not auth.enabled:
        return None
    redirect_target(auth.register(), "POST /register, a new account and its password", ACCOUNTS)
    stored = database(app).users.find_one({"username": USERNAME})
    assert stored is not None, (
        f"POST /register should store the account in the users collection ({ACCOUNTS})"
    )
    return stored


@pytest.fixture
def item(db, logged_in_user):
    """The learner, logged in, with one item made LONG_AGO; another user has an item too."""
    return arrange_item(db, logged_in_user)
