"""Step 05: ItemsAPI, one MethodView for a Backbone collection and its models."""

import json
import re
from datetime import UTC, datetime

import pytest
from bson import ObjectId
from bson.errors import InvalidId
from flask import Flask
from flask.views import MethodView

from answers import (
    assert_json_error,
    assert_tells_only_that_the_database_is_down,
    expect_status,
    json_body,
    listed_items,
    redirect_target,
)
from sections import (
    CROSS_SITE,
    METHODVIEW,
    METHODVIEW_PITFALLS,
    OVERRIDE,
    PAGES,
    STEP05_MODULES,
    STRICT_BODIES,
    UNREACHABLE,
    VALIDATION,
)
from support import create_item, from_step, site_header_cases, store_item

pytestmark = pytest.mark.steps(5, 6)

COLLECTION = "/api/items/"
# A valid ObjectId that no item ever gets, and the _id of the item another user owns.
MISSING_ID = "0" * 24
OTHERS_ID = "65a1b2c3d4e5f60718293a4b"
# The URL of an item, for the methods it takes.
ITEM = f"{COLLECTION}{MISSING_ID}"
JSON = "application/json"
# When the item fixture's item was made: an update visibly moves updated_at, never created_at.
LONG_AGO = datetime(2024, 1, 1, 12, tzinfo=UTC)
PITFALLS = METHODVIEW_PITFALLS

# Every request the API takes, on the collection or on the item, with a body that would be
# valid, and the status it answers when it is allowed.
REQUESTS = {
    "list": ("collection", {"method": "GET"}, 200),
    "create": ("collection", {"method": "POST", "json": {"title": "new"}}, 201),
    "read": ("item", {"method": "GET"}, 200),
    "replace": ("item", {"method": "PUT", "json": {"title": "new"}}, 200),
    "patch": ("item", {"method": "PATCH", "json": {"title": "new"}}, 200),
    "delete": ("item", {"method": "DELETE"}, 204),
    "override-patch": (
        "item",
        {
            "method": "POST",
            "json": {"title": "new"},
            "headers": {"X-HTTP-Method-Override": "PATCH"},
        },
        200,
    ),
    "override-delete": (
        "item",
        {"method": "POST", "headers": {"X-HTTP-Method-Override": "DELETE"}},
        204,
    ),
}
# The requests of Backbone's REST API; the override ones are Backbone.emulateHTTP's.
REST = ["list", "create", "read", "replace", "patch", "delete"]
OVERRIDES = [name for name in REQUESTS if name not in REST]
ITEM_REQUESTS = [name for name, (target, _, _) in REQUESTS.items() if target == "item"]
REST_ITEM_REQUESTS = [name for name in ITEM_REQUESTS if name in REST]
WRITES = [
    name for name, (_, request_args, _) in REQUESTS.items() if request_args["method"] != "GET"
]


def send(client, name, item_id, **extra_headers):
    """Send one of REQUESTS, to the collection or to the item item_id, with extra headers."""
    target, request_args, _ = REQUESTS[name]
    url = COLLECTION if target == "collection" else item_url(item_id)
    headers = {**request_args.get("headers", {}), **extra_headers}
    return client.open(url, **{**request_args, "headers": headers})


def item_url(item_id):
    """The URL of one item."""
    return f"{COLLECTION}{item_id}"


def stored(db, item_id):
    """The item as the database holds it, or None."""
    assert ObjectId.is_valid(item_id), (
        f"an item's _id is sent as its 24 hex digits, not {item_id!r} ({METHODVIEW})"
    )
    return db.items.find_one({"_id": ObjectId(item_id)})


def items_in(db):
    """Every stored item, to compare the collection before and after a request."""
    return list(db.items.find())


def as_api(document):
    """A stored item as the API shows it: string _id, ISO 8601 times, no owner_id."""
    assert document is not None, f"the item is stored in the items collection ({METHODVIEW})"
    assert set(document) >= {"_id", "title", "done", "created_at", "updated_at"}, (
        "a stored item has its _id, title, done, created_at and updated_at, not only"
        f" {sorted(document)} ({STEP05_MODULES})"
    )
    return {
        "_id": str(document["_id"]),
        "title": document["title"],
        "done": document["done"],
        "created_at": document["created_at"].isoformat(timespec="milliseconds"),
        "updated_at": document["updated_at"].isoformat(timespec="milliseconds"),
    }


def raw(body, content_type=JSON):
    """Request arguments that send body exactly as given."""
    data = body.encode() if isinstance(body, str) else body
    return {"data": data, "content_type": content_type}


@pytest.fixture
def item(db, logged_in_user):
    """The learner, logged in, with one item made LONG_AGO; another user has an item too."""
    store_item(db, "someone else's", owner_id=ObjectId(), _id=ObjectId(OTHERS_ID))
    item_id = store_item(db, "Buy milk", owner_id=logged_in_user["_id"], done=True)
    return as_api(stored(db, item_id))


# ---------------------------------------------------------------- login on every route


def assert_login_needed(client, auth, db, item, name, section):
    """The request, sent by a visitor, is a 401 that changes nothing."""
    redirect_target(auth.logout(), "POST /logout", section)
    before = items_in(db)
    assert_json_error(send(client, name, item["_id"]), 401, f"{name} without a login", section)
    assert items_in(db) == before, (
        f"decorators = [api_login_required] guards every verb: {name} changed items ({section})"
    )


@pytest.mark.parametrize("name", REST)
def test_every_route_needs_a_login(client, auth, db, item, name):
    assert_login_needed(client, auth, db, item, name, METHODVIEW_PITFALLS)


@pytest.mark.hardening
@pytest.mark.parametrize("name", OVERRIDES)
def test_override_requests_need_a_login(client, auth, db, item, name):
    assert_login_needed(client, auth, db, item, name, OVERRIDE)


# ---------------------------------------------------------------- the collection


def test_list_is_the_users_items_newest_first(client, db, logged_in_user):
    owner = logged_in_user["_id"]
    store_item(db, "oldest", 0, owner)
    # Two items created at the same moment: the larger _id (made later) comes first.
    tie_first = store_item(db, "tie, made first", 5, owner)
    tie_second = store_item(db, "tie, made second", 5, owner)
    assert tie_second > tie_first, "arrange: ObjectIds made later are larger"
    store_item(db, "newest", 9, owner)
    store_item(db, "another user's", 7, ObjectId())
    items = listed_items(client, METHODVIEW)
    titles = ["newest", "tie, made second", "tie, made first", "oldest"]
    assert items == [as_api(db.items.find_one({"title": title})) for title in titles], (
        f"GET {COLLECTION} lists the user's own items only, newest first, ties broken by _id"
        f" ({METHODVIEW})"
    )


@pytest.mark.hardening
@pytest.mark.parametrize(
    ("query", "titles", "limit", "offset"),
    [
        ("", ["4", "3", "2", "1", "0"], 50, 0),
        ("?limit=2", ["4", "3"], 2, 0),
        ("?limit=2&offset=1", ["3", "2"], 2, 1),
        ("?offset=4", ["0"], 50, 4),
        ("?offset=5", [], 50, 5),
        ("?limit=200&offset=1000000", [], 200, 1000000),
        ("?limit=1&limit=abc", ["4"], 1, 0),
    ],
    ids=[
        "default-50-from-0",
        "limit",
        "limit-and-offset",
        "offset",
        "past-the-end",
        "largest",
        "repeated-first-counts",
    ],
)
def test_list_pages(client, db, logged_in_user, query, titles, limit, offset):
    for minute in range(5):
        store_item(db, str(minute), minute, logged_in_user["_id"])
    body = json_body(client.get(COLLECTION + query), f"GET {COLLECTION}{query}", PAGES)
    assert [listed.get("title") for listed in body.get("items", [])] == titles, (
        f"GET {COLLECTION}{query} lists {titles} ({PAGES})"
    )
    assert (body.get("limit"), body.get("offset")) == (limit, offset), (
        f'the page says where it starts: {{"limit": {limit}, "offset": {offset}}} ({PAGES})'
    )


@pytest.mark.hardening
@pytest.mark.parametrize(
    "query",
    [
        "?limit=abc",
        "?limit=-1",
        "?limit=1.5",
        "?limit=²",
        "?limit=\u0665",  # ARABIC-INDIC DIGIT FIVE: isdigit(), but not ASCII
        "?limit=+5",
        "?limit=%205",
        "?limit=",
        "?limit=0",
        "?limit=201",
        "?offset=-1",
        "?offset=",
        "?offset=1000001",
        "?limit=abc&limit=5",
        # int() refuses strings of over 4300 digits with ValueError.
        pytest.param("?limit=" + "9" * 5000, id="?limit=5000-digits"),
        pytest.param("?offset=" + "0" * 5000 + "1", id="?offset=5000-digits"),
    ],
)
def test_bad_page_parameters_are_refused_not_clamped(client, logged_in_user, query):
    assert_json_error(client.get(COLLECTION + query), 400, f"GET {COLLECTION}{query}", PAGES)


def test_create_answers_the_stored_item(client, db, logged_in_user):
    response = client.post(COLLECTION, json={"title": "  Buy milk  "})
    body = json_body(response, f"POST {COLLECTION}", METHODVIEW, status=201)
    document = stored(db, body.get("_id"))
    assert response.headers.get("Location") == item_url(body["_id"]), (
        f"a 201 has a Location header, the new item's URL ({METHODVIEW})"
    )
    assert body == as_api(document), f"the answer is the item as stored ({METHODVIEW})"
    assert body["title"] == "Buy milk", (
        f"the title is stored without the blanks around it ({VALIDATION})"
    )
    assert body["done"] is False, f"done is false unless sent ({VALIDATION})"
    assert body["created_at"] == body["updated_at"], (
        f"a new item was made and changed at once: created_at is updated_at ({METHODVIEW})"
    )
    assert body["created_at"].endswith("+00:00"), f"times in UTC, ISO 8601 ({METHODVIEW})"
    assert re.fullmatch("[0-9a-f]{24}", body["_id"]), f"the _id as its 24 hex digits ({METHODVIEW})"
    assert document.get("owner_id") == logged_in_user["_id"], (
        f"the item belongs to who made it: owner_id ({METHODVIEW})"
    )
    assert set(document) == {"_id", "title", "done", "owner_id", "created_at", "updated_at"}, (
        f"only the fields the server sets are stored, not {sorted(document)} ({VALIDATION})"
    )


def test_create_ignores_server_set_times(client, db, logged_in_user):
    forged = "2000-01-01T00:00:00.000+00:00"
    body = create_item(client, title="x", done=True, created_at=forged, updated_at=forged)
    document = stored(db, body.get("_id"))
    assert as_api(document)["created_at"] != forged, (
        f"the server sets the times, not the client: it ignores created_at ({METHODVIEW})"
    )
    assert document["created_at"] == document["updated_at"], (
        f"a new item was made and changed at once ({METHODVIEW})"
    )
    assert body == as_api(document), f"the answer is the item as stored ({METHODVIEW})"


@pytest.mark.hardening
def test_create_refuses_a_client_chosen_id(client, db, logged_in_user):
    response = client.post(COLLECTION, json={"_id": OTHERS_ID, "title": "mine now"})
    assert_json_error(response, 400, f"POST {COLLECTION} with an _id", STRICT_BODIES)
    assert response.get_json().get("fields") == {"_id": "Leave it out."}, (
        f'the server chooses ids: {{"fields": {{"_id": "Leave it out."}}}} ({STRICT_BODIES})'
    )
    assert items_in(db) == [], f"nothing is stored ({STRICT_BODIES})"


@pytest.mark.parametrize(
    ("title", "kept"),
    [(" " + "x" * 200 + " ", "x" * 200), ("é" * 200, "é" * 200), ("a\u0000b", "a\u0000b")],
    ids=["200-after-trim", "200-non-ascii", "nul-is-text"],
)
def test_create_keeps_titles_up_to_200_characters(client, db, logged_in_user, title, kept):
    body = create_item(client, VALIDATION, title=title)
    assert as_api(stored(db, body.get("_id")))["title"] == kept, (
        f"a title keeps up to 200 characters after trimming ({VALIDATION})"
    )


INVALID_ITEMS = [
    pytest.param({"title": 5}, {"title"}, id="title-number"),
    pytest.param({"title": ""}, {"title"}, id="title-empty"),
    pytest.param({"title": " \t\n"}, {"title"}, id="title-whitespace"),
    pytest.param({"title": "\u3000\u2003"}, {"title"}, id="title-unicode-whitespace"),
    pytest.param({"title": "x" * 201}, {"title"}, id="title-201"),
    pytest.param({"title": None}, {"title"}, id="title-null"),
    pytest.param({"title": ["x"]}, {"title"}, id="title-list"),
    pytest.param({}, {"title"}, id="title-missing"),
    pytest.param({"title": "x", "done": 1}, {"done"}, id="done-1"),
    pytest.param({"title": "x", "done": "true"}, {"done"}, id="done-string"),
    pytest.param({"title": "x", "done": None}, {"done"}, id="done-null"),
    pytest.param({"title": 1, "done": 0}, {"title", "done"}, id="both-wrong"),
]


def assert_refused_field_by_field(response, db, body, fields, section):
    """The response is a 422 naming each wrong field with a sentence, and nothing is stored."""
    assert_json_error(response, 422, f"POST {COLLECTION} {body}", section)
    answer = response.get_json()
    assert isinstance(answer.get("fields"), dict), (
        f'a 422 says what is wrong field by field, {{"fields": {{...}}}} ({VALIDATION})'
    )
    assert set(answer["fields"]) == fields, (
        f'a 422 says what is wrong field by field, {{"fields": {{...}}}} naming {sorted(fields)},'
        f" not {answer.get('fields')} ({VALIDATION})"
    )
    assert all(isinstance(message, str) and message for message in answer["fields"].values()), (
        f"each field's message is a sentence ({VALIDATION})"
    )
    assert items_in(db) == [], f"a refused item is not stored ({VALIDATION})"


@pytest.mark.parametrize(("body", "fields"), INVALID_ITEMS)
def test_invalid_items_are_422_field_by_field(client, db, logged_in_user, body, fields):
    response = client.post(COLLECTION, json=body)
    assert_refused_field_by_field(response, db, body, fields, VALIDATION)


@pytest.mark.hardening
def test_unknown_fields_are_422_and_named(client, db, logged_in_user):
    body = {"title": "x", "colour": "red", "owner_id": "me"}
    response = client.post(COLLECTION, json=body)
    assert_refused_field_by_field(response, db, body, {"colour", "owner_id"}, STRICT_BODIES)
    error = response.get_json()["error"]
    for name in ("colour", "owner_id"):
        assert name in error, f"the error names the unknown fields, not {error!r} ({STRICT_BODIES})"


# ---------------------------------------------------------------- one item


def test_read_answers_the_item_itself(client, db, item):
    body = json_body(client.get(item_url(item["_id"])), "GET /api/items/<id>", METHODVIEW)
    assert body == item == as_api(stored(db, item["_id"])), (
        f"GET /api/items/<id> answers the bare item, as stored ({METHODVIEW})"
    )


def test_put_takes_back_what_backbone_sends(client, db, item):
    owner_id = stored(db, item["_id"])["owner_id"]
    # Backbone's save() sends every attribute, the server-set ones included.
    forged = "2000-01-01T00:00:00.000+00:00"
    sent = {**item, "title": " Buy oat milk ", "created_at": forged, "updated_at": forged}
    response = client.put(item_url(item["_id"]), json=sent)
    body = json_body(response, "PUT of the whole item Backbone sends, times included", METHODVIEW)
    after = stored(db, item["_id"])
    assert body == as_api(after), f"the answer is the item as stored ({METHODVIEW})"
    assert (after["title"], after["done"]) == ("Buy oat milk", True), (
        f"the title is stored trimmed; done as sent ({VALIDATION})"
    )
    assert after["created_at"] == LONG_AGO, f"created_at never changes ({METHODVIEW})"
    assert after["updated_at"] > LONG_AGO, (
        f"the server moves updated_at, whatever was sent ({METHODVIEW})"
    )
    assert after.get("owner_id") == owner_id, f"the owner never changes ({METHODVIEW})"


def test_put_replaces_client_fields_missing_done_is_false(client, db, item):
    response = client.put(item_url(item["_id"]), json={"title": "Buy milk"})
    expect_status(response, 200, "PUT of a title alone, a valid item", METHODVIEW)
    assert stored(db, item["_id"])["done"] is False, (
        f"PUT replaces: a done left out is false ({METHODVIEW})"
    )


def assert_put_refused(client, db, item, body, status, section):
    """A PUT of body answers this error status and changes nothing."""
    before = items_in(db)
    response = client.put(item_url(item["_id"]), json=body)
    assert_json_error(response, status, f"PUT {body}", section)
    assert items_in(db) == before, f"a refused PUT changes nothing ({section})"


def test_put_without_a_title_is_refused(client, db, item):
    assert_put_refused(client, db, item, {"done": False}, 422, VALIDATION)


@pytest.mark.hardening
@pytest.mark.parametrize(
    "other_id", [MISSING_ID, OTHERS_ID], ids=["other-_id", "another-users-_id"]
)
def test_put_of_another_id_is_refused(client, db, item, other_id):
    assert_put_refused(client, db, item, {"title": "x", "_id": other_id}, 400, STRICT_BODIES)


@pytest.mark.parametrize(
    ("body", "title", "done"),
    [
        ({"done": False}, "Buy milk", False),
        ({"title": " Buy bread "}, "Buy bread", True),
        ({}, "Buy milk", True),
    ],
    ids=["done-only", "title-only", "nothing"],
)
def test_patch_changes_only_the_fields_sent(client, db, item, body, title, done):
    response = client.patch(item_url(item["_id"]), json=body)
    answer = json_body(response, f"PATCH {body}", METHODVIEW)
    after = stored(db, item["_id"])
    assert answer == as_api(after), f"the answer is the item as stored ({METHODVIEW})"
    assert (after["title"], after["done"]) == (title, done), (
        f"PATCH {body} keeps the fields not sent ({METHODVIEW})"
    )
    assert after["created_at"] == LONG_AGO, f"created_at never changes ({METHODVIEW})"
    assert after["updated_at"] > LONG_AGO, f"the server moves updated_at ({METHODVIEW})"


def test_delete_answers_204_and_the_item_is_gone(client, db, item):
    response = client.delete(item_url(item["_id"]))
    expect_status(response, 204, "DELETE /api/items/<id>", METHODVIEW)
    assert response.data == b"", f"a 204 has no body ({METHODVIEW})"
    assert stored(db, item["_id"]) is None, f"the item is deleted ({METHODVIEW})"
    assert stored(db, OTHERS_ID) is not None, f"other items stay ({METHODVIEW})"
    response = client.delete(item_url(item["_id"]))
    assert_json_error(response, 404, "DELETE of a deleted item", METHODVIEW_PITFALLS)


# ---------------------------------------------------------------- Backbone.emulateHTTP


@pytest.mark.hardening
@pytest.mark.parametrize(
    ("override", "body", "status", "expected"),
    [
        ("PUT", {"title": "put"}, 200, ("put", False)),
        ("put", {"title": "put"}, 200, ("put", False)),
        ("PATCH", {"title": "patched"}, 200, ("patched", True)),
        ("pAtCh", {"done": False}, 200, ("Buy milk", False)),
        ("DELETE", None, 204, None),
        ("delete", None, 204, None),
    ],
    ids=["PUT", "put", "PATCH", "pAtCh", "DELETE", "delete"],
)
def test_override_header_on_post_acts_as_the_method_it_names(
    client, db, item, override, body, status, expected
):
    headers = {"X-HTTP-Method-Override": override}
    response = client.post(item_url(item["_id"]), json=body, headers=headers)
    expect_status(
        response,
        status,
        f"POST with X-HTTP-Method-Override: {override} (Backbone.emulateHTTP's {override.upper()})",
        OVERRIDE,
    )
    after = stored(db, item["_id"])
    if expected is None:
        assert response.data == b"", f"a 204 has no body ({OVERRIDE})"
        assert after is None, f"the item is deleted ({OVERRIDE})"
    else:
        assert response.get_json() == as_api(after), (
            f"the answer is the item as stored ({OVERRIDE})"
        )
        assert (after["title"], after["done"]) == expected, (
            f"POST as {override.upper()} changes the item as {override.upper()} would ({OVERRIDE})"
        )


@pytest.mark.hardening
@pytest.mark.parametrize(
    "override",
    [None, "", "GET", "POST", "HEAD", "TRACE", "OPTIONS", "CONNECT", "update", "PUT, DELETE"],
    ids=lambda value: f"override={value}",
)
def test_post_to_an_item_without_a_usable_override_is_405(client, db, item, override):
    before = items_in(db)
    headers = {} if override is None else {"X-HTTP-Method-Override": override}
    response = client.post(item_url(item["_id"]), json={"title": "x"}, headers=headers)
    assert_json_error(
        response, 405, "POST to an item without PUT, PATCH or DELETE to stand for", OVERRIDE
    )
    allowed = set(response.headers.get("Allow", "").split(", "))
    assert allowed >= {"GET", "PUT", "PATCH", "DELETE"}, (
        f"a 405 says which methods the item takes, in its Allow header, not {allowed} ({OVERRIDE})"
    )
    assert items_in(db) == before, f"a refused POST changes nothing ({OVERRIDE})"


@pytest.mark.hardening
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
def test_override_header_is_ignored_on_other_methods(client, db, item, method):
    body = None if method == "GET" else {"title": "Buy milk"}
    headers = {"X-HTTP-Method-Override": "DELETE"}
    response = client.open(item_url(item["_id"]), method=method, json=body, headers=headers)
    expect_status(response, 200, f"{method} with X-HTTP-Method-Override: DELETE", OVERRIDE)
    assert stored(db, item["_id"]) is not None, (
        f"the override header counts on a POST only: a {method} is never a DELETE ({OVERRIDE})"
    )


@pytest.mark.hardening
@pytest.mark.parametrize("override", ["DELETE", "PUT", "PATCH"])
def test_override_header_off_an_item_is_refused(client, db, item, override):
    before = items_in(db)
    headers = {"X-HTTP-Method-Override": override}
    for method, url in [("POST", COLLECTION), ("GET", COLLECTION), ("GET", "/api/me")]:
        body = {"title": "x"} if method == "POST" else None
        response = client.open(url, method=method, json=body, headers=headers)
        assert_json_error(
            response, 400, f"{method} {url} with X-HTTP-Method-Override: {override}", OVERRIDE
        )
    assert items_in(db) == before, (
        f"the override works on an item only: elsewhere it is refused, and a POST to the"
        f" collection creates nothing ({OVERRIDE})"
    )


# ---------------------------------------------------------------- ids that find nothing

BAD_IDS = [
    pytest.param("nope", id="not-hex"),
    pytest.param("123", id="short-number"),
    pytest.param("z" * 24, id="24-non-hex"),
    pytest.param("a" * 25, id="25-hex"),
    pytest.param("%20" * 24, id="24-spaces"),
    pytest.param("é" * 24, id="24-unicode"),
    pytest.param("%00", id="nul"),
    pytest.param("%FF%FE", id="invalid-utf8"),
    pytest.param("a" * 10_000, id="10000-chars"),
    pytest.param(MISSING_ID, id="no-such-item"),
    pytest.param(OTHERS_ID, id="another-users-item"),
]


def assert_not_found(client, db, requests, item_id, section):
    """Each request to item_id is a JSON 404 that changes nothing."""
    before = items_in(db)
    for name in requests:
        response = send(client, name, item_id)
        assert_json_error(response, 404, f"{name} of an id that is not the user's item", section)
    assert items_in(db) == before, f"an id that is not the user's item changes nothing ({section})"


@pytest.mark.parametrize("item_id", BAD_IDS)
def test_ids_that_are_not_the_users_item_are_404(client, db, item, item_id):
    assert_not_found(client, db, REST_ITEM_REQUESTS, item_id, PITFALLS)


@pytest.mark.hardening
@pytest.mark.parametrize("item_id", BAD_IDS)
def test_override_requests_to_ids_that_are_not_the_users_item_are_404(client, db, item, item_id):
    assert_not_found(client, db, OVERRIDES, item_id, OVERRIDE)


def test_path_traversal_reaches_no_item_and_no_file(client, db, item):
    before = items_in(db)
    # Decoded, this is /api/items/../../../../steps/05_methodview/app.py: the static files
    # route (/<path:filename>, GET only) matches it, refuses the "..", and no item rule does.
    item_id = "..%2f" * 4 + "steps%2f05_methodview%2fapp.py"
    for name in ITEM_REQUESTS:
        method = REQUESTS[name][1]["method"]
        status = 404 if method == "GET" else 405
        assert_json_error(send(client, name, item_id), status, f"{name} of ../app.py", PITFALLS)
    assert items_in(db) == before, f"a path with .. reaches nothing ({PITFALLS})"


# ---------------------------------------------------------------- bad bodies


TOO_DEEP = "[" * 100_000
DEEP_TITLE = '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}"
MANY_KEYS = json.dumps({f"k{number}": 0 for number in range(20_000)})
FIVE_THOUSAND_DIGITS = '{"title": "x", "done": 1' + "0" * 5000 + "}"

# JSON bodies the parser cannot read as an object, or as JSON at all: 400.
UNREADABLE = {
    "malformed": '{"title": ',
    "empty": "",
    "array": "[]",
    "null": "null",
    "number": "3",
    "string": '"x"',
    "invalid-utf8": b'{"title": "\xff\xfe"}',
    "NaN": '{"title": "x", "done": NaN}',
    "Infinity": '{"title": "x", "created_at": Infinity}',
    "-Infinity": '{"title": "x", "updated_at": -Infinity}',
    "5000-digits": FIVE_THOUSAND_DIGITS,
    "100000-deep": TOO_DEEP,
    "title-50000-deep": DEEP_TITLE,
    # A client-chosen _id is a 400, as in a create: not a field to correct.
    "_id-operator": '{"title": "x", "_id": {"$ne": null}}',
}
# JSON objects that are not a valid item: 422, field by field.
INVALID = {
    "title-number": '{"title": 5}',
    "done-string": '{"title": "x", "done": "true"}',
    "$set": '{"$set": {"title": "x"}}',
    "$where": '{"title": "x", "$where": "1"}',
    "dotted-key": '{"title.x": 1}',
    "empty-key": '{"title": "x", "": 1}',
    "operator-value": '{"title": {"$ne": null}}',
    "operator-done": '{"title": "x", "done": {"$ne": false}}',
    "owner": '{"title": "x", "owner_id": "65a1b2c3d4e5f60718293a4b"}',
    "2**63": f'{{"title": "x", "done": {2**63}}}',
    "-2**63-1": f'{{"title": "x", "done": {-(2**63) - 1}}}',
    "10**400": f'{{"title": "x", "done": {10**400}}}',
    "1e400": '{"title": "x", "done": 1e400}',
    "duplicate-keys": '{"title": "ok", "title": {"$ne": null}}',
    "20000-keys": MANY_KEYS,
    "surrogate-key": '{"title": "x", "\\ud800": 1}',
    "surrogate-title": '{"title": "\\ud800"}',
    "surrogate-in-title": '{"title": "ok \\udfff"}',
}
# Bodies with a content type that is not JSON: 415; or JSON declared in a charset the bytes are not.
CONTENT_TYPES = [
    ("text-plain", "text/plain", 415),
    ("form", "application/x-www-form-urlencoded", 415),
    ("no-content-type", None, 415),
    ("text-json", "text/json", 415),
    ("jsonp", "application/jsonp", 415),
]
BAD_BODIES = [
    *(pytest.param(raw(body), 400, id=name) for name, body in UNREADABLE.items()),
    *(pytest.param(raw(body), 422, id=name) for name, body in INVALID.items()),
    *(
        pytest.param(raw('{"title": "x"}', content_type), status, id=name)
        for name, content_type, status in CONTENT_TYPES
    ),
    pytest.param(
        raw('{"title": "caf\xe9"}'.encode("latin-1"), "application/json; charset=latin-1"),
        400,
        id="latin-1-bytes",
    ),
]


@pytest.mark.hardening
@pytest.mark.parametrize(("request_args", "status"), BAD_BODIES)
def test_bad_bodies_get_a_json_error_and_change_nothing(client, db, item, request_args, status):
    before = items_in(db)
    targets = {"POST": COLLECTION, "PUT": item_url(item["_id"]), "PATCH": item_url(item["_id"])}
    for method, url in targets.items():
        if "input_stream" in request_args:
            # The chunked row sends the same stream each time: from its start.
            request_args["input_stream"].seek(0)
        response = client.open(url, method=method, **request_args)
        assert_json_error(response, status, f"{method} {url}", STRICT_BODIES)
    assert items_in(db) == before, f"a refused body changes nothing ({STRICT_BODIES})"


# Just under 1 MiB of unknown fields: the error names a few of them, never all 15,000.
UNKNOWN_COUNT = 15_000
UNKNOWN_KEYS = json.dumps({f"unknown-{number:06}-{'x' * 46}": 0 for number in range(UNKNOWN_COUNT)})
SHORT_ERROR = 4 * 1024


@pytest.mark.hardening
def test_an_error_names_a_few_unknown_fields_not_all(client, db, item):
    before = items_in(db)
    targets = {"POST": COLLECTION, "PUT": item_url(item["_id"])}
    for method, url in targets.items():
        response = client.open(url, method=method, data=UNKNOWN_KEYS, content_type=JSON)
        assert_json_error(response, 422, f"{method} of 15,000 unknown fields", STRICT_BODIES)
        size = len(response.get_data())
        assert size < SHORT_ERROR, (
            f"the error for 15,000 unknown fields stays short: it names the first few, each cut"
            f" short, and says how many more (… and N more); it has {size:,} bytes"
            f" ({STRICT_BODIES})"
        )
        body = response.get_json()
        left_out = UNKNOWN_COUNT - len(body.get("fields", {}))
        assert f"{left_out} more" in body["error"], (
            f"the error says how many unknown fields it does not name, … and {left_out} more:"
            f" {body['error'][:300]!r} ({STRICT_BODIES})"
        )
    assert items_in(db) == before, f"a refused body changes nothing ({STRICT_BODIES})"


@pytest.mark.hardening
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'\xef\xbb\xbf{"title": "bom"}', JSON),
        ('{"title": "bom"}'.encode("utf-16"), JSON),
        (b'{"title": "bom"}', "application/merge-patch+json"),
        (b'{"title": "bom"}', "application/json; charset=latin-1"),
    ],
    ids=["utf8-bom", "utf16", "merge-patch+json", "ascii-declared-latin-1"],
)
def test_json_the_parser_understands_is_accepted(client, db, item, body, content_type):
    response = client.put(item_url(item["_id"]), data=body, content_type=content_type)
    expect_status(
        response,
        200,
        f"PUT of JSON that Flask's request.get_json() reads ({content_type})",
        STRICT_BODIES,
    )
    assert stored(db, item["_id"])["title"] == "bom", (
        f"the title of the JSON sent is stored ({STRICT_BODIES})"
    )


# ---------------------------------------------------------------- cross-site writes


# cross_site.py is step 06's: test_06_cross_site.py has the rest of its checks.
@pytest.mark.steps(6, 6)
@pytest.mark.hardening
@pytest.mark.parametrize(("headers", "own_site"), site_header_cases())
def test_writes_work_from_the_own_site_only(client, db, item, headers, own_site):
    for name in WRITES:
        if not own_site:
            before = items_in(db)
            response = send(client, name, item["_id"], **headers)
            assert_json_error(response, 403, f"{name}, cross-site", CROSS_SITE)
            assert items_in(db) == before, (
                f"{name} from another site changes nothing ({CROSS_SITE})"
            )
            continue
        target = create_item(client, CROSS_SITE, title="target")
        count = len(items_in(db))
        response = send(client, name, target["_id"], **headers)
        status = REQUESTS[name][2]
        expect_status(response, status, f"{name} from the step's own site", CROSS_SITE)
        assert len(items_in(db)) == count + {201: 1, 200: 0, 204: -1}[status], (
            f"{name} from the step's own site does its work ({CROSS_SITE})"
        )
        if status == 200:
            assert stored(db, target["_id"])["title"] == "new", (
                f"{name} from the step's own site changes the item ({CROSS_SITE})"
            )


# ---------------------------------------------------------------- MethodView pitfalls


def allowed_methods(client, url):
    """The methods a URL takes, from the Allow header of an OPTIONS request."""
    response = expect_status(client.options(url), 200, f"OPTIONS {url}", METHODVIEW)
    return set(response.headers.get("Allow", "").split(", ")) - {"HEAD", "OPTIONS", ""}


def test_item_rules_allow_only_methods_the_class_defines(client, step_dir):
    items_api = from_step(step_dir, "ItemsAPI")
    collection, one_item = allowed_methods(client, COLLECTION), allowed_methods(client, ITEM)
    assert collection == {"GET", "POST"}, (
        f"{COLLECTION} takes GET and POST, not {sorted(collection)}: one ItemsAPI, two URL"
        f" rules, each with its own methods ({METHODVIEW})"
    )
    rest = {"GET", "PUT", "PATCH", "DELETE"}
    assert rest <= one_item <= rest | {"POST"}, (
        f"/api/items/<item_id> takes GET, PUT, PATCH and DELETE, not {sorted(one_item)}"
        f" ({METHODVIEW})"
    )
    lacking = sorted(
        method for method in collection | one_item if not hasattr(items_api, method.lower())
    )
    assert lacking == [], (
        f"ItemsAPI has no method for {lacking}, which a rule allows: Flask routes the request to"
        f" the view, which answers 500 ({METHODVIEW})"
    )


@pytest.mark.hardening
def test_item_rule_takes_post_for_the_method_override(client):
    assert "POST" in allowed_methods(client, ITEM), (
        "/api/items/<item_id> takes POST too, for Backbone.emulateHTTP's X-HTTP-Method-Override"
        f" ({OVERRIDE})"
    )


def test_pitfall_a_rule_method_the_class_lacks_is_a_500():
    class ReadOnly(MethodView):
        def get(self):
            return {"ok": True}

    app = Flask(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/thing", view_func=ReadOnly.as_view("thing"), methods=["GET", "DELETE"])
    client = app.test_client()
    assert client.get("/thing").status_code == 200, (
        f"arrange: the method the class has works ({METHODVIEW})"
    )
    assert client.delete("/thing").status_code == 500, (
        f"a method the rule allows but the class lacks is routed to the view: 500 ({METHODVIEW})"
    )


def test_the_registered_view_checks_the_login(app, client, step_dir):
    items_api = from_step(step_dir, "ItemsAPI")
    api_login_required = from_step(step_dir, "api_login_required")
    endpoints = {
        url: app.url_map.bind("localhost").match(url, method="GET")[0] for url in (COLLECTION, ITEM)
    }
    classes = {
        url: getattr(app.view_functions[endpoint], "view_class", None)
        for url, endpoint in endpoints.items()
    }
    assert set(classes.values()) == {items_api}, (
        f"both URL rules go to ItemsAPI.as_view(...), not to {classes} ({METHODVIEW})"
    )
    assert items_api.decorators == [api_login_required], (
        f"ItemsAPI.decorators = [api_login_required] guards every method ({PITFALLS})"
    )
    assert_json_error(client.get(COLLECTION), 401, "a visitor's GET of the list", PITFALLS)


def test_pitfall_without_decorators_anonymous_requests_reach_the_view(make_app, step_dir):
    items_api = from_step(step_dir, "ItemsAPI")
    reached = []

    class OpenItemsAPI(items_api):
        """ItemsAPI without its decorators: nothing checks the login."""

        decorators = []

        def get(self, item_id):
            reached.append(item_id)
            return super().get(item_id)

    app = make_app()
    view = OpenItemsAPI.as_view("open_items")
    app.add_url_rule("/api/open/", view_func=view, defaults={"item_id": None})
    response = app.test_client().get("/api/open/")
    assert reached == [None], (
        f"without decorators, a visitor's GET reaches the view: no login check ran ({PITFALLS})"
    )
    assert_json_error(response, 500, "a visitor's GET of an unguarded view", PITFALLS)


def test_pitfall_decorating_the_class_loses_as_view(step_dir):
    items_api = from_step(step_dir, "ItemsAPI")
    api_login_required = from_step(step_dir, "api_login_required")
    with pytest.raises(AttributeError, match="as_view"):
        api_login_required(items_api).as_view("items")


def test_pitfall_objectid_from_a_raw_string(client, logged_in_user):
    assert ObjectId(None) != ObjectId(None), f"None quietly makes a new id each time ({PITFALLS})"
    with pytest.raises(InvalidId):
        ObjectId("nope")
    with pytest.raises(TypeError):
        ObjectId(5)
    response = client.get(item_url("nope"))
    assert_json_error(response, 404, "GET of a malformed id", PITFALLS)
    assert response.get_json()["error"] == "No such item.", (
        f'a malformed id gets the same answer as a missing item, "No such item." ({PITFALLS})'
    )


@pytest.mark.hardening
def test_an_unreachable_database_is_a_json_503_for_a_logged_in_visitor(
    make_app, auth_actions, unreachable_app
):
    # Log in on an app whose database answers, with the same SECRET_KEY, and take its cookie to
    # the app whose database does not: finding who is logged in then asks the database.
    app = make_app(SECRET_KEY=unreachable_app.config["SECRET_KEY"])
    auth = auth_actions(app)
    redirect_target(auth.register(), "POST /register", UNREACHABLE)
    name = app.config["SESSION_COOKIE_NAME"]
    client = unreachable_app.test_client()
    client.set_cookie(name, auth.client.get_cookie(name).value)
    response = client.get(COLLECTION)
    assert_json_error(response, 503, "GET of the list with the database down", UNREACHABLE)
    assert_tells_only_that_the_database_is_down(
        response.get_json()["error"], "GET of the list with the database down"
    )
