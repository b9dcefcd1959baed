"""Step 02: a JSON API for a Backbone collection, with JSON errors and a clear database error."""

from datetime import UTC, datetime

import pytest
from bson import ObjectId
from flask import jsonify

from conftest import step_module

pytestmark = pytest.mark.steps(2, 5)


def add_items(db, *titles):
    """Store items a minute apart, the last title newest."""
    for minute, title in enumerate(titles):
        created_at = datetime(2024, 1, 1, 12, minute, tzinfo=UTC)
        db.items.insert_one({"title": title, "done": False, "created_at": created_at})


@pytest.mark.steps(2, 4)
def test_items_are_listed_newest_first_under_an_items_key(client, auth, db):
    auth.login()
    add_items(db, "older", "newer")
    response = client.get("/api/items/")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    items = response.get_json()["items"]
    assert [item["title"] for item in items] == ["newer", "older"]
    stored_ids = {str(item["_id"]) for item in db.items.find()}
    assert {item["_id"] for item in items} == stored_ids, "each item carries its _id as a string"


def test_embedded_database_starts_with_demo_items(make_app, step_dir):
    app = make_app(MONGO_CLIENT=None)
    client = app.test_client()
    if "auth.login" in app.view_functions:
        demo = step_module(step_dir, "demo")
        login = {"username": demo.DEMO_USERNAME, "password": demo.DEMO_PASSWORD}
        assert client.post("/login", data=login).status_code == 302, "the demo account logs in"
    items = client.get("/api/items/").get_json()["items"]
    assert len(items) >= 3, "with no MONGO_URI the embedded database is seeded with demo items"
    assert all(item["title"] and item["created_at"] for item in items)


@pytest.mark.steps(2, 2)
def test_items_are_converted_field_by_field(client, db):
    add_items(db, "only")
    (item,) = client.get("/api/items/").get_json()["items"]
    assert item == {
        "_id": str(db.items.find_one()["_id"]),
        "title": "only",
        "done": False,
        "created_at": "2024-01-01T12:00:00+00:00",
    }


@pytest.mark.steps(2, 2)
def test_pitfall_raw_documents_are_not_json_serializable(app):
    document = {"_id": ObjectId(), "created_at": datetime(2024, 1, 1, 12, tzinfo=UTC)}
    with app.app_context():
        with pytest.raises(TypeError, match="ObjectId is not JSON serializable"):
            jsonify(items=[document])
        # Without the ObjectId it encodes, but as an HTTP date: not ISO 8601, milliseconds lost.
        dated = jsonify(created_at=document["created_at"]).get_json()
    assert dated == {"created_at": "Mon, 01 Jan 2024 12:00:00 GMT"}


def test_unknown_api_route_is_a_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]


def test_wrong_method_is_a_json_405_with_allow(client):
    response = client.delete("/api/items/")
    assert response.status_code == 405
    assert response.mimetype == "application/json"
    assert "GET" in response.headers["Allow"]
    assert response.get_json()["error"]


def test_server_fault_is_a_json_500_without_details(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def broken_view():
        raise RuntimeError("secret detail")

    app.add_url_rule("/api/broken", view_func=broken_view)
    response = app.test_client().get("/api/broken")
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert "secret detail" not in response.get_data(as_text=True)
    assert response.get_json()["error"]


@pytest.mark.steps(2, 3)
def test_unreachable_database_is_a_clear_503(unreachable_app, caplog):
    response = unreachable_app.test_client().get("/api/items/")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert "unreachable" in error
    assert "MONGO_URI" in error, "the message says how to fall back to the embedded database"
    assert "s3cret" not in error
    assert [record.message for record in caplog.records] == [error], "one line in the log"


def test_an_empty_mongo_uri_means_the_embedded_database(make_app, step_dir):
    app = make_app(MONGO_CLIENT=None, MONGO_URI="")
    client = app.test_client()
    if "auth.login" in app.view_functions:
        demo = step_module(step_dir, "demo")
        client.post("/login", data={"username": demo.DEMO_USERNAME, "password": demo.DEMO_PASSWORD})
    items = client.get("/api/items/").get_json().get("items", [])
    assert len(items) >= 3, (
        "an empty MONGO_URI (`MONGO_URI= flask run`) should mean the embedded database with its"
        " demo data, as no MONGO_URI does (WORKSHOP.md, The embedded database, or your own MongoDB)"
    )


def test_embedded_database_under_gunicorn_warns_of_one_copy_per_worker(
    make_app, monkeypatch, caplog
):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "gunicorn", types.ModuleType("gunicorn"))
    make_app(MONGO_CLIENT=None)
    assert any("gunicorn" in record.getMessage() for record in caplog.records), (
        "under gunicorn, the embedded database should warn that every worker has its own copy"
        " (WORKSHOP.md, Going to production)"
    )
