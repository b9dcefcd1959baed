"""The JSON API of this step: the item list a Backbone collection fetches."""

from flask import Blueprint, jsonify
from pymongo import DESCENDING

from .db import get_db

bp = Blueprint("api", __name__, url_prefix="/api")


def item_to_json(item):
    """Return a copy of an item that jsonify can encode, converted field by field."""
    # Flask's JSON provider raises TypeError on ObjectId and writes datetimes as HTTP dates
    # ("Mon, 01 Jan 2024 12:00:00 GMT"), so each field is converted by hand; step 03 replaces
    # this with an encoder that knows the Mongo types, whatever the document holds.
    return {
        "_id": str(item["_id"]),
        "title": item["title"],
        "done": item["done"],
        "created_at": item["created_at"].isoformat(),
    }


@bp.get("/items/")
def list_items():
    """Return every item, newest first, as {"items": [...]} for Collection.parse to unwrap."""
    items = get_db().items.find().sort("created_at", DESCENDING)
    return jsonify(items=[item_to_json(item) for item in items])
