"""A step's code and app as the checks load and build them, with an account and items in it.

No fixtures and no pytest hooks here (those are in conftest.py). What a failure says about a
response or an exception is in answers.py.
"""

import importlib
import importlib.util
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import bcrypt
import jinja2
import pymongo

from harness.answers import expect_status, fail, json_body, redirect_target, step_code
from harness.sections import (
    ACCOUNTS,
    COOKIES,
    DECORATORS,
    METHODVIEW,
    MODULE_SECTIONS,
    TEMPLATES,
)
from harness.steps import ROOT, step_number

FRONTEND_PUBLIC = ROOT / "frontend" / "public"

# The learner's account in every check that needs one.
USERNAME = "learner"
PASSWORD = "correct horse battery"
WRONG_PASSWORD = "wrong horse battery"

# Where each name the checks read from a step is defined. When a step moves one (the demo
# account into a demo.py of its own, say), its line here is the one to change.
STEP_NAMES = {
    "app": ["create_app", "STEP_NUMBER", "STEP_TITLE", "STEP_FEATURES"],
    "demo": ["DEMO_USERNAME", "DEMO_PASSWORD", "DEMO_TITLES"],
    "encoder": ["MongoDocumentEncoder", "MongoJSONProvider"],
    "passwords": [
        "MIN_PASSWORD_LENGTH",
        "MAX_PASSWORD_BYTES",
        "password_problem",
        "hash_password",
        "check_password",
    ],
    "auth": ["login_required", "api_login_required"],
    "throttle": ["LoginThrottle"],
    "api": ["ItemsAPI"],
}
NAME_SECTIONS = {"DEMO_USERNAME": ACCOUNTS, "DEMO_PASSWORD": ACCOUNTS}
# Accounts and logins come with step 04.
FIRST_STEP_WITH_LOGINS = 4

_loaded_steps = {}

# --- A step folder, loaded by path ---------------------------------------------------------------


def load_step(step_dir):
    """Import a step folder as a package under a name of its own, so steps never collide."""
    step_dir = Path(step_dir)
    if step_dir in _loaded_steps:
        return _loaded_steps[step_dir]
    if not (step_dir / "app.py").is_file():
        fail(f"{step_dir} has no app.py: is this a step folder? ({TEMPLATES})")
    if not (step_dir / "__init__.py").is_file():
        fail(
            f"{step_dir} has no __init__.py: copy it from the previous step. It makes the folder"
            f" a package, so that its modules can import each other: from . import db"
            f" ({TEMPLATES})"
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
    with step_code(f"{step_dir.name}/__init__.py", TEMPLATES):
        spec.loader.exec_module(package)
    _loaded_steps[step_dir] = package
    return package


def step_module(step_dir, module):
    """Import one module of a step (app, db, encoder, ...) or fail with a message for learners."""
    package = load_step(step_dir)
    section = MODULE_SECTIONS.get(module, TEMPLATES)
    if not (Path(step_dir) / f"{module}.py").is_file():
        fail(f"{Path(step_dir).name} has no {module}.py, which this step needs ({section})")
    with step_code(f"importing {Path(step_dir).name}/{module}.py", section):
        return importlib.import_module(f"{package.__name__}.{module}")


def from_step(step_dir, name):
    """Return one name a step defines (ItemsAPI, DEMO_USERNAME, ...), from where STEP_NAMES says."""
    (module,) = [module for module, names in STEP_NAMES.items() if name in names]
    found = getattr(step_module(step_dir, module), name, None)
    if found is None:
        section = NAME_SECTIONS.get(name, MODULE_SECTIONS.get(module, TEMPLATES))
        fail(
            f"{Path(step_dir).name}/{module}.py defines no {name}, which this step needs"
            f" ({section})"
        )
    return found


def logins_expected(step_dir):
    """Tell whether a step folder has accounts and logins: step 04 on, by its number."""
    number = step_number(step_dir)
    return number is not None and number >= FIRST_STEP_WITH_LOGINS


# --- Its app --------------------------------------------------------------------------------------


def checks_config(mongo_client, **overrides):
    """The settings the checks build a step's app with; keyword arguments override them."""
    return {
        "TESTING": True,
        # An exception in a view is a 500, as in production, not an exception in the check:
        # the check then says which request failed, and said() what the step's code raised.
        "PROPAGATE_EXCEPTIONS": False,
        # The cheapest bcrypt cost keeps the checks fast; the steps default to 12.
        "BCRYPT_ROUNDS": 4,
        "MONGO_URI": None,
        # None: the step's embedded database, demo data included.
        "MONGO_CLIENT": mongo_client,
        "FRONTEND_PUBLIC": str(FRONTEND_PUBLIC),
        **overrides,
    }


class TemplateCodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory for every app of the run, keyed by file and source."""

    # Each check builds a fresh app, whose Jinja environment would compile the same templates
    # again (3 ms a page): a changed template has another checksum, so it is compiled anew.
    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        """Fill the bucket with the code compiled earlier from the same file and source."""
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        """Keep the code just compiled."""
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = TemplateCodeCache()


def compiled_once(compile_builder):
    """Wrap Werkzeug's Rule._compile_builder: each shape of rule is compiled once per run."""
    # For each rule of each app, Werkzeug writes and compiles two small functions that build
    # its URLs: with an app per check, a fifth of the fast checks' time. The code depends only
    # on what the key holds; the function reads the rule's converters when it is called.
    compiled = {}

    def compile_builder_once(rule, append_unknown=True):
        """Return the builder a rule of this shape compiled to, compiling it the first time."""
        defaults = sorted((rule.defaults or {}).items(), key=repr)
        converters = sorted(
            (name, type(value).__name__) for name, value in rule._converters.items()
        )
        key = (rule.rule, append_unknown, tuple(rule._trace), repr(defaults), tuple(converters))
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    return compile_builder_once


def setting(app, key, section):
    """One setting of the app's config, or fail saying that create_app should set it."""
    assert key in app.config, f"create_app should set {key} in the app's config ({section})"
    return app.config[key]


def database(app):
    """The database of an app built on a client of the checks (MONGO_CLIENT)."""
    return app.config["MONGO_CLIENT"][app.config["MONGO_DBNAME"]]


# --- Accounts and logins --------------------------------------------------------------------------


def store_user(db, username=USERNAME, password=PASSWORD, rounds=4):
    """Store an account straight in the database, as register would; return the document."""
    password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()
    db.users.insert_one({"username": username, "password_hash": password_hash})
    return db.users.find_one({"username": username})


def salts_of_cost_4(patch):
    """Make bcrypt hash at its cheapest cost, whatever cost the step asks for (12 is 0.2 s)."""
    real_gensalt = bcrypt.gensalt
    patch.setattr(bcrypt, "gensalt", lambda rounds=12, prefix=b"2b": real_gensalt(4, prefix))


def opened_clients(patch, **forced):
    """Keep every pymongo client the step opens, however it imports the class, with the options
    forced on it; return their list, to close them after. pymongo looks for a server every 10 ms.
    """
    opened, real_init = [], pymongo.MongoClient.__init__

    def init_and_keep(client, *args, **kwargs):
        opened.append(client)
        real_init(client, *args, **{**kwargs, **forced})

    # pymongo waits 0.5 s between two looks otherwise, whatever the timeout.
    patch.setattr(pymongo.common, "MIN_HEARTBEAT_INTERVAL", 0.01)
    patch.setattr(pymongo.MongoClient, "__init__", init_and_keep)
    return opened


def accounts(db):
    """Every account in the database, to compare before and after a request."""
    return list(db.users.find())


def login_over_a_planted_session(app, auth, section):
    """Put a value in the session, then log in: the session a login starts from is not fresh."""
    assert app.config.get("SECRET_KEY"), (
        f"create_app should set SECRET_KEY, which signs the session cookie ({COOKIES})"
    )
    with auth.client.session_transaction() as before_login:
        before_login["planted"] = "by someone else"
    response = auth.login()
    assert redirect_target(response, "POST /login", section) == ("/", {}), (
        f"logging in goes to the list ({section})"
    )


def accounts_and_logins(db):
    """Every account and every login (step 06 keeps logins in MongoDB), before and after."""
    return {"users": list(db.users.find()), "logins": list(db.logins.find())}


class AuthActions:
    """Register, log in and log out with the step's own forms, as a learner's browser would."""

    def __init__(self, app, client=None, logins=True):
        # A client of its own unless given one: Flask's test client, or anything with its get()
        # and post(), such as the load checks' browser.
        self.client = app.test_client() if client is None else client
        # Steps before 04 have no login (logins=False): there, logging in is a no-op.
        self.enabled = logins

    def register(self, username=USERNAME, password=PASSWORD):
        """Post the register form; the step logs the new account in."""
        return self.client.post("/register", data={"username": username, "password": password})

    def login(self, username=USERNAME, password=PASSWORD, next_path=None, **request_options):
        """Post the login form (with next if given); request_options go to client.post."""
        if not self.enabled:
            return None
        data = {"username": username, "password": password}
        if next_path is not None:
            data["next"] = next_path
        return self.client.post("/login", data=data, **request_options)

    def fail_logins(self, times, username=USERNAME, **request_options):
        """Post a wrong password several times, each an ordinary failed login."""
        for _ in range(times):
            response = self.login(username, WRONG_PASSWORD, **request_options)
            expect_status(response, 401, "POST /login with a wrong password", DECORATORS)

    def logout(self):
        """Post the logout form."""
        return self.client.post("/logout")

    def logged_in_as(self):
        """Who the client is logged in as according to /api/me, None if nobody."""
        response = self.client.get("/api/me")
        if response.status_code == 401:
            return None
        body = json_body(response, "GET /api/me (200 with a username, or 401)", DECORATORS)
        assert isinstance(body.get("username"), str), (
            f'GET /api/me should answer {{"username": "..."}}; it answered {body} ({DECORATORS})'
        )
        return body["username"]


# --- Items ----------------------------------------------------------------------------------------


def store_item(db, title, minute=0, owner_id=None, **fields):
    """Store an item straight in the database, made at 12:minute on 2024-01-01; return its _id."""
    # From step 05 on an item has an owner: with one, it gets the updated_at step 05 keeps too.
    # Other fields (done, created_at, a price ...) are stored as given.
    created_at = datetime(2024, 1, 1, 12, minute, tzinfo=UTC)
    document = {"title": title, "done": False, "created_at": created_at}
    if owner_id is not None:
        document |= {"owner_id": owner_id, "updated_at": created_at}
    return db.items.insert_one({**document, **fields}).inserted_id


def create_item(client, section=METHODVIEW, **fields):
    """Create an item through step 05's API; return it as the API answered."""
    response = client.post("/api/items/", json=fields)
    return json_body(response, f"POST /api/items/ {fields}", section, status=201)
