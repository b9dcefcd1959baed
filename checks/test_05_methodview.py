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

from conftest import step_module

pytestmark = pytest.mark.steps(5, 5)

COLLECTION = "/api/items/"
# A valid ObjectId that no item ever gets, and the _id of the item another user owns.
MISSING_ID = "0" * 24
OTHERS_ID = "65a1b2c3d4e5f60718293a4b"
JSON = "application/json"
LONG_AGO = datetime(2024, 1, 1, 12, tzinfo=UTC)


def item_url(item_id):
    """The URL of one item."""
    return f"{COLLECTION}{item_id}"


def create(client, **fields):
    """Create an item through the API and return it as the API answered."""
    response = client.post(COLLECTION, json=fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


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


def assert_json_error(response, status, request_name=""):
    """The response is a JSON error with this status."""
    answer = response.get_data(as_text=True)[:300]
    assert response.status_code == status, f"{request_name} answered {answer}"
    assert response.mimetype == JSON, request_name
    assert isinstance(response.get_json()["error"], str), request_name


def raw(body, content_type=JSON):
    """Request arguments that send body exactly as given."""
    data = body.encode() if isinstance(body, str) else body
    return {"data": data, "content_type": content_type}


def add_item(db, owner_id, title, minute=0, **fields):
    """Store an item directly, created at 12:minute on 2024-01-01."""
    created_at = datetime(2024, 1, 1, 12, minute, tzinfo=UTC)
    document = {"title": title, "done": False, "owner_id": owner_id, "created_at": created_at}
    document = {**document, "updated_at": created_at, **fields}
    return db.items.insert_one(document).inserted_id


def user_id(db, username="learner"):
    """The _id of a registered user."""
    return db.users.find_one({"username": username})["_id"]


@pytest.fixture
def item(client, auth, db):
    """Log the learner in, give them one item and give another user one item too."""
    auth.login()
    add_item(db, ObjectId(), "someone else's", _id=ObjectId(OTHERS_ID))
    created = create(client, title="Buy milk", done=True)
    # Made long ago, so that an update visibly moves updated_at and must keep created_at.
    times = {"created_at": LONG_AGO, "updated_at": LONG_AGO}
    db.items.update_one({"_id": ObjectId(created["_id"])}, {"$set": times})
    return as_api(stored(db, created["_id"]))


# ---------------------------------------------------------------- login on every route

# Every request on an item URL, with a body that would be valid.
ITEM_REQUESTS = {
    "GET": {"method": "GET"},
    "PUT": {"method": "PUT", "json": {"title": "mine now"}},
    "PATCH": {"method": "PATCH", "json": {"title": "mine now"}},
    "DELETE": {"method": "DELETE"},
    "override-PATCH": {
        "method": "POST",
        "json": {"title": "mine now"},
        "headers": {"X-HTTP-Method-Override": "PATCH"},
    },
}


# Every route, with a body that would be valid.
EVERY_ROUTE = {
    "list": (COLLECTION, {"method": "GET"}),
    "create": (COLLECTION, {"method": "POST", "json": {"title": "x"}}),
    **{name: ("item", request_args) for name, request_args in ITEM_REQUESTS.items()},
}


@pytest.mark.parametrize("route", EVERY_ROUTE)
def test_every_route_needs_a_login(client, auth, db, item, route):
    url, request_args = EVERY_ROUTE[route]
    auth.logout()
    before = items_in(db)
    response = client.open(item_url(item["_id"]) if url == "item" else url, **request_args)
    assert_json_error(response, 401)
    assert items_in(db) == before


# ---------------------------------------------------------------- the collection


def test_list_is_the_users_items_newest_first(client, auth, db):
    auth.login()
    owner = user_id(db)
    add_item(db, owner, "oldest", minute=0)
    # Two items created at the same moment: the larger _id (made later) comes first.
    tie_first = add_item(db, owner, "tie, made first", minute=5)
    tie_second = add_item(db, owner, "tie, made second", minute=5)
    assert tie_second > tie_first
    add_item(db, owner, "newest", minute=9)
    add_item(db, ObjectId(), "another user's", minute=7)
    response = client.get(COLLECTION)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["limit"], body["offset"]) == (50, 0)
    titles = ["newest", "tie, made second", "tie, made first", "oldest"]
    assert body["items"] == [as_api(db.items.find_one({"title": title})) for title in titles]


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
def test_list_pages(client, auth, db, query, titles, limit, offset):
    auth.login()
    for minute in range(5):
        add_item(db, user_id(db), str(minute), minute=minute)
    response = client.get(COLLECTION + query)
    assert response.status_code == 200
    body = response.get_json()
    assert [listed["title"] for listed in body["items"]] == titles
    assert (body["limit"], body["offset"]) == (limit, offset)


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
def test_bad_page_parameters_are_refused_not_clamped(client, auth, query):
    auth.login()
    assert_json_error(client.get(COLLECTION + query), 400)


def test_create_answers_the_stored_item(client, auth, db):
    auth.login()
    response = client.post(COLLECTION, json={"title": "  Buy milk  "})
    assert response.status_code == 201
    body = response.get_json()
    document = stored(db, body["_id"])
    assert response.headers["Location"] == item_url(body["_id"])
    assert body == as_api(document)
    assert body["title"] == "Buy milk"
    assert body["done"] is False
    assert body["created_at"] == body["updated_at"]
    assert body["created_at"].endswith("+00:00")
    assert re.fullmatch("[0-9a-f]{24}", body["_id"])
    assert document["owner_id"] == user_id(db)
    assert set(document) == {"_id", "title", "done", "owner_id", "created_at", "updated_at"}


def test_create_ignores_server_set_times(client, auth, db):
    auth.login()
    forged = "2000-01-01T00:00:00.000+00:00"
    body = create(client, title="x", done=True, created_at=forged, updated_at=forged)
    document = stored(db, body["_id"])
    assert document["created_at"].year != 2000
    assert document["created_at"] == document["updated_at"]
    assert body == as_api(document)


def test_create_refuses_a_client_chosen_id(client, auth, db):
    auth.login()
    response = client.post(COLLECTION, json={"_id": OTHERS_ID, "title": "mine now"})
    assert_json_error(response, 400)
    assert response.get_json()["fields"] == {"_id": "Leave it out."}
    assert items_in(db) == []


@pytest.mark.parametrize(
    ("title", "kept"),
    [(" " + "x" * 200 + " ", "x" * 200), ("é" * 200, "é" * 200), ("a\u0000b", "a\u0000b")],
    ids=["200-after-trim", "200-non-ascii", "nul-is-text"],
)
def test_create_keeps_titles_up_to_200_characters(client, auth, db, title, kept):
    auth.login()
    body = create(client, title=title)
    assert stored(db, body["_id"])["title"] == kept


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
def test_invalid_items_are_422_field_by_field(client, auth, db, body, fields):
    auth.login()
    response = client.post(COLLECTION, json=body)
    assert_json_error(response, 422)
    answer = response.get_json()
    assert set(answer["fields"]) == fields
    assert all(isinstance(message, str) and message for message in answer["fields"].values())
    if {"colour", "owner_id"} <= fields:
        assert "colour" in answer["error"]
        assert "owner_id" in answer["error"]
    assert items_in(db) == []


# ---------------------------------------------------------------- one item


def test_read_answers_the_item_itself(client, db, item):
    response = client.get(item_url(item["_id"]))
    assert response.status_code == 200
    assert response.get_json() == item == as_api(stored(db, item["_id"]))


def test_put_takes_back_what_backbone_sends(client, db, item):
    owner_id = stored(db, item["_id"])["owner_id"]
    # Backbone's save() sends every attribute, the server-set ones included.
    forged = "2000-01-01T00:00:00.000+00:00"
    sent = {**item, "title": " Buy oat milk ", "created_at": forged, "updated_at": forged}
    response = client.put(item_url(item["_id"]), json=sent)
    assert response.status_code == 200
    after = stored(db, item["_id"])
    assert response.get_json() == as_api(after)
    assert (after["title"], after["done"]) == ("Buy oat milk", True)
    assert after["created_at"] == LONG_AGO
    assert after["updated_at"] > LONG_AGO
    assert after["owner_id"] == owner_id


def test_put_replaces_client_fields_missing_done_is_false(client, db, item):
    response = client.put(item_url(item["_id"]), json={"title": "Buy milk"})
    assert response.status_code == 200
    assert stored(db, item["_id"])["done"] is False


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
    assert_json_error(client.put(item_url(item["_id"]), json=body), status)
    assert items_in(db) == before


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
    assert response.status_code == 200
    after = stored(db, item["_id"])
    assert response.get_json() == as_api(after)
    assert (after["title"], after["done"]) == (title, done)
    assert after["created_at"] == LONG_AGO
    assert after["updated_at"] > LONG_AGO


def test_delete_answers_204_and_the_item_is_gone(client, db, item):
    response = client.delete(item_url(item["_id"]))
    assert response.status_code == 204
    assert response.data == b""
    assert stored(db, item["_id"]) is None
    assert stored(db, OTHERS_ID) is not None, "other items stay"
    assert_json_error(client.delete(item_url(item["_id"])), 404)


# ---------------------------------------------------------------- Backbone.emulateHTTP


@pytest.mark.parametrize(
    ("override", "body", "expected"),
    [
        ("PUT", {"title": "put"}, ("put", False)),
        ("put", {"title": "put"}, ("put", False)),
        ("PATCH", {"title": "patched"}, ("patched", True)),
        ("pAtCh", {"done": False}, ("Buy milk", False)),
    ],
    ids=["PUT", "put", "PATCH", "pAtCh"],
)
def test_override_header_on_post_updates_like_put_or_patch(
    client, db, item, override, body, expected
):
    headers = {"X-HTTP-Method-Override": override}
    response = client.post(item_url(item["_id"]), json=body, headers=headers)
    assert response.status_code == 200
    after = stored(db, item["_id"])
    assert response.get_json() == as_api(after)
    assert (after["title"], after["done"]) == expected


@pytest.mark.parametrize("override", ["DELETE", "delete"])
def test_override_header_on_post_deletes_like_delete(client, db, item, override):
    headers = {"X-HTTP-Method-Override": override}
    response = client.post(item_url(item["_id"]), headers=headers)
    assert response.status_code == 204
    assert response.data == b""
    assert stored(db, item["_id"]) is None


@pytest.mark.parametrize(
    "override",
    [None, "", "GET", "POST", "HEAD", "TRACE", "OPTIONS", "CONNECT", "update", "PUT, DELETE"],
    ids=lambda value: f"override={value}",
)
def test_post_to_an_item_without_a_usable_override_is_405(client, db, item, override):
    before = items_in(db)
    headers = {} if override is None else {"X-HTTP-Method-Override": override}
    response = client.post(item_url(item["_id"]), json={"title": "x"}, headers=headers)
    assert_json_error(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PUT", "PATCH", "DELETE"}
    assert items_in(db) == before


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
def test_override_header_is_ignored_on_other_methods(client, db, item, method):
    body = None if method == "GET" else {"title": "Buy milk"}
    headers = {"X-HTTP-Method-Override": "DELETE"}
    response = client.open(item_url(item["_id"]), method=method, json=body, headers=headers)
    assert response.status_code == 200
    assert stored(db, item["_id"]) is not None


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
    for name, request_args in ITEM_REQUESTS.items():
        response = client.open(item_url(item_id), **request_args)
        assert_json_error(response, 404, name)
    assert items_in(db) == before


def test_path_traversal_reaches_no_item_and_no_file(client, db, item):
    before = items_in(db)
    # Decoded, this is /api/items/../../../../steps/05_methodview/app.py: the static files
    # route (/<path:filename>, GET only) matches it, refuses the "..", and no item rule does.
    url = item_url("..%2f" * 4 + "steps%2f05_methodview%2fapp.py")
    for name, request_args in ITEM_REQUESTS.items():
        response = client.open(url, **request_args)
        assert_json_error(response, 404 if name == "GET" else 405, name)
    assert items_in(db) == before


# ---------------------------------------------------------------- bad bodies

TOO_DEEP = "[" * 100_000
DEEP_TITLE = '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}"
OVER_ONE_MIB = '{"title": "' + "x" * (1024 * 1024) + '"}'
MANY_KEYS = json.dumps({f"k{number}": 0 for number in range(20_000)})

BAD_BODIES = [
    pytest.param(raw('{"title": '), 400, id="malformed"),
    pytest.param(raw(""), 400, id="empty"),
    pytest.param(raw("[]"), 400, id="array"),
    pytest.param(raw("null"), 400, id="null"),
    pytest.param(raw("3"), 400, id="number"),
    pytest.param(raw('"x"'), 400, id="string"),
    pytest.param(raw('{"title": "x"}', "text/plain"), 415, id="text-plain"),
    pytest.param(raw("title=x", "application/x-www-form-urlencoded"), 415, id="form"),
    pytest.param(raw('{"title": "x"}', None), 415, id="no-content-type"),
    pytest.param(raw('{"title": "x"}', "text/json"), 415, id="text-json"),
    pytest.param(raw('{"title": "x"}', "application/jsonp"), 415, id="jsonp"),
    pytest.param(
        raw('{"title": "caf\xe9"}'.encode("latin-1"), "application/json; charset=latin-1"),
        400,
        id="latin-1-bytes",
    ),
    pytest.param(raw(b'{"title": "\xff\xfe"}'), 400, id="invalid-utf8"),
    pytest.param(raw('{"title": 5}'), 422, id="title-number"),
    pytest.param(raw('{"title": "x", "done": "true"}'), 422, id="done-string"),
    pytest.param(raw('{"$set": {"title": "x"}}'), 422, id="$set"),
    pytest.param(raw('{"title": "x", "$where": "1"}'), 422, id="$where"),
    pytest.param(raw('{"title.x": 1}'), 422, id="dotted-key"),
    pytest.param(raw('{"title": "x", "": 1}'), 422, id="empty-key"),
    pytest.param(raw('{"title": {"$ne": null}}'), 422, id="operator-value"),
    pytest.param(raw('{"title": "x", "done": {"$ne": false}}'), 422, id="operator-done"),
    pytest.param(raw('{"title": "x", "owner_id": "65a1b2c3d4e5f60718293a4b"}'), 422, id="owner"),
    pytest.param(raw('{"title": "x", "done": NaN}'), 400, id="NaN"),
    pytest.param(raw('{"title": "x", "created_at": Infinity}'), 400, id="Infinity"),
    pytest.param(raw('{"title": "x", "updated_at": -Infinity}'), 400, id="-Infinity"),
    pytest.param(raw(f'{{"title": "x", "done": {2**63}}}'), 422, id="2**63"),
    pytest.param(raw(f'{{"title": "x", "done": {-(2**63) - 1}}}'), 422, id="-2**63-1"),
    pytest.param(raw(f'{{"title": "x", "done": {10**400}}}'), 422, id="10**400"),
    pytest.param(raw('{"title": "x", "done": 1e400}'), 422, id="1e400"),
    pytest.param(raw('{"title": "x", "done": 1' + "0" * 5000 + "}"), 400, id="5000-digits"),
    pytest.param(raw(TOO_DEEP), 400, id="100000-deep"),
    pytest.param(raw(DEEP_TITLE), 400, id="title-50000-deep"),
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
    pytest.param(raw('{"title": "ok", "title": {"$ne": null}}'), 422, id="duplicate-keys"),
    pytest.param(raw(MANY_KEYS), 422, id="20000-keys"),
    pytest.param(raw('{"title": "x", "_id": {"$ne": null}}'), 400, id="_id-operator"),
    pytest.param(raw('{"title": "x", "\\ud800": 1}'), 422, id="surrogate-key"),
    pytest.param(raw('{"title": "\\ud800"}'), 422, id="surrogate-title"),
    pytest.param(raw('{"title": "ok \\udfff"}'), 422, id="surrogate-in-title"),
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
        assert_json_error(response, status, f"{method} {url}")
    assert items_in(db) == before


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
    assert response.status_code == 200
    assert stored(db, item["_id"])["title"] == "bom"


# ---------------------------------------------------------------- cross-site writes

# Every write, with the status it gets when it is allowed.
WRITES = {
    "create": ({"method": "POST", "json": {"title": "new"}}, 201),
    "replace": ({"method": "PUT", "json": {"title": "new"}}, 200),
    "patch": ({"method": "PATCH", "json": {"title": "new"}}, 200),
    "delete": ({"method": "DELETE"}, 204),
    "override-delete": ({"method": "POST", "headers": {"X-HTTP-Method-Override": "DELETE"}}, 204),
}


def send_write(client, item_id, name, headers):
    """Send one of WRITES, on the collection or on item_id, with extra headers."""
    request_args, _ = WRITES[name]
    url = COLLECTION if name == "create" else item_url(item_id)
    headers = {**request_args.get("headers", {}), **headers}
    return client.open(url, **{**request_args, "headers": headers})


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://localhost.evil.example"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"},
    ],
    ids=["cross-site", "same-site", "evil-origin", "null-origin", "prefix-origin", "mixed"],
)
def test_cross_site_writes_are_refused(client, db, item, headers):
    before = items_in(db)
    for name in WRITES:
        assert_json_error(send_write(client, item["_id"], name, headers), 403, name)
    assert items_in(db) == before


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://localhost"}, {"Sec-Fetch-Site": "none"}],
    ids=["same-origin", "own-origin", "typed-by-user"],
)
def test_same_origin_writes_work(client, db, item, headers):
    for name, (_, status) in WRITES.items():
        target = create(client, title="target")
        count = len(items_in(db))
        response = send_write(client, target["_id"], name, headers)
        assert response.status_code == status, name
        assert len(items_in(db)) == {201: count + 1, 200: count, 204: count - 1}[status], name
        if status == 200:
            assert stored(db, target["_id"])["title"] == "new", name


# ---------------------------------------------------------------- MethodView pitfalls


def test_item_rules_allow_only_methods_the_class_defines(app, step_dir):
    items_api = step_module(step_dir, "api").ItemsAPI
    rules = {
        rule.rule: rule.methods - {"HEAD", "OPTIONS"}
        for rule in app.url_map.iter_rules()
        if rule.endpoint == "api.items"
    }
    assert rules == {
        "/api/items/": {"GET", "POST"},
        "/api/items/<item_id>": {"GET", "POST", "PUT", "PATCH", "DELETE"},
    }
    for methods in rules.values():
        assert all(hasattr(items_api, method.lower()) for method in methods)


def test_pitfall_a_rule_method_the_class_lacks_is_a_500():
    class ReadOnly(MethodView):
        def get(self):
            return {"ok": True}

    app = Flask(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/thing", view_func=ReadOnly.as_view("thing"), methods=["GET", "DELETE"])
    client = app.test_client()
    assert client.get("/thing").status_code == 200
    assert client.delete("/thing").status_code == 500, "routed to the view, which has no delete"


def test_the_registered_view_checks_the_login(app, client, step_dir):
    items_api = step_module(step_dir, "api").ItemsAPI
    api_login_required = step_module(step_dir, "auth").api_login_required
    assert app.view_functions["api.items"].view_class is items_api
    assert items_api.decorators == [api_login_required]
    assert_json_error(client.get(COLLECTION), 401)


def test_pitfall_without_decorators_anonymous_requests_reach_the_view(make_app, step_dir, caplog):
    items_api = step_module(step_dir, "api").ItemsAPI
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    open_api = type("OpenItemsAPI", (items_api,), {"decorators": []})
    view = open_api.as_view("open_items")
    app.add_url_rule("/api/open/", view_func=view, defaults={"item_id": None})
    assert_json_error(app.test_client().get("/api/open/"), 500)
    # No login check: the view ran for a visitor and failed on g.user being None.
    (failure,) = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert isinstance(failure, TypeError)
    assert "NoneType" in str(failure)


def test_pitfall_decorating_the_class_loses_as_view(step_dir):
    items_api = step_module(step_dir, "api").ItemsAPI
    api_login_required = step_module(step_dir, "auth").api_login_required
    with pytest.raises(AttributeError, match="as_view"):
        api_login_required(items_api).as_view("items")


def test_pitfall_objectid_from_a_raw_string(client, auth):
    auth.login()
    assert ObjectId(None) != ObjectId(None), "None quietly makes a new id each time"
    with pytest.raises(InvalidId):
        ObjectId("nope")
    with pytest.raises(TypeError):
        ObjectId(5)
    response = client.get(item_url("nope"))
    assert_json_error(response, 404)
    assert response.get_json()["error"] == "No such item."


# --- One spelling for every API error ----------------------------------------------------------


def assert_spelled_like_jsonify(app, response, status):
    """The response is a JSON error with this status, byte for byte what jsonify() makes of it."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == JSON, f"a {status} under /api/ should be JSON"
    expected = app.json.response(response.get_json()).get_data()
    assert response.get_data() == expected, (
        f"step 05's {status} should be spelled as jsonify() spells it, {expected!r}: build every"
        " API error with error_response() in errors.py (WORKSHOP.md, Step 02 · One shape for every"
        " error)"
    )


@pytest.mark.parametrize(
    ("method", "url", "request_args", "status"),
    [
        ("GET", COLLECTION + "?limit=0", {}, 400),
        (
            "POST",
            COLLECTION,
            {"json": {"title": "t"}, "headers": {"Origin": "https://x.example"}},
            403,
        ),
        ("GET", item_url(MISSING_ID), {}, 404),
        ("DELETE", COLLECTION, {}, 405),
        ("POST", COLLECTION, raw(OVER_ONE_MIB), 413),
        ("POST", COLLECTION, raw('{"title": "t"}', "text/plain"), 415),
        ("POST", COLLECTION, {"json": {"title": ""}}, 422),
    ],
    ids=["bad-limit", "cross-site", "missing", "wrong-method", "too-big", "not-json", "invalid"],
)
def test_every_api_error_is_spelled_like_jsonify(
    app, client, auth, method, url, request_args, status
):
    auth.login()
    response = client.open(url, method=method, **request_args)
    assert_spelled_like_jsonify(app, response, status)


def test_login_required_is_spelled_like_jsonify(app):
    response = app.test_client().get(COLLECTION)
    assert_spelled_like_jsonify(app, response, 401)
    assert response.get_json() == {"error": "login required"}


def test_an_unreachable_database_is_spelled_like_jsonify(unreachable_app):
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        # A login token makes the request ask the database who is logged in.
        session["login"] = "a login token"
    assert_spelled_like_jsonify(unreachable_app, client.get(COLLECTION), 503)
