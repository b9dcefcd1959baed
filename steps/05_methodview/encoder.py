"""JSON for MongoDB documents: ObjectId as its hex string, datetimes as ISO 8601 in UTC."""

from datetime import UTC, datetime

import simplejson
from bson import ObjectId
from flask import current_app
from flask.json.provider import DefaultJSONProvider

MONGO_TYPES = (ObjectId, datetime)


def mongo_value_to_json(value):
    """Return the JSON form of an ObjectId or a datetime."""
    if isinstance(value, ObjectId):
        return str(value)
    # MongoDB stores UTC; a naive datetime (from a client without tz_aware) is UTC too.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.utcoffset():
        value = value.astimezone(UTC)
    # BSON keeps milliseconds, so that is all the precision worth printing.
    return value.isoformat("T", "milliseconds")


class MongoDocumentEncoder(simplejson.JSONEncoder):
    """A simplejson encoder that also knows the Mongo types."""

    def default(self, o):
        """Encode the Mongo types; leave anything else to the base class, which raises TypeError."""
        if isinstance(o, MONGO_TYPES):
            return mongo_value_to_json(o)
        return super().default(o)


def mongodoc_jsonify(*args, **kwargs):
    """Like jsonify(), but through MongoDocumentEncoder."""
    body = simplejson.dumps(dict(*args, **kwargs), cls=MongoDocumentEncoder)
    return current_app.response_class(body, mimetype="application/json")


class MongoJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider taught the Mongo types, so jsonify() and returned dicts use them."""

    @staticmethod
    def default(o):
        """Encode the Mongo types first: Flask would write a datetime as an HTTP date."""
        if isinstance(o, MONGO_TYPES):
            return mongo_value_to_json(o)
        return DefaultJSONProvider.default(o)
