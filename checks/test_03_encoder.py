"""Step 03: MongoDocumentEncoder, and a JSON provider that writes with it."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import simplejson
from bson import ObjectId
from flask import jsonify

from conftest import step_module

pytestmark = pytest.mark.steps(3, 5)

OBJECT_ID = ObjectId("65a1b2c3d4e5f60718293a4b")
WHEN = datetime(2024, 1, 1, 12, 30, 15, 123000, tzinfo=UTC)
WHEN_JSON = "2024-01-01T12:30:15.123+00:00"


@pytest.fixture
def encoder(step_dir):
    """The step's encoder module."""
    return step_module(step_dir, "encoder")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (OBJECT_ID, "65a1b2c3d4e5f60718293a4b"),
        (WHEN, WHEN_JSON),
        (WHEN.replace(tzinfo=None), WHEN_JSON),
        (WHEN.astimezone(timezone(timedelta(hours=2))), WHEN_JSON),
    ],
    ids=["objectid-as-hex", "utc-datetime", "naive-datetime-is-utc", "other-offset-to-utc"],
)
def test_encoder_writes_mongo_types(encoder, value, expected):
    encoded = simplejson.dumps({"value": value}, cls=encoder.MongoDocumentEncoder)
    assert simplejson.loads(encoded) == {"value": expected}


def test_encoder_refuses_unknown_types(encoder):
    with pytest.raises(TypeError, match="not JSON serializable"):
        simplejson.dumps({"value": {1, 2}}, cls=encoder.MongoDocumentEncoder)


def test_pitfall_the_articles_fallback_recurses_forever():
    class ArticleEncoder(simplejson.JSONEncoder):
        def default(self, o):
            # The 2012 fallback builds an encoder object instead of calling the base method.
            return simplejson.JSONEncoder(self, o)

    with pytest.raises(RecursionError):
        simplejson.dumps({"value": {1}}, cls=ArticleEncoder)


def test_flask_json_provider_encodes_mongo_types(app):
    document = {"_id": OBJECT_ID, "at": WHEN}
    expected = {"_id": str(OBJECT_ID), "at": WHEN_JSON}
    try:
        encoded = app.json.loads(app.json.dumps(document))
    except TypeError:
        pytest.fail(
            "Flask's JSON provider cannot encode ObjectId: set app.json to a provider that"
            " knows the Mongo types (app.json_encoder is ignored since Flask 2.3).",
            pytrace=False,
        )
    assert encoded == expected, "app.json should write datetimes as ISO 8601, not HTTP dates"
    app.add_url_rule("/api/probe", view_func=lambda: document)
    with app.app_context():
        assert jsonify(document).get_json() == expected
    assert app.test_client().get("/api/probe").get_json() == expected


@pytest.mark.steps(3, 4)
def test_items_are_sent_as_whole_documents(client, auth, db):
    auth.login()
    db.items.insert_one({"title": "t", "done": True, "created_at": WHEN, "note": "any field"})
    (item,) = client.get("/api/items/").get_json()["items"]
    assert item == {
        "_id": str(db.items.find_one()["_id"]),
        "title": "t",
        "done": True,
        "created_at": WHEN_JSON,
        "note": "any field",
    }


def test_app_json_writes_with_mongo_document_encoder(app, encoder, monkeypatch):
    seen = []
    encode_mongo_types = encoder.MongoDocumentEncoder.default

    def watched_default(self, o):
        seen.append(o)
        return encode_mongo_types(self, o)

    monkeypatch.setattr(encoder.MongoDocumentEncoder, "default", watched_default)
    with app.app_context():
        body = jsonify(items=[{"_id": OBJECT_ID, "at": WHEN}]).get_data()
    assert seen == [OBJECT_ID, WHEN], (
        "step 03 needs app.json to write with MongoDocumentEncoder: MongoJSONProvider.dumps calls"
        " simplejson.dumps(obj, cls=MongoDocumentEncoder) (WORKSHOP.md, Step 03 · One encoder,"
        " plugged into Flask's JSON provider)"
    )
    assert body == f'{{"items":[{{"_id":"{OBJECT_ID}","at":"{WHEN_JSON}"}}]}}\n'.encode(), (
        "jsonify() should stay compact, keys sorted, as Flask's own provider writes it"
    )
