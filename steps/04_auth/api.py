"""The JSON API of this step: the item list a Backbone collection fetches, whole documents."""

from flask import Blueprint, current_app, jsonify, request
from pymongo import DESCENDING
from werkzeug.exceptions import HTTPException

from .auth import api_login_required
from .db import get_db

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/items/")
@api_login_required
def list_items():
    """Return every item, newest first, as {"items": [...]} for Collection.parse to unwrap."""
    # The documents go out as MongoDB returns them: app.json encodes ObjectId and datetime.
    items = get_db().items.find().sort("created_at", DESCENDING)
    return jsonify(items=list(items))


@bp.app_errorhandler(HTTPException)
def json_error(error):
    """Answer errors under /api/ as JSON, keeping their status and headers (such as Allow)."""
    if not request.path.startswith("/api/"):
        return error
    response = error.get_response()
    response.data = current_app.json.dumps({"error": error.description})
    response.content_type = "application/json"
    return response
