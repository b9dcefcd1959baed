"""Step 03: MongoDocumentEncoder, and a JSON provider that writes with it."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import simplejson
from bson import ObjectId
from flask import jsonify

from harness.answers import describe_exception, json_body, listed_items, step_code
from harness.apps import from_step, store_item
from harness.sections import ENCODER, ENCODER_PITFALLS

pytestmark = pytest.mark.steps(3, 8)

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
    with step_code(f"simplejson.dumps({value!r}, cls=MongoDocumentEncoder)", ENCODER):
        encoded = simplejson.loads(encode(step_dir, {"value": value}))
    assert encoded == {"value": expected}, (
        "ObjectId as its hex string, datetimes in UTC, ISO 8601 with milliseconds:"
        f" {expected!r}, not {encoded['value']!r} ({ENCODER})"
    )


@pytest.mark.pitfall("pitfall_article_fallback")
def test_encoder_refuses_unknown_types(step_dir):
    encoder_class = from_step(step_dir, "MongoDocumentEncoder")
    try:
        simplejson.dumps({"value": {1, 2}}, cls=encoder_class)
    except TypeError as error:
        refusal = str(error)
    except RecursionError:
        pytest.fail(
            "MongoDocumentEncoder.default recurses forever on a type it does not know: it should"
            " end with return super().default(o), which raises TypeError, not build a new"
            f" encoder ({ENCODER_PITFALLS})",
            pytrace=False,
        )
    except Exception as error:
        pytest.fail(
            f"MongoDocumentEncoder raised {describe_exception(error)} on a set: types it does not"
            f" know should raise TypeError, as return super().default(o) does ({ENCODER_PITFALLS})",
            pytrace=False,
        )
    else:
        pytest.fail(
            "MongoDocumentEncoder encoded a set: types it does not know should raise TypeError,"
            f" as return super().default(o) does ({ENCODER_PITFALLS})",
            pytrace=False,
        )
    assert "not JSON serializable" in refusal, (
        f"the TypeError should say the value is not JSON serializable, not {refusal!r}"
        f" ({ENCODER_PITFALLS})"
    )


def test_pitfall_the_articles_fallback_recurses_forever():
    class ArticleEncoder(simplejson.JSONEncoder):
        def default(self, o):
            # The 2012 fallback builds an encoder object instead of calling the base method.
            return simplejson.JSONEncoder(self, o)

    with pytest.raises(RecursionError):
        simplejson.dumps({"value": {1}}, cls=ArticleEncoder)


@pytest.mark.pitfall("pitfall_json_encoder_attribute")
def test_flask_json_provider_encodes_mongo_types(app):
    document = {"_id": OBJECT_ID, "at": WHEN}
    expected = {"_id": str(OBJECT_ID), "at": WHEN_JSON}
    try:
        encoded = app.json.loads(app.json.dumps(document))
    except TypeError:
        pytest.fail(
            "Flask's JSON provider cannot encode ObjectId: set app.json to a provider that"
            f" knows the Mongo types; app.json_encoder is ignored since Flask 2.3"
            f" ({ENCODER_PITFALLS})",
            pytrace=False,
        )
    assert encoded == expected, (
        f"app.json should write datetimes as ISO 8601, not HTTP dates: {encoded} ({ENCODER})"
    )
    app.add_url_rule("/api/probe", view_func=lambda: document)
    with app.app_context():
        assert jsonify(document).get_json() == expected, (
            f"jsonify goes through app.json ({ENCODER})"
        )
    body = json_body(app.test_client().get("/api/probe"), "a view returning a document", ENCODER)
    assert body == expected, f"a view may return a Mongo document as it is ({ENCODER})"


@pytest.mark.steps(3, 4)
def test_items_are_sent_as_whole_documents(client, logged_in_user, db):
    store_item(db, "t", done=True, created_at=WHEN, note="any field")
    items = listed_items(client, ENCODER)
    assert items == [
        {
            "_id": str(db.items.find_one()["_id"]),
            "title": "t",
            "done": True,
            "created_at": WHEN_JSON,
            "note": "any field",
        }
    ], f"from step 03 on, the encoder sends each item whole, whatever fields it has ({ENCODER})"


def test_app_json_writes_with_mongo_document_encoder(app, step_dir, monkeypatch):
    seen = []
    encoder_class = from_step(step_dir, "MongoDocumentEncoder")
    encode_mongo_types = encoder_class.default

    def watched_default(self, o):
        seen.append(o)
        return encode_mongo_types(self, o)

    monkeypatch.setattr(encoder_class, "default", watched_default)
    with app.app_context(), step_code("jsonify(items=[a document])", ENCODER):
        body = jsonify(items=[{"_id": OBJECT_ID, "at": WHEN}]).get_data()
    assert seen == [OBJECT_ID, WHEN], (
        "step 03 needs app.json to write with MongoDocumentEncoder: MongoJSONProvider.dumps calls"
        f" simplejson.dumps(obj, cls=MongoDocumentEncoder) ({ENCODER})"
    )
    assert body == f'{{"items":[{{"_id":"{OBJECT_ID}","at":"{WHEN_JSON}"}}]}}\n'.encode(), (
        f"jsonify() should stay compact, keys sorted, as Flask's own provider writes it ({ENCODER})"
    )
