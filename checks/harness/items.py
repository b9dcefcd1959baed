"""The items API as the checks of steps 05 to 08 send it: its requests, and the items stored.

Step 05 has Backbone's REST requests; step 07 adds the two that Backbone.emulateHTTP sends, a
POST to an item with X-HTTP-Method-Override.
"""

from datetime import UTC, datetime

import pytest
from bson import ObjectId

from harness.answers import assert_json_error, expect_status, redirect_target
from harness.apps import store_item
from harness.sections import METHODVIEW, STEP05_MODULES

COLLECTION = "/api/items/"
# A valid ObjectId that no item ever gets, and the _id of the item another user owns.
MISSING_ID = "0" * 24
OTHERS_ID = "65a1b2c3d4e5f60718293a4b"
# The URL of an item, for the methods it takes.
ITEM = f"{COLLECTION}{MISSING_ID}"
JSON = "application/json"
# When the item fixture's item was made: an update visibly moves updated_at, never created_at.
LONG_AGO = datetime(2024, 1, 1, 12, tzinfo=UTC)

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
# The requests of Backbone's REST API (step 05 on); the override ones are Backbone.emulateHTTP's
# (step 07 on).
REST = ["list", "create", "read", "replace", "patch", "delete"]
OVERRIDES = [name for name in REQUESTS if name not in REST]
REST_ITEM_REQUESTS = [name for name in REST if REQUESTS[name][0] == "item"]
WRITES = [
    name for name, (_, request_args, _) in REQUESTS.items() if request_args["method"] != "GET"
]

# Ids that are not the user's item: malformed, missing, another user's.
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
# Decoded, this is /api/items/../../../../steps/05_methodview/app.py: the static files route
# (/<path:filename>, GET only) matches it, refuses the "..", and no item rule does.
PATH_WITH_DOTS = "..%2f" * 4 + "steps%2f05_methodview%2fapp.py"


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


# Bodies that are not a JSON object at all: 400 in every step that has the API. Deep enough
# nesting exhausts Python's stack: a RecursionError, a 500 unless caught.
NOT_AN_OBJECT = {
    "malformed": '{"title": ',
    "empty": "",
    "array": "[]",
    "null": "null",
    "number": "3",
    "string": '"x"',
    "invalid-utf8": b'{"title": "\xff\xfe"}',
    "100000-deep": "[" * 100_000,
    "title-50000-deep": '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}",
}


# Step 07's extension exercise limits API bodies to 16 KiB: a body longer than that may be
# refused for its length, a JSON 413 before anything reads it, in place of the refusal checked.
ITEM_BODY_LIMIT = 16 * 1024


def refusal_status(response, request_args, status):
    """The status a refused body should get: status, or 413 for a body over ITEM_BODY_LIMIT."""
    too_long = len(request_args.get("data") or b"") > ITEM_BODY_LIMIT
    return 413 if too_long and response.status_code == 413 else status


def raw(body, content_type=JSON):
    """Request arguments that send body exactly as given."""
    data = body.encode() if isinstance(body, str) else body
    return {"data": data, "content_type": content_type}


def arrange_item(db, logged_in_user):
    """Give the logged-in learner one item made LONG_AGO, and another user an item too."""
    store_item(db, "someone else's", owner_id=ObjectId(), _id=ObjectId(OTHERS_ID))
    item_id = store_item(db, "Buy milk", owner_id=logged_in_user["_id"], done=True)
    return as_api(stored(db, item_id))


def assert_login_needed(client, auth, db, item, name, section):
    """The request, sent by a visitor, is a 401 that changes nothing."""
    redirect_target(auth.logout(), "POST /logout", section)
    before = items_in(db)
    assert_json_error(send(client, name, item["_id"]), 401, f"{name} without a login", section)
    assert items_in(db) == before, (
        f"decorators = [api_login_required] guards every verb: {name} changed items ({section})"
    )


def assert_not_found(client, db, requests, item_id, section):
    """Each request to item_id is a JSON 404 that changes nothing."""
    before = items_in(db)
    for name in requests:
        response = send(client, name, item_id)
        assert_json_error(response, 404, f"{name} of an id that is not the user's item", section)
    assert items_in(db) == before, f"an id that is not the user's item changes nothing ({section})"


def assert_path_with_dots_reaches_nothing(client, db, requests, section):
    """Each request to PATH_WITH_DOTS is a JSON 404 (GET) or 405 that changes nothing."""
    before = items_in(db)
    for name in requests:
        status = 404 if REQUESTS[name][1]["method"] == "GET" else 405
        response = send(client, name, PATH_WITH_DOTS)
        assert_json_error(response, status, f"{name} of ../app.py", section)
    assert items_in(db) == before, f"a path with .. reaches nothing ({section})"


def allowed_methods(client, url):
    """The methods a URL takes, from the Allow header of an OPTIONS request."""
    response = expect_status(client.options(url), 200, f"OPTIONS {url}", METHODVIEW)
    return set(response.headers.get("Allow", "").split(", ")) - {"HEAD", "OPTIONS", ""}


def assert_put_refused(client, db, item, body, status, section):
    """A PUT of body answers this error status and changes nothing."""
    before = items_in(db)
    response = client.put(item_url(item["_id"]), json=body)
    assert_json_error(response, status, f"PUT {body}", section)
    assert items_in(db) == before, f"a refused PUT changes nothing ({section})"


# The fields of a stored item, and of an item in an answer (no owner).
STORED_KEYS = {"_id", "title", "done", "owner_id", "created_at", "updated_at"}
API_KEYS = STORED_KEYS - {"owner_id"}


def assert_item_rules(document, section):
    """A stored item has exactly the fields the server sets, each of the right kind."""
    assert set(document) == STORED_KEYS, (
        f"a stored item has exactly the fields {sorted(STORED_KEYS)}, not {document} ({section})"
    )
    assert isinstance(document["_id"], ObjectId), f"_id is an ObjectId ({section})"
    assert isinstance(document["owner_id"], ObjectId), f"owner_id is an ObjectId ({section})"
    title = document["title"]
    assert isinstance(title, str), f"the title is text, not {title!r} ({section})"
    assert title == title.strip(), f"the title is stored trimmed, not {title!r} ({section})"
    assert 1 <= len(title) <= 200, f"the title has 1 to 200 characters ({section})"
    assert isinstance(document["done"], bool), f"done is true or false ({section})"
    assert isinstance(document["created_at"], datetime), f"created_at is a datetime ({section})"
    assert isinstance(document["updated_at"], datetime), f"updated_at is a datetime ({section})"
    assert document["created_at"] <= document["updated_at"], (
        f"an item is not changed before it is made ({section})"
    )
