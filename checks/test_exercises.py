"""The exercises of WORKSHOP.md: every reference solution under exercises/ is proved by checks."""

# Two kinds of patch (see harness/steps.py): a pitfall patch brings one of the article's
# pitfalls back, and the check marked with its name must fail on the patched copy (conftest
# runs it); an extension's reference solution makes the exercise's own checks below pass.
#
# Learner mode: `pytest checks/test_exercises.py --step-dir my_work/05_done_filter` runs the
# exercise checks of that step against your folder instead; the folder's name says which.

import importlib
import io
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
import simplejson
from bson import Decimal128, ObjectId
from pymongo.errors import ServerSelectionTimeoutError

from harness.answers import (
    assert_json_error,
    assert_tells_only_that_the_database_is_down,
    expect_status,
    json_body,
    listed_items,
    redirect_target,
    said,
)
from harness.apps import USERNAME, database, from_step, step_module, store_item
from harness.items import ITEM_BODY_LIMIT
from harness.sections import (
    ACTIVE_LOGINS_EXERCISE,
    COUNT_EXERCISE,
    DONE_FILTER_EXERCISE,
    HEALTH_CHECK_EXERCISE,
    ITEM_BODY_LIMIT_EXERCISE,
    LOGOUT_EVERYWHERE_EXERCISE,
    MORE_TYPES_EXERCISE,
)
from harness.steps import EXERCISES_DIR, EXTENSIONS, declared_pitfalls, exercise_copy


@pytest.fixture
def solution(step_dir, request):
    """The folder whose extension is checked: yours in learner mode, else the reference one."""
    if request.config.getoption("--step-dir"):
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
    known = set(declared_pitfalls()) | {f"{step}/{name}" for step, name in EXTENSIONS.items()}
    assert patches == known, "each patch needs its entry in EXTENSIONS or a pitfall marker"


def test_every_pitfall_names_a_check_that_exists():
    # A case that no case of the check has would leave its pitfall unproven, silently.
    for patch, (check, case) in declared_pitfalls().items():
        file_name, name = check.split("::")
        marks = getattr(importlib.import_module(file_name.removesuffix(".py")), name).pytestmark
        cases = set()
        for mark in (mark for mark in marks if mark.name == "parametrize"):
            cases |= {param.id for param in mark.args[1] if hasattr(param, "id")}
            cases |= set(mark.kwargs.get("ids") or [])
        assert not case or case in cases, f"{patch}: {check} has no case {case}"


# --- 02: a count next to the items (exercises/02_jsonify/count.patch) ---------------------------


@pytest.mark.steps(2, 2)
def test_count_says_how_many_items_there_are(client, db):
    for minute, title in enumerate(["older", "newer", "newest"]):
        store_item(db, title, minute)
    body = json_body(client.get("/api/items/"), "GET /api/items/", COUNT_EXERCISE)
    assert body.get("count") == 3, (
        f'the list should say {{"items": [...], "count": 3}} ({COUNT_EXERCISE})'
    )
    titles = [item.get("title") for item in listed_items(client, COUNT_EXERCISE)]
    assert titles == ["newest", "newer", "older"], (
        f"the count leaves the list as it was ({COUNT_EXERCISE})"
    )


@pytest.mark.steps(2, 2)
def test_count_of_no_items_is_zero(client):
    body = json_body(client.get("/api/items/"), "GET /api/items/", COUNT_EXERCISE)
    assert body == {"items": [], "count": 0}, (
        f'no items: {{"items": [], "count": 0}} ({COUNT_EXERCISE})'
    )


# --- 03: Decimal128 and UUID (exercises/03_encoder/more_types.patch) ----------------------------

PRICE = Decimal128("12.50")
REFERENCE = UUID("12345678-1234-5678-1234-567812345678")
MORE_TYPES = {"price": PRICE, "reference": REFERENCE}
MORE_TYPES_JSON = {"price": "12.50", "reference": "12345678-1234-5678-1234-567812345678"}


@pytest.mark.steps(3, 3)
def test_encoder_writes_decimals_and_uuids_as_text(solution):
    encoded = simplejson.dumps(MORE_TYPES, cls=from_step(solution, "MongoDocumentEncoder"))
    assert simplejson.loads(encoded) == MORE_TYPES_JSON, (
        f"the encoder writes a Decimal128 and a UUID as text ({MORE_TYPES_EXERCISE})"
    )


@pytest.mark.steps(3, 3)
def test_json_provider_writes_decimals_and_uuids_as_text(app):
    assert app.json.loads(app.json.dumps(MORE_TYPES)) == MORE_TYPES_JSON, (
        f"app.json writes a Decimal128 and a UUID as text too ({MORE_TYPES_EXERCISE})"
    )


@pytest.mark.steps(3, 3)
def test_decimal_prices_keep_every_digit_in_the_api(client, db):
    # 0.1 + 0.2 as a float is 0.30000000000000004: text keeps the decimal exact.
    store_item(db, "milk", price=Decimal128("0.30"))
    items = listed_items(client, MORE_TYPES_EXERCISE)
    assert len(items) == 1, f"GET /api/items/ lists the one item stored ({MORE_TYPES_EXERCISE})"
    assert items[0].get("price") == "0.30", (
        f"the price keeps every digit, as text ({MORE_TYPES_EXERCISE})"
    )


# --- 04: log out everywhere (exercises/04_auth/logout_everywhere.patch) -------------------------


@pytest.fixture
def devices(app, auth, auth_actions, user):
    """The learner logged in on a laptop and a phone, and someone else logged in too."""
    laptop, phone, someone = auth, auth_actions(app), auth_actions(app)
    for device in (laptop, phone):
        redirect_target(device.login(), "POST /login", LOGOUT_EVERYWHERE_EXERCISE)
    redirect_target(someone.register("someone"), "POST /register", LOGOUT_EVERYWHERE_EXERCISE)
    return laptop, phone, someone


def copy_of_the_cookie(app, auth_actions, device):
    """Another browser holding a copy of a device's session cookie, as a thief would."""
    name = app.config["SESSION_COOKIE_NAME"]
    copy = auth_actions(app)
    copy.client.set_cookie(name, device.client.get_cookie(name).value)
    return copy


@pytest.mark.steps(4, 4)
def test_logout_everywhere_ends_every_session_of_the_user(app, auth_actions, devices):
    laptop, phone, someone = devices
    stolen = copy_of_the_cookie(app, auth_actions, phone)
    response = laptop.client.post("/logout/everywhere")
    target = redirect_target(response, "POST /logout/everywhere", LOGOUT_EVERYWHERE_EXERCISE)
    assert target == ("/login", {}), (
        f"then goes to the login form, /login ({LOGOUT_EVERYWHERE_EXERCISE})"
    )
    assert (laptop.logged_in_as(), phone.logged_in_as()) == (None, None), (
        "both devices log out: a number kept with the user, and copied into the session at"
        f" login, no longer matches ({LOGOUT_EVERYWHERE_EXERCISE})"
    )
    assert stolen.logged_in_as() is None, (
        f"a copy of a session cookie taken before stops working too ({LOGOUT_EVERYWHERE_EXERCISE})"
    )
    assert someone.logged_in_as() == "someone", (
        f"other users stay logged in ({LOGOUT_EVERYWHERE_EXERCISE})"
    )
    redirect_target(phone.login(), "POST /login after it", LOGOUT_EVERYWHERE_EXERCISE)
    assert phone.logged_in_as() == USERNAME, (
        f"a new login works as before ({LOGOUT_EVERYWHERE_EXERCISE})"
    )


@pytest.mark.steps(4, 4)
def test_logout_everywhere_takes_only_post(devices):
    laptop, phone, _ = devices
    response = laptop.client.get("/logout/everywhere")
    assert response.status_code in {404, 405}, (
        f"like /logout, a form that takes POST only: a link must not log anyone out; GET"
        f" answered {response.status_code} ({LOGOUT_EVERYWHERE_EXERCISE})"
    )
    assert (laptop.logged_in_as(), phone.logged_in_as()) == (USERNAME, USERNAME), (
        f"both devices stay logged in ({LOGOUT_EVERYWHERE_EXERCISE})"
    )


@pytest.mark.steps(4, 4)
def test_logout_everywhere_without_a_login_changes_nothing(app, db, devices):
    laptop, phone, _ = devices
    before = list(db.users.find())
    response = app.test_client().post("/logout/everywhere")
    redirect_target(response, "POST /logout/everywhere without a login", LOGOUT_EVERYWHERE_EXERCISE)
    assert list(db.users.find()) == before, (
        f"without a login, /logout/everywhere changes no account ({LOGOUT_EVERYWHERE_EXERCISE})"
    )
    assert (laptop.logged_in_as(), phone.logged_in_as()) == (USERNAME, USERNAME), (
        f"and logs nobody out ({LOGOUT_EVERYWHERE_EXERCISE})"
    )


# --- 05: a done filter on the list (exercises/05_methodview/done_filter.patch) ------------------


@pytest.fixture
def mixed_items(db, logged_in_user):
    """The learner's items a, b, c, d (d newest; a and c done), and someone else's done item."""
    owner_id = logged_in_user["_id"]
    for minute, (title, done) in enumerate([("a", True), ("b", False), ("c", True), ("d", False)]):
        store_item(db, title, minute, owner_id, done=done)
    store_item(db, "someone else's", 9, ObjectId(), done=True)


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
    listed = [item.get("title") for item in listed_items(client, DONE_FILTER_EXERCISE, query)]
    assert listed == titles, f"GET /api/items/{query} should list {titles} ({DONE_FILTER_EXERCISE})"


@pytest.mark.steps(5, 5)
@pytest.mark.parametrize("value", ["yes", "True", "1", "", "null"])
def test_other_done_values_are_refused(client, mixed_items, value):
    response = client.get("/api/items/", query_string={"done": value})
    assert_json_error(response, 400, f"GET /api/items/?done={value}", DONE_FILTER_EXERCISE)


# --- 06: the user's active logins (exercises/06_logins/active_logins.patch) ---------------------

LOGIN_FIELDS = {"created_at", "expires_at", "current"}


@pytest.fixture
def two_devices(app, db, auth, auth_actions, user):
    """The learner logged in on a laptop an hour ago and on a phone now; someone else too."""
    laptop, phone, someone = auth, auth_actions(app), auth_actions(app)
    redirect_target(laptop.login(), "POST /login", ACTIVE_LOGINS_EXERCISE)
    # The laptop's, the only login yet, an hour back: two logins made milliseconds apart could
    # have the same created_at, and no order.
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    db.logins.update_many({}, {"$set": {"created_at": an_hour_ago}})
    redirect_target(phone.login(), "POST /login on a phone", ACTIVE_LOGINS_EXERCISE)
    redirect_target(someone.register("someone"), "POST /register", ACTIVE_LOGINS_EXERCISE)
    return laptop, phone


def listed_logins(response, request_name="GET /api/logins"):
    """The logins an answer of GET /api/logins lists, from its envelope."""
    body = json_body(response, request_name, ACTIVE_LOGINS_EXERCISE)
    logins = body.get("logins")
    shape = (
        f'{request_name} should answer {{"logins": [{{...}}, ...]}}; it answered {str(body)[:200]}'
        f" ({ACTIVE_LOGINS_EXERCISE})"
    )
    assert isinstance(logins, list), shape
    assert all(isinstance(login, dict) for login in logins), shape
    return logins


def without_ttl_indexes(db):
    """Drop the logins' TTL index: an expired login stays until the step's own query skips it."""
    # One by one: mongomock's drop_indexes() leaves a TTL index at work.
    for name in db.logins.index_information():
        if name != "_id_":
            db.logins.drop_index(name)


@pytest.mark.steps(6, 6)
def test_active_logins_lists_the_users_own_logins(app, db, user, two_devices):
    own = list(db.logins.find({"user_id": user["_id"]}).sort("created_at", -1))
    for device, currents in zip(two_devices, [[False, True], [True, False]], strict=True):
        logins = listed_logins(device.client.get("/api/logins"))
        assert len(logins) == 2, (
            f"GET /api/logins lists the learner's two logins, a laptop's and a phone's, and not"
            f" the other user's: not {len(logins)} ({ACTIVE_LOGINS_EXERCISE})"
        )
        assert all(set(login) == LOGIN_FIELDS for login in logins), (
            f"each login has exactly the fields {sorted(LOGIN_FIELDS)}, not {logins}"
            f" ({ACTIVE_LOGINS_EXERCISE})"
        )
        expected = [
            {"created_at": login["created_at"], "expires_at": login["expires_at"]} for login in own
        ]
        listed = [{key: login[key] for key in ["created_at", "expires_at"]} for login in logins]
        assert listed == app.json.loads(app.json.dumps(expected)), (
            f"the logins are listed newest first (by created_at), each with its created_at and"
            f" expires_at as stored, not {listed} ({ACTIVE_LOGINS_EXERCISE})"
        )
        assert [login["current"] for login in logins] == currents, (
            f'"current" is true for the login of the browser that asks, false for the other,'
            f" newest first: {currents}, not {[login['current'] for login in logins]}"
            f" ({ACTIVE_LOGINS_EXERCISE})"
        )


@pytest.mark.steps(6, 6)
def test_active_logins_leaves_out_expired_ones(db, user, two_devices):
    laptop, _phone = two_devices
    without_ttl_indexes(db)
    # The phone's login, the learner's newest, ended a minute ago; its document is still there.
    (phone_login,) = db.logins.find({"user_id": user["_id"]}).sort("created_at", -1).limit(1)
    ended = datetime.now(UTC) - timedelta(minutes=1)
    db.logins.update_one({"_id": phone_login["_id"]}, {"$set": {"expires_at": ended}})
    logins = listed_logins(laptop.client.get("/api/logins"))
    assert [login.get("current") for login in logins] == [True], (
        f"a login whose expires_at has passed is not listed, even while its document is still"
        f" there (MongoDB's TTL monitor deletes it up to a minute later): only the laptop's"
        f" login is left, not {logins} ({ACTIVE_LOGINS_EXERCISE})"
    )


@pytest.mark.steps(6, 6)
def test_active_logins_never_shows_a_token(db, two_devices):
    laptop, _phone = two_devices
    response = laptop.client.get("/api/logins")
    logins = listed_logins(response)
    text = response.get_data(as_text=True)
    tokens = [login["_id"] for login in db.logins.find()]
    assert not any(token in text for token in tokens), (
        f"the answer shows no login's token, its _id: whoever reads a token can log in with it"
        f" ({ACTIVE_LOGINS_EXERCISE})"
    )
    shown = {key for login in logins for key in login} & {"_id", "user_id", "username"}
    assert not shown, (
        f"a listed login has no _id (the token), user_id or username, not {sorted(shown)}"
        f" ({ACTIVE_LOGINS_EXERCISE})"
    )


@pytest.mark.steps(6, 6)
def test_active_logins_needs_a_login(client, logged_in_user, auth):
    redirect_target(auth.logout(), "POST /logout", ACTIVE_LOGINS_EXERCISE)
    response = client.get("/api/logins")
    assert_json_error(response, 401, "GET /api/logins without a login", ACTIVE_LOGINS_EXERCISE)


# --- 07: a 16 KiB limit on items (exercises/07_requests/item_body_limit.patch) -----------------


def padded_item(size, title="padded"):
    """A valid item's JSON, padded with spaces to exactly size bytes."""
    start, end = f'{{"title": "{title}"', "}"
    return start + " " * (size - len(start) - len(end)) + end


@pytest.mark.steps(7, 7)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_item_bodies_over_16_kib_are_a_json_413(client, db, logged_in_user, chunked):
    item_id = store_item(db, "Buy milk", owner_id=logged_in_user["_id"])
    before = list(db.items.find())
    body = padded_item(ITEM_BODY_LIMIT + 1).encode()
    targets = {"POST": "/api/items/", "PUT": f"/api/items/{item_id}"}
    for method, url in {**targets, "PATCH": targets["PUT"]}.items():
        sent = {"data": body}
        how = ""
        if chunked:
            # No length known in advance: the limit counts as the body is read, by whatever
            # reads it first. The server ends the stream itself (wsgi.input_terminated).
            sent = {
                "input_stream": io.BytesIO(body),
                "headers": {"Transfer-Encoding": "chunked"},
                "environ_overrides": {"wsgi.input_terminated": True},
            }
            how = (
                " and sent chunked, with no Content-Length (the limit must be set before"
                " anything reads the body)"
            )
        response = client.open(url, method=method, content_type="application/json", **sent)
        assert_json_error(
            response,
            413,
            f"{method} {url} of a valid item padded with spaces to 16 KiB and one byte{how}",
            ITEM_BODY_LIMIT_EXERCISE,
        )
    assert list(db.items.find()) == before, (
        f"a body over the API's 16 KiB limit changes nothing ({ITEM_BODY_LIMIT_EXERCISE})"
    )


@pytest.mark.steps(7, 7)
def test_item_bodies_under_16_kib_are_read(client, db, logged_in_user):
    response = client.post(
        "/api/items/", data=padded_item(10 * 1024), content_type="application/json"
    )
    body = json_body(
        response,
        "POST /api/items/ of a valid item padded with spaces to 10 KiB",
        ITEM_BODY_LIMIT_EXERCISE,
        status=201,
    )
    assert body.get("title") == "padded", (
        f"the item of a body under 16 KiB is stored as sent ({ITEM_BODY_LIMIT_EXERCISE})"
    )


# --- 08: a health check (exercises/08_deploy/health_check.patch) --------------------------------


def assert_not_cached(response, request_name):
    """A health check's answer is true of its moment only: no cache may keep it."""
    assert response.headers.get("Cache-Control") == "no-store", (
        f"{request_name} carries Cache-Control: no-store, or a cache could answer for a server"
        f" that is down; it has {response.headers.get('Cache-Control')!r}"
        f" ({HEALTH_CHECK_EXERCISE})"
    )


@pytest.mark.steps(8, 8)
def test_health_check_says_ok_when_mongodb_answers(client, logged_in_user):
    response = client.get("/healthz")
    body = json_body(response, "GET /healthz", HEALTH_CHECK_EXERCISE)
    assert body == {"status": "ok"}, (
        f'GET /healthz answers {{"status": "ok"}} once MongoDB answers a ping, not {body}'
        f" ({HEALTH_CHECK_EXERCISE})"
    )
    assert_not_cached(response, "GET /healthz")


@pytest.mark.steps(8, 8)
def test_health_check_is_503_when_mongodb_does_not_answer(unreachable_app, app):
    down = unreachable_app.test_client().get("/healthz")
    request_name = "GET /healthz with MongoDB down"
    expect_status(down, 503, request_name, HEALTH_CHECK_EXERCISE)
    assert down.mimetype == "application/json", (
        f"{request_name} answers JSON, as the API does: the 503 of errors.py's handler, which"
        f" a load balancer reads; it answered {said(down)} ({HEALTH_CHECK_EXERCISE})"
    )
    assert_json_error(down, 503, request_name, HEALTH_CHECK_EXERCISE)
    assert_tells_only_that_the_database_is_down(down.get_json()["error"], request_name)
    assert_not_cached(down, request_name)

    def does_not_answer(*args, **kwargs):
        raise ServerSelectionTimeoutError("no server")

    # A MongoDB that answered when the app started, and stops answering its pings: the health
    # check asks it each time. The database class of the checks' client, mongomock's or pymongo's.
    # Undone at once: the checks' own calls to MongoDB (dropping its database) are to answer.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(database(app)), "command", does_not_answer)
        stopped = app.test_client().get("/healthz")
    assert stopped.status_code == 503, (
        f"GET /healthz when MongoDB stops answering after the app started should answer 503: the"
        f' health check asks it each time, get_db().command("ping"); it answered {said(stopped)}'
        f" ({HEALTH_CHECK_EXERCISE})"
    )


@pytest.mark.steps(8, 8)
def test_health_check_needs_no_login(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200, (
        f"GET /healthz without a login should answer 200: a load balancer has no login; it"
        f" answered {said(response, HEALTH_CHECK_EXERCISE)} ({HEALTH_CHECK_EXERCISE})"
    )
