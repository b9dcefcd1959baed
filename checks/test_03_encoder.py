"""Step 03: MongoDocumentEncoder, and a JSON provider that writes with it."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import simplejson
from bson import ObjectId
from flask import jsonify

from support import from_step, store_item

pytestmark = pytest.mark.steps(3, 5)

OBJECT_ID = ObjectId("65a1b2c3d4e5f60718293a4b")
WHEN = datetime(2024, 1, 1, 12, 30, 15, 123000, tzinfo=UTC)
WHEN_JSON = "2024-01-01T12:30:15.123+00:00"


def encode(step_dir, value):
    """Encode a value with the step's simplejson MongoDocumentEncoder."""
    return simplejson.dumps(value, cls=from_step(step_dir, "MongoDocumentEncoder"))


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
def test_encoder_writes_mongo_types(step_dir, value, expected):
    assert simplejson.loads(encode(step_dir, {"value": value})) == {"value": expected}, (
        "ObjectId as its hex string, datetimes in UTC, ISO 8601 with milliseconds (WORKSHOP.md,"
        " Step 03 · One conversion, two encoders)"
    )


def test_encoder_refuses_unknown_types(step_dir):
    with pytest.raises(TypeError, match="not JSON serializable"):
        encode(step_dir, {"value": {1, 2}})


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
        assert jsonify(document).get_json() == expected, "jsonify goes through app.json too"
    assert app.test_client().get("/api/probe").get_json() == expected, (
        "a view may return a Mongo document as it is"
    )


@pytest.mark.steps(3, 4)
def test_items_are_sent_as_whole_documents(client, logged_in_user, db):
    store_item(db, "t", done=True, created_at=WHEN, note="any field")
    (item,) = client.get("/api/items/").get_json()["items"]
    assert item == {
        "_id": str(db.items.find_one()["_id"]),
        "title": "t",
        "done": True,
        "created_at": WHEN_JSON,
        "note": "any field",
    }, "from step 03 on, the encoder sends each item whole, whatever fields it has"


def test_app_json_writes_with_mongo_document_encoder(app, step_dir, monkeypatch):
    seen = []
    encoder_class = from_step(step_dir, "MongoDocumentEncoder")
    encode_mongo_types = encoder_class.default

    def watched_default(self, o):
        seen.append(o)
        return encode_mongo_types(self, o)

    monkeypatch.setattr(encoder_class, "default", watched_default)
    with app.app_context():
        body = jsonify(items=[{"_id": OBJECT_ID, "at": WHEN}]).get_data()
    assert seen == [OBJECT_ID, WHEN], (
        "step 03 needs app.json to write with MongoDocumentEncoder: MongoJSONProvider.dumps calls"
        " simplejson.dumps(obj, cls=MongoDocumentEncoder)"
        " (WORKSHOP.md, Step 03 · One encoder, plugged into Flask's JSON provider)"
    )
    assert body == f'{{"items":[{{"_id":"{OBJECT_ID}","at":"{WHEN_JSON}"}}]}}\n'.encode(), (
        "jsonify() should stay compact, keys sorted, as Flask's own provider writes it"
    )
