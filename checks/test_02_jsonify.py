"""Step 02: a JSON API for a Backbone collection, with JSON errors and a clear database error."""

import sys
import types
from datetime import UTC, datetime

import pytest
from bson import ObjectId
from flask import jsonify

from harness.answers import (
    UNREACHABLE_ADDRESS,
    assert_json_error,
    assert_tells_only_that_the_database_is_down,
    listed_items,
    redirect_target,
    uri_parts_in,
)
from harness.apps import from_step, store_item
from harness.sections import (
    ERRORS,
    METHODVIEW,
    RAW_DOCUMENTS,
    STEP02_MODULES,
    STEP04_MODULES,
    THE_LIST,
    UNREACHABLE,
)
from harness.steps import step_number

pytestmark = pytest.mark.steps(2, 8)


def log_in_as_demo(auth, step_dir):
    """From step 04 on, log in with the demo account the embedded database has."""
    if auth.enabled:
        demo = from_step(step_dir, "DEMO_USERNAME"), from_step(step_dir, "DEMO_PASSWORD")
        redirect_target(auth.login(*demo), "POST /login as the demo account", STEP04_MODULES)


@pytest.mark.steps(2, 4)
def test_items_are_listed_newest_first_under_an_items_key(client, logged_in_user, db):
    # Until step 05 items have no owner: in step 04 a logged-in user sees them all.
    for minute, title in enumerate(["older", "newer"]):
        store_item(db, title, minute)
    items = listed_items(client, THE_LIST)
    assert [item.get("title") for item in items] == ["newer", "older"], (
        f'the list is {{"items": [...]}}, newest first ({THE_LIST})'
    )
    stored_ids = {str(item["_id"]) for item in db.items.find()}
    assert {item.get("_id") for item in items} == stored_ids, (
        f"each item carries its _id as a string ({THE_LIST})"
    )


def test_embedded_database_starts_with_demo_items(make_app, auth_actions, step_dir):
    auth = auth_actions(make_app(MONGO_CLIENT=None))
    log_in_as_demo(auth, step_dir)
    items = listed_items(auth.client, STEP02_MODULES)
    # From step 05 on, the list shows the demo account its own items only.
    owned = step_number(step_dir) >= 5
    seeded = f"with no MONGO_URI the embedded database is seeded with demo items ({STEP02_MODULES})"
    if owned:
        seeded = (
            "with no MONGO_URI the embedded database is seeded with demo items that belong to"
            f" the demo account, each stored with its owner_id ({METHODVIEW})"
        )
    assert len(items) >= 3, seeded
    assert all(item.get("title") and item.get("created_at") for item in items), (
        f"each demo item has a title and a created_at ({STEP02_MODULES})"
    )
    if owned:
        assert all(item.get("updated_at") for item in items), (
            f"from step 05 on, items have an updated_at, the demo items included ({METHODVIEW})"
        )


@pytest.mark.pitfall("pitfall_raw_documents")
@pytest.mark.steps(2, 2)
def test_items_are_converted_field_by_field(client, db):
    store_item(db, "only")
    items = listed_items(client, RAW_DOCUMENTS)
    assert items == [
        {
            "_id": str(db.items.find_one()["_id"]),
            "title": "only",
            "done": False,
            "created_at": "2024-01-01T12:00:00+00:00",
        }
    ], f"step 02 converts each field itself: _id as a string, created_at in ISO 8601 ({THE_LIST})"


@pytest.mark.steps(2, 2)
def test_pitfall_raw_documents_are_not_json_serializable(app):
    document = {"_id": ObjectId(), "created_at": datetime(2024, 1, 1, 12, tzinfo=UTC)}
    with app.app_context():
        with pytest.raises(TypeError, match="ObjectId is not JSON serializable"):
            jsonify(items=[document])
        # Without the ObjectId it encodes, but as an HTTP date: not ISO 8601, milliseconds lost.
        dated = jsonify(created_at=document["created_at"]).get_json()
    assert dated == {"created_at": "Mon, 01 Jan 2024 12:00:00 GMT"}, (
        f"Flask's own JSON writes a datetime as an HTTP date ({RAW_DOCUMENTS})"
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/nothing-here", 404), ("DELETE", "/api/items/", 405)],
    ids=["unknown-route-404", "wrong-method-405"],
)
def test_api_errors_are_json(client, method, path, status):
    response = client.open(path, method=method)
    assert_json_error(response, status, f"{method} {path}", ERRORS)
    if status == 405:
        assert "GET" in response.headers.get("Allow", ""), (
            f"a 405 says which methods the URL takes, in its Allow header ({ERRORS})"
        )


@pytest.mark.hardening
def test_server_fault_is_a_json_500_without_details(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def broken_view():
        raise RuntimeError("secret detail")

    app.add_url_rule("/api/broken", view_func=broken_view)
    response = app.test_client().get("/api/broken")
    assert_json_error(response, 500, "a view that raises", UNREACHABLE)
    assert "secret detail" not in response.get_data(as_text=True), (
        f"a 500 never shows the error, only that something went wrong ({UNREACHABLE})"
    )


@pytest.mark.hardening
@pytest.mark.steps(2, 3)
def test_unreachable_database_is_a_clear_503(unreachable_app, caplog):
    response = unreachable_app.test_client().get("/api/items/")
    assert_json_error(response, 503, "GET /api/items/ with the database down", UNREACHABLE)
    error = response.get_json()["error"]
    assert_tells_only_that_the_database_is_down(error, "GET /api/items/ with the database down")
    logged = [record.message for record in caplog.records]
    assert len(logged) == 1, f"the log gets one line, not a traceback: {logged} ({UNREACHABLE})"
    assert all(words in logged[0] for words in [UNREACHABLE_ADDRESS, "unreachable", "MONGO_URI"]), (
        f"the log line names where the database is ({UNREACHABLE_ADDRESS}), says it is"
        f" unreachable and that unsetting MONGO_URI falls back to the embedded database:"
        f" {logged[0]!r} ({UNREACHABLE})"
    )
    assert uri_parts_in(logged[0]) == ["127.0.0.1"], (
        f"the log names the scheme, host and port only: no user, password, database or options"
        f" (a token); it shows {uri_parts_in(logged[0])} ({UNREACHABLE})"
    )


@pytest.mark.hardening
def test_an_empty_mongo_uri_means_the_embedded_database(make_app, auth_actions, step_dir):
    auth = auth_actions(make_app(MONGO_CLIENT=None, MONGO_URI=""))
    log_in_as_demo(auth, step_dir)
    items = listed_items(auth.client, UNREACHABLE)
    assert len(items) >= 3, (
        "an empty MONGO_URI (`MONGO_URI= flask run`) should mean the embedded database with its"
        f" demo data, as no MONGO_URI does ({UNREACHABLE})"
    )


@pytest.mark.hardening
def test_embedded_database_under_gunicorn_warns_of_one_copy_per_worker(
    make_app, monkeypatch, caplog
):
    # A stand-in module, not gunicorn itself: the step only asks whether it is loaded.
    monkeypatch.setitem(sys.modules, "gunicorn", types.ModuleType("gunicorn"))
    make_app(MONGO_CLIENT=None)
    assert any("gunicorn" in record.getMessage() for record in caplog.records), (
        "under gunicorn, the embedded database should log a warning that names gunicorn: every"
        f" worker has its own copy ({UNREACHABLE})"
    )
