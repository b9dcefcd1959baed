"""The exercises of WORKSHOP.md: every reference solution under exercises/ is proved by checks.

Each patch under exercises/<step>/ is a unified diff relative to that step folder; `git apply`
run inside a copy of the folder applies it. There are two kinds:
- pitfall_*.patch brings one of the article's pitfalls back on purpose: the check named in
  PITFALLS, which passes on the step, must then fail.
- <name>.patch is the reference solution of the step's extension exercise (EXTENSIONS): applied
  to a copy of the step, the exercise's own checks below pass, and so do the step's own checks.

Learner mode: `pytest checks/test_exercises.py --step-dir my_work/05_done_filter` runs the
exercise checks of that step (and the step's own checks) against your folder instead.
"""

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
import simplejson
from bson import Decimal128, ObjectId

from conftest import ROOT, STEPS_DIR, step_module, step_number

EXERCISES_DIR = ROOT / "exercises"
# The extension exercise of each step: exercises/<step>/<name>.patch is its reference solution.
EXTENSIONS = {
    "02_jsonify": "count",
    "03_encoder": "more_types",
    "04_auth": "logout_everywhere",
    "05_methodview": "done_filter",
}
# Each pitfall patch, and the check that fails once it is applied.
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
    "04_auth/pitfall_bcrypt_72_bytes": "test_04_auth.py::test_check_password_answers_true_or_false",
    "05_methodview/pitfall_no_decorators": "test_05_methodview.py::test_every_route_needs_a_login",
    "05_methodview/pitfall_raw_objectid": (
        "test_05_methodview.py::test_ids_that_are_not_the_users_item_are_404"
    ),
}
PASSWORD = "correct horse battery"


def apply_patch(patch, folder):
    """Apply a patch of exercises/ inside folder, or fail saying which patch no longer applies."""
    # The ceiling keeps git from taking a repository around the folder for the patch's root.
    environment = {**os.environ, "GIT_CEILING_DIRECTORIES": str(Path(folder).parent)}
    result = subprocess.run(
        ["git", "apply", str(patch)],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{patch.relative_to(ROOT)} no longer applies to its step: update it.\n"
            + result.stderr,
            pytrace=False,
        )


def patched_copy(step, patch_name, tmp_path, copy_name=None):
    """Copy steps/<step> into tmp_path and apply exercises/<step>/<patch_name>.patch to it."""
    copy = tmp_path / (copy_name or step)
    shutil.copytree(STEPS_DIR / step, copy, ignore=shutil.ignore_patterns("__pycache__"))
    apply_patch(EXERCISES_DIR / step / f"{patch_name}.patch", copy)
    return copy


def reference_solution(step, tmp_path):
    """A copy of the step with its extension's reference patch, named like a learner's folder."""
    name = EXTENSIONS[step]
    return patched_copy(step, name, tmp_path, copy_name=f"{step[:2]}_{name}")


def run_checks(check_files, step_dir):
    """Run check files against a step folder in a fresh pytest; return (exit code, output)."""
    options = ["--step-dir", str(step_dir), "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *check_files, *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def in_learner_mode(config):
    """Tell whether the checks run against a learner's folder (--step-dir)."""
    return config.getoption("--step-dir") is not None


@pytest.fixture
def solution(step_dir, request, tmp_path):
    """The folder whose extension is checked: yours in learner mode, else the reference one."""
    if in_learner_mode(request.config):
        return step_dir
    return reference_solution(step_dir.name, tmp_path)


@pytest.fixture
def app(solution, mongo_client, frontend_public):
    """The solution's app on a fresh mongomock database (the conftest's app is the step's)."""
    return step_module(solution, "app").create_app(
        {
            "TESTING": True,
            "BCRYPT_ROUNDS": 4,
            "MONGO_URI": None,
            "MONGO_CLIENT": mongo_client,
            "FRONTEND_PUBLIC": str(frontend_public),
        }
    )


# --- The patches themselves ---------------------------------------------------------------------


def test_every_patch_is_an_exercise_or_a_pitfall():
    patches = {
        str(path.relative_to(EXERCISES_DIR).with_suffix(""))
        for path in EXERCISES_DIR.glob("*/*.patch")
    }
    known = set(PITFALLS) | {f"{step}/{name}" for step, name in EXTENSIONS.items()}
    assert patches == known, "each patch needs its entry in EXTENSIONS or PITFALLS"


@pytest.mark.parametrize(("patch", "check"), PITFALLS.items(), ids=list(PITFALLS))
def test_pitfall_patch_makes_its_check_fail(request, tmp_path, patch, check):
    if in_learner_mode(request.config):
        pytest.skip("the pitfall patches apply to the steps, not to your folder")
    step, name = patch.split("/")
    copy = patched_copy(step, name, tmp_path)
    code, output = run_checks([f"checks/{check}"], copy)
    assert code == 1, output
    assert f"FAILED checks/{check}" in output, output


@pytest.mark.steps(2, 5)
def test_the_steps_own_checks_pass_on_the_solution(solution, step_dir):
    number = f"{step_number(step_dir):02d}"
    check_files = sorted(f"checks/{path.name}" for path in ROOT.glob(f"checks/test_{number}_*.py"))
    code, output = run_checks(check_files, solution)
    assert code == 0, f"the extension broke the step's own checks:\n{output}"


# --- 02: a count next to the items (exercises/02_jsonify/count.patch) ---------------------------


def add_item(db, title, minute=0, **fields):
    """Store an item created at 12:minute on 2024-01-01."""
    created_at = datetime(2024, 1, 1, 12, minute, tzinfo=UTC)
    document = {"title": title, "done": False, "created_at": created_at, "updated_at": created_at}
    db.items.insert_one({**document, **fields})


@pytest.mark.steps(2, 2)
def test_count_says_how_many_items_there_are(client, db):
    for minute, title in enumerate(["older", "newer", "newest"]):
        add_item(db, title, minute)
    body = client.get("/api/items/").get_json()
    assert body.get("count") == 3, 'the list should say {"items": [...], "count": 3}'
    assert [item["title"] for item in body["items"]] == ["newest", "newer", "older"]


@pytest.mark.steps(2, 2)
def test_count_of_no_items_is_zero(client):
    assert client.get("/api/items/").get_json() == {"items": [], "count": 0}


# --- 03: Decimal128 and UUID (exercises/03_encoder/more_types.patch) ----------------------------

PRICE = Decimal128("12.50")
REFERENCE = UUID("12345678-1234-5678-1234-567812345678")
MORE_TYPES = {"price": PRICE, "reference": REFERENCE}
MORE_TYPES_JSON = {"price": "12.50", "reference": "12345678-1234-5678-1234-567812345678"}


@pytest.mark.steps(3, 3)
def test_encoder_writes_decimals_and_uuids_as_text(solution):
    encoder = step_module(solution, "encoder")
    encoded = simplejson.dumps(MORE_TYPES, cls=encoder.MongoDocumentEncoder)
    assert simplejson.loads(encoded) == MORE_TYPES_JSON


@pytest.mark.steps(3, 3)
def test_json_provider_writes_decimals_and_uuids_as_text(app):
    assert app.json.loads(app.json.dumps(MORE_TYPES)) == MORE_TYPES_JSON


@pytest.mark.steps(3, 3)
def test_decimal_prices_keep_every_digit_in_the_api(client, db):
    # 0.1 + 0.2 as a float is 0.30000000000000004: text keeps the decimal exact.
    add_item(db, "milk", price=Decimal128("0.30"))
    (item,) = client.get("/api/items/").get_json()["items"]
    assert item["price"] == "0.30"


# --- 04: log out everywhere (exercises/04_auth/logout_everywhere.patch) -------------------------


def log_in(client, username="learner"):
    """Log a client in with the login form."""
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, "arrange: the login form should log in"


def logged_in_as(client):
    """Who /api/me says the client is, None if nobody."""
    response = client.get("/api/me")
    return response.get_json()["username"] if response.status_code == 200 else None


@pytest.fixture
def devices(app, auth):
    """The learner logged in on a laptop and a phone, and someone else logged in too."""
    laptop, phone, someone = auth._client, app.test_client(), app.test_client()
    auth.register()
    log_in(phone)
    someone.post("/register", data={"username": "someone", "password": PASSWORD})
    assert logged_in_as(someone) == "someone", "arrange: someone else is logged in"
    return laptop, phone, someone


@pytest.mark.steps(4, 4)
def test_logout_everywhere_ends_every_login_of_the_user(db, devices):
    laptop, phone, someone = devices
    response = laptop.post("/logout/everywhere")
    assert response.status_code == 302, "POST /logout/everywhere should redirect to /login"
    assert response.headers["Location"] == "/login"
    assert (logged_in_as(laptop), logged_in_as(phone)) == (None, None), "both devices log out"
    assert logged_in_as(someone) == "someone", "other users stay logged in"
    assert db.logins.count_documents({"username": "learner"}) == 0


@pytest.mark.steps(4, 4)
@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [("GET", {}, {404, 405}), ("POST", {"Origin": "https://evil.example"}, {403})],
    ids=["by-get", "from-another-site"],
)
def test_logout_everywhere_is_a_same_site_post(db, devices, method, headers, status):
    laptop, phone, _ = devices
    response = laptop.open("/logout/everywhere", method=method, headers=headers)
    assert response.status_code in status
    assert (logged_in_as(laptop), logged_in_as(phone)) == ("learner", "learner")


@pytest.mark.steps(4, 4)
def test_logout_everywhere_without_a_login_changes_nothing(app, db, devices):
    before = list(db.logins.find())
    response = app.test_client().post("/logout/everywhere")
    assert response.status_code == 302
    assert list(db.logins.find()) == before


# --- 05: a done filter on the list (exercises/05_methodview/done_filter.patch) ------------------


@pytest.fixture
def mixed_items(client, auth, db):
    """The learner's items a, b, c, d (d newest; a and c done), and someone else's done item."""
    auth.login()
    owner_id = db.users.find_one({"username": "learner"})["_id"]
    for minute, (title, done) in enumerate([("a", True), ("b", False), ("c", True), ("d", False)]):
        add_item(db, title, minute, done=done, owner_id=owner_id)
    add_item(db, "someone else's", 9, done=True, owner_id=ObjectId())


@pytest.mark.steps(5, 5)
@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", ["d", "c", "b", "a"]),
        ("?done=true", ["c", "a"]),
        ("?done=false", ["d", "b"]),
        ("?done=true&limit=1", ["c"]),
        ("?done=false&offset=1", ["b"]),
    ],
    ids=["no-filter", "done", "not-done", "with-limit", "with-offset"],
)
def test_done_filters_the_list(client, mixed_items, query, titles):
    response = client.get(f"/api/items/{query}")
    assert response.status_code == 200
    listed = [item["title"] for item in response.get_json()["items"]]
    assert listed == titles, f"GET /api/items/{query} should list {titles}"


@pytest.mark.steps(5, 5)
@pytest.mark.parametrize("value", ["yes", "True", "1", "", "null"])
def test_other_done_values_are_refused(client, mixed_items, value):
    response = client.get("/api/items/", query_string={"done": value})
    assert response.status_code == 400, f"?done={value} should be refused with 400"
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]
