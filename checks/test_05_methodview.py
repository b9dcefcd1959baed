"""Step 05: ItemsAPI, one MethodView for a Backbone collection and its models."""

import io
import json
import re
from datetime import UTC, datetime

import pytest
from bson import ObjectId
from bson.errors import InvalidId
from flask import Flask
from flask.views import MethodView

from support import assert_json_error, create_item, from_step, site_header_cases, store_item

pytestmark = pytest.mark.steps(5, 5)

COLLECTION = "/api/items/"
# A valid ObjectId that no item ever gets, and the _id of the item another user owns.
MISSING_ID = "0" * 24
OTHERS_ID = "65a1b2c3d4e5f60718293a4b"
JSON = "application/json"
# When the item fixture's item was made: an update visibly moves updated_at, never created_at.
LONG_AGO = datetime(2024, 1, 1, 12, tzinfo=UTC)
METHODVIEW = "WORKSHOP.md, Step 05 · One class, two URL rules"
VALIDATION = "WORKSHOP.md, Step 05 · Validation by hand"
PITFALLS = "WORKSHOP.md, Step 05 · The pitfalls: the login check, raw ids, and idAttribute"

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
ITEM_REQUESTS = [name for name, (target, _, _) in REQUESTS.items() if target == "item"]
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
    return db.items.find_one({"_id": ObjectId(item_id)})


def items_in(db):
    """Every stored item, to compare the collection before and after a request."""
    return list(db.items.find())


def as_api(document):
    """A stored item as the API shows it: string _id, ISO 8601 times, no owner_id."""
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


@pytest.mark.parametrize("name", REQUESTS)
def test_every_route_needs_a_login(client, auth, db, item, name):
    auth.logout()
    before = items_in(db)
    assert_json_error(send(client, name, item["_id"]), 401, f"{name} without a login")
    assert items_in(db) == before, (
        f"decorators = [api_login_required] guards every verb ({METHODVIEW})"
    )


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
    response = client.get(COLLECTION)
    assert response.status_code == 200, "GET /api/items/ lists the user's items"
    body = response.get_json()
    assert (body["limit"], body["offset"]) == (50, 0), "a page is 50 items from offset 0"
    titles = ["newest", "tie, made second", "tie, made first", "oldest"]
    assert body["items"] == [as_api(db.items.find_one({"title": title})) for title in titles], (
        "the user's own items only, newest first, ties broken by _id"
    )


@pytest.mark.parametrize(
    ("query", "titles", "limit", "offset"),
    [
        ("?limit=2", ["4", "3"], 2, 0),
        ("?limit=2&offset=1", ["3", "2"], 2, 1),
        ("?offset=4", ["0"], 50, 4),
        ("?offset=5", [], 50, 5),
        ("?limit=200&offset=1000000", [], 200, 1000000),
        ("?limit=1&limit=abc", ["4"], 1, 0),
    ],
    ids=["limit", "limit-and-offset", "offset", "past-the-end", "largest", "repeated-first-counts"],
)
def test_list_pages(client, db, logged_in_user, query, titles, limit, offset):
    for minute in range(5):
        store_item(db, str(minute), minute, logged_in_user["_id"])
    response = client.get(COLLECTION + query)
    assert response.status_code == 200, "a page within the limits is a 200"
    body = response.get_json()
    assert [listed["title"] for listed in body["items"]] == titles, f"GET {COLLECTION}{query}"
    assert (body["limit"], body["offset"]) == (limit, offset), "the page says where it starts"


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
    assert_json_error(client.get(COLLECTION + query), 400, f"GET {COLLECTION}{query}")


def test_create_answers_the_stored_item(client, db, logged_in_user):
    response = client.post(COLLECTION, json={"title": "  Buy milk  "})
    assert response.status_code == 201, f"POST {COLLECTION} creates an item: 201"
    body = response.get_json()
    document = stored(db, body["_id"])
    assert response.headers["Location"] == item_url(body["_id"]), "Location is the item's URL"
    assert body == as_api(document), "the answer is the item as stored"
    assert body["title"] == "Buy milk", "the title is stored without the blanks around it"
    assert body["done"] is False, "done is false unless sent"
    assert body["created_at"] == body["updated_at"], "a new item was made and changed at once"
    assert body["created_at"].endswith("+00:00"), "times in UTC, ISO 8601"
    assert re.fullmatch("[0-9a-f]{24}", body["_id"]), "the _id as its 24 hex digits"
    assert document["owner_id"] == logged_in_user["_id"], "the item belongs to who made it"
    assert set(document) == {"_id", "title", "done", "owner_id", "created_at", "updated_at"}, (
        f"only the fields the server sets are stored ({VALIDATION})"
    )


def test_create_ignores_server_set_times(client, db, logged_in_user):
    forged = "2000-01-01T00:00:00.000+00:00"
    body = create_item(client, title="x", done=True, created_at=forged, updated_at=forged)
    document = stored(db, body["_id"])
    assert document["created_at"].year != 2000, "the server sets the times, not the client"
    assert document["created_at"] == document["updated_at"], (
        "a new item was made and changed at once"
    )
    assert body == as_api(document), "the answer is the item as stored"


def test_create_refuses_a_client_chosen_id(client, db, logged_in_user):
    response = client.post(COLLECTION, json={"_id": OTHERS_ID, "title": "mine now"})
    assert_json_error(response, 400, f"POST {COLLECTION} with an _id")
    assert response.get_json()["fields"] == {"_id": "Leave it out."}, "the server chooses ids"
    assert items_in(db) == [], "nothing is stored"


@pytest.mark.parametrize(
    ("title", "kept"),
    [(" " + "x" * 200 + " ", "x" * 200), ("é" * 200, "é" * 200), ("a\u0000b", "a\u0000b")],
    ids=["200-after-trim", "200-non-ascii", "nul-is-text"],
)
def test_create_keeps_titles_up_to_200_characters(client, db, logged_in_user, title, kept):
    body = create_item(client, title=title)
    assert stored(db, body["_id"])["title"] == kept, "up to 200 characters after trimming"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"title": 5}, {"title"}),
        ({"title": ""}, {"title"}),
        ({"title": " \t\n"}, {"title"}),
        ({"title": "\u3000\u2003"}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"title": None}, {"title"}),
        ({"title": ["x"]}, {"title"}),
        ({}, {"title"}),
        ({"title": "x", "done": 1}, {"done"}),
        ({"title": "x", "done": "true"}, {"done"}),
        ({"title": "x", "done": None}, {"done"}),
        ({"title": 1, "done": 0}, {"title", "done"}),
        ({"title": "x", "colour": "red", "owner_id": "me"}, {"colour", "owner_id"}),
    ],
    ids=[
        "title-number",
        "title-empty",
        "title-whitespace",
        "title-unicode-whitespace",
        "title-201",
        "title-null",
        "title-list",
        "title-missing",
        "done-1",
        "done-string",
        "done-null",
        "both-wrong",
        "unknown-fields",
    ],
)
def test_invalid_items_are_422_field_by_field(client, db, logged_in_user, body, fields):
    response = client.post(COLLECTION, json=body)
    assert_json_error(response, 422, f"POST {COLLECTION} {body}")
    answer = response.get_json()
    assert set(answer["fields"]) == fields, (
        f'a 422 says what is wrong field by field: {{"fields": {{...}}}} ({VALIDATION})'
    )
    assert all(isinstance(message, str) and message for message in answer["fields"].values()), (
        "each field's message is a sentence"
    )
    if {"colour", "owner_id"} <= fields:
        assert "colour" in answer["error"], "the error names the unknown fields"
        assert "owner_id" in answer["error"], "the error names the unknown fields"
    assert items_in(db) == [], "nothing is stored"


# ---------------------------------------------------------------- one item


def test_read_answers_the_item_itself(client, db, item):
    response = client.get(item_url(item["_id"]))
    assert response.status_code == 200, "GET /api/items/<id> answers the item"
    assert response.get_json() == item == as_api(stored(db, item["_id"])), "the bare item"


def test_put_takes_back_what_backbone_sends(client, db, item):
    owner_id = stored(db, item["_id"])["owner_id"]
    # Backbone's save() sends every attribute, the server-set ones included.
    forged = "2000-01-01T00:00:00.000+00:00"
    sent = {**item, "title": " Buy oat milk ", "created_at": forged, "updated_at": forged}
    response = client.put(item_url(item["_id"]), json=sent)
    assert response.status_code == 200, "PUT takes the whole item Backbone sends, times included"
    after = stored(db, item["_id"])
    assert response.get_json() == as_api(after), "the answer is the item as stored"
    assert (after["title"], after["done"]) == ("Buy oat milk", True), (
        "the title is stored trimmed; done as sent"
    )
    assert after["created_at"] == LONG_AGO, "created_at never changes"
    assert after["updated_at"] > LONG_AGO, "the server moves updated_at, whatever was sent"
    assert after["owner_id"] == owner_id, "the owner never changes"


def test_put_replaces_client_fields_missing_done_is_false(client, db, item):
    response = client.put(item_url(item["_id"]), json={"title": "Buy milk"})
    assert response.status_code == 200, "PUT of a title alone is a valid item"
    assert stored(db, item["_id"])["done"] is False, "PUT replaces: a done left out is false"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"done": False}, 422),
        ({"title": "x", "_id": MISSING_ID}, 400),
        ({"title": "x", "_id": OTHERS_ID}, 400),
    ],
    ids=["missing-title", "other-_id", "another-users-_id"],
)
def test_put_refusals_change_nothing(client, db, item, body, status):
    before = items_in(db)
    assert_json_error(client.put(item_url(item["_id"]), json=body), status, f"PUT {body}")
    assert items_in(db) == before, "a refused PUT changes nothing"


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
    assert response.status_code == 200, "PATCH answers the changed item"
    after = stored(db, item["_id"])
    assert response.get_json() == as_api(after), "the answer is the item as stored"
    assert (after["title"], after["done"]) == (title, done), "PATCH keeps the fields not sent"
    assert after["created_at"] == LONG_AGO, "created_at never changes"
    assert after["updated_at"] > LONG_AGO, "the server moves updated_at"


def test_delete_answers_204_and_the_item_is_gone(client, db, item):
    response = client.delete(item_url(item["_id"]))
    assert response.status_code == 204, "DELETE answers 204 No Content"
    assert response.data == b"", "a 204 has no body"
    assert stored(db, item["_id"]) is None, "the item is deleted"
    assert stored(db, OTHERS_ID) is not None, "other items stay"
    assert_json_error(client.delete(item_url(item["_id"])), 404, "DELETE of a deleted item")


# ---------------------------------------------------------------- Backbone.emulateHTTP


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
    assert response.status_code == status, (
        f"Backbone.emulateHTTP sends {override.upper()} as a POST with X-HTTP-Method-Override"
        f" ({METHODVIEW})"
    )
    after = stored(db, item["_id"])
    if expected is None:
        assert response.data == b"", "a 204 has no body"
        assert after is None, "the item is deleted"
    else:
        assert response.get_json() == as_api(after), "the answer is the item as stored"
        assert (after["title"], after["done"]) == expected, f"POST as {override.upper()}"


@pytest.mark.parametrize(
    "override",
    [None, "", "GET", "POST", "HEAD", "TRACE", "OPTIONS", "CONNECT", "update", "PUT, DELETE"],
    ids=lambda value: f"override={value}",
)
def test_post_to_an_item_without_a_usable_override_is_405(client, db, item, override):
    before = items_in(db)
    headers = {} if override is None else {"X-HTTP-Method-Override": override}
    response = client.post(item_url(item["_id"]), json={"title": "x"}, headers=headers)
    assert_json_error(response, 405, "POST to an item without PUT, PATCH or DELETE to stand for")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PUT", "PATCH", "DELETE"}, (
        "a 405 says which methods the item takes"
    )
    assert items_in(db) == before, "and changes nothing"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
def test_override_header_is_ignored_on_other_methods(client, db, item, method):
    body = None if method == "GET" else {"title": "Buy milk"}
    headers = {"X-HTTP-Method-Override": "DELETE"}
    response = client.open(item_url(item["_id"]), method=method, json=body, headers=headers)
    assert response.status_code == 200, "the override header counts on a POST only"
    assert stored(db, item["_id"]) is not None, f"a {method} is never a DELETE"


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


@pytest.mark.parametrize("item_id", BAD_IDS)
def test_ids_that_are_not_the_users_item_are_404(client, db, item, item_id):
    before = items_in(db)
    for name in ITEM_REQUESTS:
        response = send(client, name, item_id)
        assert_json_error(
            response, 404, f"{name} of an id that is not the user's item ({PITFALLS})"
        )
    assert items_in(db) == before, "an id that is not the user's item changes nothing"


def test_path_traversal_reaches_no_item_and_no_file(client, db, item):
    before = items_in(db)
    # Decoded, this is /api/items/../../../../steps/05_methodview/app.py: the static files
    # route (/<path:filename>, GET only) matches it, refuses the "..", and no item rule does.
    item_id = "..%2f" * 4 + "steps%2f05_methodview%2fapp.py"
    for name in ITEM_REQUESTS:
        method = REQUESTS[name][1]["method"]
        assert_json_error(send(client, name, item_id), 404 if method == "GET" else 405, name)
    assert items_in(db) == before, "a path with .. reaches nothing"


# ---------------------------------------------------------------- bad bodies

TOO_DEEP = "[" * 100_000
DEEP_TITLE = '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}"
OVER_ONE_MIB = '{"title": "' + "x" * (1024 * 1024) + '"}'
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
    pytest.param(raw(OVER_ONE_MIB), 413, id="over-1MiB"),
    pytest.param(
        {
            "input_stream": io.BytesIO(OVER_ONE_MIB.encode()),
            "content_type": JSON,
            # Chunked: no Content-Length, so the limit applies while reading.
            "environ_overrides": {"wsgi.input_terminated": True},
        },
        413,
        id="over-1MiB-chunked",
    ),
]


@pytest.mark.parametrize(("request_args", "status"), BAD_BODIES)
def test_bad_bodies_get_a_json_error_and_change_nothing(client, db, item, request_args, status):
    before = items_in(db)
    targets = {"POST": COLLECTION, "PUT": item_url(item["_id"]), "PATCH": item_url(item["_id"])}
    for method, url in targets.items():
        if "input_stream" in request_args:
            # The chunked row sends the same stream each time: from its start.
            request_args["input_stream"].seek(0)
        response = client.open(url, method=method, **request_args)
        assert_json_error(response, status, f"{method} {url} ({VALIDATION})")
    assert items_in(db) == before, "a refused body changes nothing"


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
    assert response.status_code == 200, "JSON that Flask's request.get_json() reads is taken"
    assert stored(db, item["_id"])["title"] == "bom", "the title of the JSON sent"


# ---------------------------------------------------------------- cross-site writes


@pytest.mark.parametrize(("headers", "own_site"), site_header_cases())
def test_writes_work_from_the_own_site_only(client, db, item, headers, own_site):
    for name in WRITES:
        if not own_site:
            before = items_in(db)
            assert_json_error(
                send(client, name, item["_id"], **headers), 403, f"{name}, cross-site"
            )
            assert items_in(db) == before, f"{name} from another site changes nothing"
            continue
        target = create_item(client, title="target")
        count = len(items_in(db))
        response = send(client, name, target["_id"], **headers)
        status = REQUESTS[name][2]
        assert response.status_code == status, f"{name} from the step's own site works"
        assert len(items_in(db)) == count + {201: 1, 200: 0, 204: -1}[status], name
        if status == 200:
            assert stored(db, target["_id"])["title"] == "new", name


# ---------------------------------------------------------------- MethodView pitfalls


def test_item_rules_allow_only_methods_the_class_defines(app, step_dir):
    items_api = from_step(step_dir, "ItemsAPI")
    rules = {
        rule.rule: rule.methods - {"HEAD", "OPTIONS"}
        for rule in app.url_map.iter_rules()
        if rule.endpoint == "api.items"
    }
    assert rules == {
        "/api/items/": {"GET", "POST"},
        "/api/items/<item_id>": {"GET", "POST", "PUT", "PATCH", "DELETE"},
    }, f"one ItemsAPI, two URL rules, each with its own methods ({METHODVIEW})"
    for methods in rules.values():
        assert all(hasattr(items_api, method.lower()) for method in methods), (
            "a method a rule allows but the class lacks is a 500"
        )


def test_pitfall_a_rule_method_the_class_lacks_is_a_500():
    class ReadOnly(MethodView):
        def get(self):
            return {"ok": True}

    app = Flask(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/thing", view_func=ReadOnly.as_view("thing"), methods=["GET", "DELETE"])
    client = app.test_client()
    assert client.get("/thing").status_code == 200, "arrange: the method the class has works"
    assert client.delete("/thing").status_code == 500, "routed to the view, which has no delete"


def test_the_registered_view_checks_the_login(app, client, step_dir):
    items_api = from_step(step_dir, "ItemsAPI")
    api_login_required = from_step(step_dir, "api_login_required")
    assert app.view_functions["api.items"].view_class is items_api, "the items rules go to ItemsAPI"
    assert items_api.decorators == [api_login_required], (
        f"ItemsAPI.decorators = [api_login_required] guards every method ({PITFALLS})"
    )
    assert_json_error(client.get(COLLECTION), 401, "a visitor's GET of the list")


def test_pitfall_without_decorators_anonymous_requests_reach_the_view(make_app, step_dir, caplog):
    items_api = from_step(step_dir, "ItemsAPI")
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    open_api = type("OpenItemsAPI", (items_api,), {"decorators": []})
    view = open_api.as_view("open_items")
    app.add_url_rule("/api/open/", view_func=view, defaults={"item_id": None})
    assert_json_error(app.test_client().get("/api/open/"), 500)
    # No login check: the view ran for a visitor and failed on g.user being None.
    (failure,) = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert isinstance(failure, TypeError), (
        "the view failed on g.user being None: no login check ran"
    )
    assert "NoneType" in str(failure), "the view failed on g.user being None: no login check ran"


def test_pitfall_decorating_the_class_loses_as_view(step_dir):
    items_api = from_step(step_dir, "ItemsAPI")
    api_login_required = from_step(step_dir, "api_login_required")
    with pytest.raises(AttributeError, match="as_view"):
        api_login_required(items_api).as_view("items")


def test_pitfall_objectid_from_a_raw_string(client, logged_in_user):
    assert ObjectId(None) != ObjectId(None), "None quietly makes a new id each time"
    with pytest.raises(InvalidId):
        ObjectId("nope")
    with pytest.raises(TypeError):
        ObjectId(5)
    response = client.get(item_url("nope"))
    assert_json_error(response, 404, f"GET of a malformed id ({PITFALLS})")
    assert response.get_json()["error"] == "No such item.", "the same answer as a missing item"


def test_an_unreachable_database_is_a_json_503_for_a_logged_in_visitor(unreachable_app):
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        # A login token makes the request ask the database who is logged in.
        session["login"] = "a login token"
    assert_json_error(client.get(COLLECTION), 503, "GET of the list with the database down")
