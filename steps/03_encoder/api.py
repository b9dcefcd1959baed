"""The JSON API of this step: the item list a Backbone collection fetches, whole documents."""

from flask import Blueprint, jsonify
from pymongo import DESCENDING

from .db import get_db

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/items/")
def list_items():
    """Return every item, newest first, as {"items": [...]} for Collection.parse to unwrap."""
    # The documents go out as MongoDB returns them: app.json encodes ObjectId and datetime.
    items = get_db().items.find().sort("created_at", DESCENDING)
    return jsonify(items=list(items))
