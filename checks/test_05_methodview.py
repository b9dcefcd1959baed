"""Step 05: ItemsAPI, one MethodView for a Backbone collection and its models."""

import re

import pytest
from bson import ObjectId
from bson.errors import InvalidId
from flask import Flask
from flask.views import MethodView

from harness.answers import (
    assert_json_error,
    assert_tells_only_that_the_database_is_down,
    expect_status,
    json_body,
    listed_items,
    redirect_target,
)
from harness.apps import create_item, from_step, store_item
from harness.items import (
    BAD_IDS,
    COLLECTION,
    ITEM,
    LONG_AGO,
    NOT_AN_OBJECT,
    OTHERS_ID,
    REST,
    REST_ITEM_REQUESTS,
    allowed_methods,
    as_api,
    assert_login_needed,
    assert_not_found,
    assert_path_with_dots_reaches_nothing,
    assert_put_refused,
    item_url,
    items_in,
    raw,
    refusal_status,
    stored,
)
from harness.sections import (
    METHODVIEW,
    METHODVIEW_PITFALLS,
    PAGES,
    STEP05_MODULES,
    UNREACHABLE,
    VALIDATION,
)

pytestmark = pytest.mark.steps(5, 8)

PITFALLS = METHODVIEW_PITFALLS


def test_step_features_offer_editing(step_dir):
    # The front end shows the add form and Edit and Delete only where the step says it can.
    features = from_step(step_dir, "STEP_FEATURES")
    assert "edit" in features, (
        f'STEP_FEATURES in app.py should gain "edit" in step 05, so that the page offers a form'
        f" to add items and Edit and Delete on each; it is {features!r} ({STEP05_MODULES})"
    )


# ---------------------------------------------------------------- login on every route


@pytest.mark.pitfall("pitfall_no_decorators")
@pytest.mark.parametrize("name", REST)
def test_every_route_needs_a_login(client, auth, db, item, name):
    assert_login_needed(client, auth, db, item, name, METHODVIEW_PITFALLS)


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


# The index the list's query and sort read, in the sort's directions.
LIST_PAGE_INDEX = [("owner_id", 1), ("created_at", -1), ("_id", -1)]


def test_the_app_makes_the_list_pages_index(db):
    keys = [index["key"] for index in db.items.index_information().values()]
    assert LIST_PAGE_INDEX in keys, (
        "the items collection needs the index that serves the list page, in the sort's"
        ' directions: db.items.create_index([("owner_id", 1), ("created_at", -1), ("_id", -1)])'
        f" when the app starts ({METHODVIEW})"
    )


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
    location = response.headers.get("Location")
    why = ""
    if location and "item_id=" in location:
        why = (
            ': url_for took the collection\'s rule, which needs defaults={"item_id": None} to'
            " leave an item's URL to the item's rule"
        )
    assert location == item_url(body["_id"]), (
        f"a 201 has a Location header, the new item's URL {item_url(body['_id'])}; it is"
        f" {location}{why} ({METHODVIEW})"
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


def test_create_refuses_a_client_chosen_id(client, db, logged_in_user):
    response = client.post(COLLECTION, json={"_id": OTHERS_ID, "title": "mine now"})
    assert_json_error(response, 400, f"POST {COLLECTION} with an _id", VALIDATION)
    assert response.get_json().get("fields") == {"_id": "Leave it out."}, (
        f'the server chooses ids: {{"fields": {{"_id": "Leave it out."}}}} ({VALIDATION})'
    )
    assert items_in(db) == [], f"nothing is stored ({VALIDATION})"


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
    pytest.param({"title": "\ud800"}, {"title"}, id="title-lone-surrogate"),
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


def test_unknown_fields_are_422_and_named(client, db, logged_in_user):
    body = {"title": "x", "colour": "red", "owner_id": "me"}
    response = client.post(COLLECTION, json=body)
    assert_refused_field_by_field(response, db, body, {"colour", "owner_id"}, VALIDATION)
    error = response.get_json()["error"]
    for name in ("colour", "owner_id"):
        assert name in error, f"the error names the unknown fields, not {error!r} ({VALIDATION})"


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


def test_put_without_a_title_is_refused(client, db, item):
    assert_put_refused(client, db, item, {"done": False}, 422, VALIDATION)


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


@pytest.mark.pitfall("pitfall_pymongo3_update_remove")
def test_delete_answers_204_and_the_item_is_gone(client, db, item):
    response = client.delete(item_url(item["_id"]))
    expect_status(response, 204, "DELETE /api/items/<id>", METHODVIEW)
    assert response.data == b"", f"a 204 has no body ({METHODVIEW})"
    assert stored(db, item["_id"]) is None, f"the item is deleted ({METHODVIEW})"
    assert stored(db, OTHERS_ID) is not None, f"other items stay ({METHODVIEW})"
    response = client.delete(item_url(item["_id"]))
    assert_json_error(response, 404, "DELETE of a deleted item", METHODVIEW_PITFALLS)


# ---------------------------------------------------------------- ids that find nothing


@pytest.mark.pitfall("pitfall_raw_objectid", case="not-hex")
@pytest.mark.parametrize("item_id", BAD_IDS)
def test_ids_that_are_not_the_users_item_are_404(client, db, item, item_id):
    assert_not_found(client, db, REST_ITEM_REQUESTS, item_id, PITFALLS)


def test_path_traversal_reaches_no_item_and_no_file(client, db, item):
    assert_path_with_dots_reaches_nothing(client, db, REST_ITEM_REQUESTS, PITFALLS)


# ---------------------------------------------------------------- bodies that are not an item

# What get_json() and json_object() refuse before validation by hand looks at a body: a content
# type that is not JSON (415), and bytes that are not a JSON object (400), however deep.
NOT_JSON_OBJECTS = [
    *(
        pytest.param(raw('{"title": "x"}', content_type), 415, id=name)
        for name, content_type in [
            ("text-plain", "text/plain"),
            ("form", "application/x-www-form-urlencoded"),
            ("no-content-type", None),
            ("text-json", "text/json"),
            ("jsonp", "application/jsonp"),
        ]
    ),
    *(pytest.param(raw(body), 400, id=name) for name, body in NOT_AN_OBJECT.items()),
]


@pytest.mark.parametrize(("request_args", "status"), NOT_JSON_OBJECTS)
def test_bodies_that_are_not_a_json_object_are_refused(client, db, item, request_args, status):
    before = items_in(db)
    targets = {"POST": COLLECTION, "PUT": item_url(item["_id"]), "PATCH": item_url(item["_id"])}
    body = request_args["data"][:60].decode(errors="replace")
    sent = f"{body!r} as {request_args['content_type'] or 'no content type'}"
    for method, url in targets.items():
        response = client.open(url, method=method, **request_args)
        expected = refusal_status(response, request_args, status)
        assert_json_error(response, expected, f"{method} {url} with the body {sent}", VALIDATION)
        assert "could not understand" not in response.get_json()["error"], (
            f"{method} {url} with the body {sent}: the 400 says what is wrong with the body, not"
            f' Werkzeug\'s "could not understand" ({VALIDATION})'
        )
    assert items_in(db) == before, f"a refused body changes nothing ({VALIDATION})"


# ---------------------------------------------------------------- MethodView pitfalls


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
    assert response.status_code != 401, (
        "this check empties ItemsAPI.decorators to show the pitfall, yet the GET still asked for a"
        " login: ItemsAPI's own methods check it themselves. The check belongs in"
        f" ItemsAPI.decorators alone, where as_view applies it to every method ({PITFALLS})"
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
