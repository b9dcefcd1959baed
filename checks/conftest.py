"""Fixtures for every step: load a step folder by path, give it a fresh mongomock database.

Each check says which steps it applies to with ``@pytest.mark.steps(first, last)``; it then runs
once per step folder in that range that exists. ``--step-dir`` runs the checks against a
learner's own copy of a step folder instead.
"""

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mongomock
import pymongo
import pytest

ROOT = Path(__file__).resolve().parents[1]
STEPS_DIR = ROOT / "steps"
FRONTEND_PUBLIC = ROOT / "frontend" / "public"
LAST_STEP = 5
EXERCISES_DIR = ROOT / "exercises"

# The extension exercise of each step: exercises/<step>/<name>.patch is its reference solution,
# which the exercise's checks in test_exercises.py prove.
EXTENSIONS = {
    "02_jsonify": "count",
    "03_encoder": "more_types",
    "04_auth": "logout_everywhere",
    "05_methodview": "done_filter",
}
# Each pitfall patch brings one of the article's pitfalls back; the check named here runs once
# more on a copy of the step with the patch applied, and must fail there (a strict xfail). A
# [case] after the name keeps only that case of a parametrized check.
PITFALLS = {
    "01_index/pitfall_no_template_loader": (
        "test_01_index.py::test_index_renders_the_built_front_end_as_a_template"
    ),
    "02_jsonify/pitfall_raw_documents": (
        "test_02_jsonify.py::test_items_are_converted_field_by_field"
    ),
    "03_encoder/pitfall_article_fallback": "test_03_encoder.py::test_encoder_refuses_unknown_types",
    "03_encoder/pitfall_json_encoder_attribute": (
        "test_03_encoder.py::test_flask_json_provider_encodes_mongo_types"
    ),
    "04_auth/pitfall_no_wraps": "test_04_auth.py::test_step_decorators_keep_the_view_name",
    "04_auth/pitfall_bcrypt_72_bytes": (
        "test_04_auth.py::test_check_password_answers_true_or_false[73-bytes]"
    ),
    "05_methodview/pitfall_no_decorators": "test_05_methodview.py::test_every_route_needs_a_login",
    "05_methodview/pitfall_raw_objectid": (
        "test_05_methodview.py::test_ids_that_are_not_the_users_item_are_404[not-hex]"
    ),
}

_loaded_steps = {}


# Where the browser checks saved their screenshots, for the summary line.
SCREENSHOTS_KEY = pytest.StashKey[Path]()
# The exercise copies made for this run: (step, patch name) -> folder.
EXERCISE_COPIES_KEY = pytest.StashKey[dict]()


def pytest_addoption(parser):
    """Add --step-dir, learner mode, and --screenshots for the browser checks."""
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


def pytest_terminal_summary(terminalreporter, config):
    """Say where the browser checks saved their screenshots, if they saved any."""
    folder = config.stash.get(SCREENSHOTS_KEY, None)
    if folder is not None:
        terminalreporter.write_line(f"Screenshots of the steps: {folder}")


def step_number(folder):
    """Return the step number a folder name starts with (03_encoder -> 3), or None."""
    match = re.match(r"(\d\d)_", Path(folder).name)
    return int(match.group(1)) if match else None


def step_range(node):
    """Return the (first, last) steps a check applies to, from its steps marker."""
    marker = node.get_closest_marker("steps")
    if marker is None:
        raise pytest.UsageError(f"{node.nodeid}: mark it with @pytest.mark.steps(first, last)")
    first, last = marker.args
    return first, last


def pytest_generate_tests(metafunc):
    """Run each check that uses a step once per step folder it applies to."""
    if "step_dir" not in metafunc.fixturenames:
        return
    first, last = step_range(metafunc.definition)
    own = metafunc.config.getoption("--step-dir")
    if own:
        folders = [Path(own).resolve()]
    else:
        folders = sorted(
            folder
            for folder in STEPS_DIR.iterdir()
            if folder.is_dir() and first <= (step_number(folder) or 0) <= last
        )
    params = [pytest.param(folder, id=folder.name) for folder in folders]
    if not own:
        params += pitfall_params(metafunc)
    metafunc.parametrize("step_dir", params)


def pitfall_params(metafunc):
    """The step copies with a pitfall brought back on which this check must fail."""
    check = f"{Path(metafunc.definition.fspath).name}::{metafunc.definition.name}"
    return [
        pytest.param(
            exercise_copy(metafunc.config, *patch.split("/")),
            id=patch.replace("/", "+"),
            marks=pytest.mark.xfail(strict=True, reason=f"{patch}.patch brings the pitfall back"),
        )
        for patch, pitfall_check in PITFALLS.items()
        if pitfall_check.split("[")[0] == check
    ]


def exercise_copy(config, step, patch_name):
    """Return a copy of steps/<step> with exercises/<step>/<patch_name>.patch applied, made once."""
    copies = config.stash.setdefault(EXERCISE_COPIES_KEY, {})
    if (step, patch_name) not in copies:
        folder = Path(tempfile.mkdtemp(prefix="exercise-"))
        copies[step, patch_name] = patched_step(step, patch_name, folder)
    return copies[step, patch_name]


def patched_step(step, patch_name, folder):
    """Copy steps/<step> into folder, named like a learner's (05_done_filter), and patch it."""
    copy = folder / f"{step[:2]}_{patch_name}"
    shutil.copytree(STEPS_DIR / step, copy, ignore=shutil.ignore_patterns("__pycache__"))
    patch = EXERCISES_DIR / step / f"{patch_name}.patch"
    # The ceiling keeps git from taking a repository around the copy for the patch's root.
    environment = {**os.environ, "GIT_CEILING_DIRECTORIES": str(folder)}
    result = subprocess.run(
        ["git", "apply", str(patch)], cwd=copy, env=environment, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise pytest.UsageError(
            f"{patch.relative_to(ROOT)} no longer applies to its step: update it.\n" + result.stderr
        )
    return copy


def pytest_unconfigure(config):
    """Remove the exercise copies."""
    for copy in config.stash.get(EXERCISE_COPIES_KEY, {}).values():
        shutil.rmtree(copy.parent, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """Leave out the cases a pitfall does not name, and in learner mode other steps' checks."""
    dropped = [item for item in items if not is_wanted(config, item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


def is_wanted(config, item):
    """Tell whether a collected check should run."""
    step_dir = item.callspec.params.get("step_dir") if hasattr(item, "callspec") else None
    own = config.getoption("--step-dir")
    if own:
        # Learner mode: only the checks whose steps include the learner's folder's step.
        number = step_number(own)
        first, last = step_range(item) if step_dir else (1, LAST_STEP)
        return not number or first <= number <= last
    for patch, check in PITFALLS.items():
        # A pitfall copy runs only the case of a parametrized check that its [case] names.
        case = check.partition("[")[2]
        if case and step_dir == exercise_copy(config, *patch.split("/")):
            return case.rstrip("]") in item.callspec.id
    return True


def load_step(step_dir):
    """Import a step folder as a package under a name of its own, so steps never collide."""
    step_dir = Path(step_dir)
    if step_dir in _loaded_steps:
        return _loaded_steps[step_dir]
    if not (step_dir / "app.py").is_file():
        pytest.fail(f"{step_dir} has no app.py: is this a step folder?", pytrace=False)
    if not (step_dir / "__init__.py").is_file():
        pytest.fail(
            f"{step_dir} has no __init__.py: copy it from the previous step. It makes the folder"
            " a package, so that its modules can import each other (from . import db).",
            pytrace=False,
        )
    safe_name = re.sub(r"\W", "_", step_dir.name)
    name = f"checked_step_{len(_loaded_steps)}_{safe_name}"
    spec = importlib.util.spec_from_file_location(
        name, step_dir / "__init__.py", submodule_search_locations=[str(step_dir)]
    )
    package = importlib.util.module_from_spec(spec)
    # The package must be in sys.modules before it runs, or relative imports and Flask's
    # root_path (which finds templates/) break.
    sys.modules[name] = package
    spec.loader.exec_module(package)
    _loaded_steps[step_dir] = package
    return package


def step_module(step_dir, module):
    """Import one module of a step (app, db, encoder, ...) or fail with a message for learners."""
    package = load_step(step_dir)
    try:
        return importlib.import_module(f"{package.__name__}.{module}")
    except ModuleNotFoundError as error:
        if error.name != f"{package.__name__}.{module}":
            raise
        pytest.fail(f"{step_dir} has no {module}.py, which this step needs.", pytrace=False)


@pytest.fixture
def step_app_module(step_dir):
    """The app.py module of the step under test."""
    module = step_module(step_dir, "app")
    if not hasattr(module, "create_app"):
        pytest.fail(f"{step_dir}/app.py defines no create_app(test_config=None).", pytrace=False)
    return module


@pytest.fixture
def frontend_public():
    """The built front end; the checks render its real index.html."""
    if not (FRONTEND_PUBLIC / "index.html").is_file():
        pytest.fail(
            "The front end is not built: run `make frontend` (or `npm ci && npm run build` in"
            " frontend/) first.",
            pytrace=False,
        )
    return FRONTEND_PUBLIC


@pytest.fixture
def mongo_client():
    """A fresh, empty mongomock client, as the steps create it (tz_aware)."""
    return mongomock.MongoClient(tz_aware=True)


@pytest.fixture
def make_app(step_app_module, mongo_client, frontend_public):
    """Build the step's app with test settings; keyword arguments override them."""

    def make(**overrides):
        config = {
            "TESTING": True,
            # The cheapest bcrypt cost keeps the checks fast; the steps default to 12.
            "BCRYPT_ROUNDS": 4,
            "MONGO_URI": None,
            "MONGO_CLIENT": mongo_client,
            "FRONTEND_PUBLIC": str(frontend_public),
            **overrides,
        }
        return step_app_module.create_app(config)

    return make


@pytest.fixture
def unreachable_app(make_app, monkeypatch):
    """The step's app with MONGO_URI (and a password in it) where no MongoDB answers."""
    # pymongo looks for a server every 0.5 s whatever the timeout: look every 10 ms instead.
    monkeypatch.setattr(pymongo.common, "MIN_HEARTBEAT_INTERVAL", 0.01)
    app = make_app(
        MONGO_CLIENT=None, MONGO_URI="mongodb://learner:s3cret@127.0.0.1:1/", MONGO_TIMEOUT_MS=100
    )
    yield app
    app.extensions["mongo_db"].client.close()


@pytest.fixture
def app(make_app):
    """The step's app on a fresh mongomock database."""
    return make_app()


@pytest.fixture
def client(app):
    """A test client of the step's app."""
    return app.test_client()


@pytest.fixture
def db(app, mongo_client):
    """The database the step's app uses, to arrange data and to read what it wrote."""
    if "MONGO_DBNAME" not in app.config:
        pytest.fail(
            "This step has no database yet: create_app should set MONGO_DBNAME and open MongoDB"
            " (see db.py from step 02 on).",
            pytrace=False,
        )
    return mongo_client[app.config["MONGO_DBNAME"]]


class AuthActions:
    """Register, log in and log out through the step's own forms, as a learner's browser would."""

    def __init__(self, client, app):
        self._client = client
        self._registered = set()
        # Steps before 04 have no login: there, logging in is a no-op.
        self.enabled = "auth.login" in app.view_functions

    def register(self, username="learner", password="correct horse battery"):
        """Create an account with the register form; the step logs it in."""
        self._registered.add(username)
        return self._client.post("/register", data={"username": username, "password": password})

    def login(self, username="learner", password="correct horse battery"):
        """Log in with the login form, registering the account first if needed."""
        if not self.enabled:
            return None
        if username not in self._registered:
            return self.register(username, password)
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        """Log out with the logout form."""
        return self._client.post("/logout")


@pytest.fixture
def auth(client, app):
    """Log the test client in and out (a no-op in steps without login)."""
    return AuthActions(client, app)
