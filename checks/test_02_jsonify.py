"""Step 02: a JSON API for a Backbone collection, with JSON errors and a clear database error."""

import sys
import types
from datetime import UTC, datetime

import pytest
from bson import ObjectId
from flask import jsonify

from support import AuthActions, assert_json_error, from_step, store_item

pytestmark = pytest.mark.steps(2, 5)

THE_LIST = "WORKSHOP.md, Step 02 · The list, and the envelope around it"


@pytest.mark.steps(2, 4)
def test_items_are_listed_newest_first_under_an_items_key(client, logged_in_user, db):
    # Until step 05 items have no owner: in step 04 a logged-in user sees them all.
    for minute, title in enumerate(["older", "newer"]):
        store_item(db, title, minute)
    response = client.get("/api/items/")
    assert response.status_code == 200, "GET /api/items/ should list the items"
    assert response.mimetype == "application/json", "jsonify answers application/json"
    items = response.get_json()["items"]
    assert [item["title"] for item in items] == ["newer", "older"], (
        f'the list is {{"items": [...]}}, newest first ({THE_LIST})'
    )
    stored_ids = {str(item["_id"]) for item in db.items.find()}
    assert {item["_id"] for item in items} == stored_ids, "each item carries its _id as a string"


def test_embedded_database_starts_with_demo_items(make_app, step_dir):
    app = make_app(MONGO_CLIENT=None)
    auth = AuthActions(app)
    if auth.enabled:
        demo = from_step(step_dir, "DEMO_USERNAME"), from_step(step_dir, "DEMO_PASSWORD")
        assert auth.login(*demo).status_code == 302, "the demo account logs in"
    items = auth.client.get("/api/items/").get_json()["items"]
    assert len(items) >= 3, "with no MONGO_URI the embedded database is seeded with demo items"
    assert all(item["title"] and item["created_at"] for item in items), (
        "each demo item has a title and a created_at"
    )


@pytest.mark.steps(2, 2)
def test_items_are_converted_field_by_field(client, db):
    store_item(db, "only")
    (item,) = client.get("/api/items/").get_json()["items"]
    assert item == {
        "_id": str(db.items.find_one()["_id"]),
        "title": "only",
        "done": False,
        "created_at": "2024-01-01T12:00:00+00:00",
    }, "step 02 converts each field itself: _id as a string, created_at in ISO 8601"


@pytest.mark.steps(2, 2)
def test_pitfall_raw_documents_are_not_json_serializable(app):
    document = {"_id": ObjectId(), "created_at": datetime(2024, 1, 1, 12, tzinfo=UTC)}
    with app.app_context():
        with pytest.raises(TypeError, match="ObjectId is not JSON serializable"):
            jsonify(items=[document])
        # Without the ObjectId it encodes, but as an HTTP date: not ISO 8601, milliseconds lost.
        dated = jsonify(created_at=document["created_at"]).get_json()
    assert dated == {"created_at": "Mon, 01 Jan 2024 12:00:00 GMT"}, (
        "Flask's own JSON writes a datetime as an HTTP date"
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/nothing-here", 404), ("DELETE", "/api/items/", 405)],
    ids=["unknown-route-404", "wrong-method-405"],
)
def test_api_errors_are_json(client, method, path, status):
    response = client.open(path, method=method)
    assert_json_error(response, status, f"{method} {path}")
    if status == 405:
        assert "GET" in response.headers["Allow"], "a 405 says which methods the URL takes"


def test_server_fault_is_a_json_500_without_details(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def broken_view():
        raise RuntimeError("secret detail")

    app.add_url_rule("/api/broken", view_func=broken_view)
    response = app.test_client().get("/api/broken")
    assert_json_error(response, 500, "a view that raises")
    assert "secret detail" not in response.get_data(as_text=True), "a 500 never shows the error"


@pytest.mark.steps(2, 3)
def test_unreachable_database_is_a_clear_503(unreachable_app, caplog):
    response = unreachable_app.test_client().get("/api/items/")
    assert_json_error(response, 503, "GET /api/items/ with the database down")
    error = response.get_json()["error"]
    assert "unreachable" in error, "the message says the database does not answer"
    assert "MONGO_URI" in error, "the message says how to fall back to the embedded database"
    assert "s3cret" not in error, "the password in MONGO_URI stays secret"
    assert [record.message for record in caplog.records] == [error], "one line in the log"


def test_an_empty_mongo_uri_means_the_embedded_database(make_app, step_dir):
    auth = AuthActions(make_app(MONGO_CLIENT=None, MONGO_URI=""))
    if auth.enabled:
        auth.login(from_step(step_dir, "DEMO_USERNAME"), from_step(step_dir, "DEMO_PASSWORD"))
    items = auth.client.get("/api/items/").get_json().get("items", [])
    assert len(items) >= 3, (
        "an empty MONGO_URI (`MONGO_URI= flask run`) should mean the embedded database with its"
        " demo data, as no MONGO_URI does (WORKSHOP.md, The embedded database, or your own MongoDB)"
    )


def test_embedded_database_under_gunicorn_warns_of_one_copy_per_worker(
    make_app, monkeypatch, caplog
):
    # A stand-in module, not gunicorn itself: the step only asks whether it is loaded.
    monkeypatch.setitem(sys.modules, "gunicorn", types.ModuleType("gunicorn"))
    make_app(MONGO_CLIENT=None)
    assert any("gunicorn" in record.getMessage() for record in caplog.records), (
        "under gunicorn, the embedded database should warn that every worker has its own copy"
        " (WORKSHOP.md, Going to production)"
    )
