"""The exercises of WORKSHOP.md: every reference solution under exercises/ is proved by checks.

Each patch under exercises/<step>/ is a unified diff relative to that step folder; `git apply`
run inside a copy of the folder applies it. There are two kinds:
- pitfall_*.patch brings one of the article's pitfalls back on purpose: the check named in
  conftest.PITFALLS, which passes on the step, runs again on a patched copy and must fail there.
- <name>.patch is the reference solution of the step's extension exercise (conftest.EXTENSIONS):
  applied to a copy of the step, the exercise's own checks below pass.

Learner mode: `pytest checks/test_exercises.py --step-dir my_work/05_done_filter` runs the
exercise checks of that step against your folder instead.
"""

import importlib
from datetime import UTC, datetime
from uuid import UUID

import pytest
import simplejson
from bson import Decimal128, ObjectId

from conftest import EXERCISES_DIR, EXTENSIONS, PITFALLS, exercise_copy, step_module

PASSWORD = "correct horse battery"


def in_learner_mode(config):
    """Tell whether the checks run against a learner's folder (--step-dir)."""
    return config.getoption("--step-dir") is not None


@pytest.fixture
def solution(step_dir, request):
    """The folder whose extension is checked: yours in learner mode, else the reference one."""
    if in_learner_mode(request.config):
        return step_dir
    return exercise_copy(request.config, step_dir.name, EXTENSIONS[step_dir.name])


@pytest.fixture
def step_app_module(solution):
    """The solution's app.py: the conftest's app, client and db fixtures then use it."""
    return step_module(solution, "app")


# --- The patches themselves ---------------------------------------------------------------------


def test_every_patch_is_an_exercise_or_a_pitfall():
    patches = {
        str(path.relative_to(EXERCISES_DIR).with_suffix(""))
        for path in EXERCISES_DIR.glob("*/*.patch")
    }
    known = set(PITFALLS) | {f"{step}/{name}" for step, name in EXTENSIONS.items()}
    assert patches == known, "each patch needs its entry in EXTENSIONS or PITFALLS"


def test_every_pitfall_names_a_check_that_exists():
    for patch, check in PITFALLS.items():
        file_name, name = check.split("[")[0].split("::")
        module = importlib.import_module(file_name.removesuffix(".py"))
        assert hasattr(module, name), f"{patch}: no check {check}"


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
