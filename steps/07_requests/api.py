"""The JSON API of this step: one MethodView for a Backbone collection and its models."""

from datetime import UTC, datetime, timedelta

from bson import ObjectId
from flask import Blueprint, abort, g, request, url_for
from flask.views import MethodView
from pymongo import DESCENDING, ReturnDocument

from .auth import api_login_required
from .db import get_db
from .errors import error_response
from .validation import item_changes, json_object, page_parameter, refuse

bp = Blueprint("api", __name__, url_prefix="/api")

# Pages of the list: ?limit=50&offset=0 by default; a limit over 200 is refused, not cut.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000
# What one account may keep, and add in a minute: far more than a to-do list needs.
MAX_ITEMS_PER_USER = 1000
NEW_ITEMS_PER_MINUTE = 60
# What Backbone.emulateHTTP may ask for with a POST to an item.
OVERRIDABLE_METHODS = {"PUT", "PATCH", "DELETE"}


def item_query(item_id):
    """Return the query for one of the user's items; 404 for a malformed id, like a missing one."""
    # ObjectId(None) would silently make a new id, and ObjectId("x") raises: check first.
    if not ObjectId.is_valid(item_id):
        abort(404, "No such item.")
    # The owner is part of every query, so another user's item is simply not found.
    return {"_id": ObjectId(item_id), "owner_id": g.user["_id"]}


def found(item):
    """Return the item, or stop with 404 if the query matched nothing."""
    if item is None:
        abort(404, "No such item.")
    return item


def room_for_a_new_item(items):
    """Stop with 429 past NEW_ITEMS_PER_MINUTE new items, or 403 at MAX_ITEMS_PER_USER items."""
    minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    recent = {"owner_id": g.user["_id"], "created_at": {"$gt": minute_ago}}
    # limit= stops each count at its bound: a refusal costs the same however many items there are.
    if items.count_documents(recent, limit=NEW_ITEMS_PER_MINUTE) >= NEW_ITEMS_PER_MINUTE:
        message = f"At most {NEW_ITEMS_PER_MINUTE} new items a minute. Try again in a minute."
        abort(error_response(429, message, headers={"Retry-After": "60"}))
    everything = {"owner_id": g.user["_id"]}
    if items.count_documents(everything, limit=MAX_ITEMS_PER_USER) >= MAX_ITEMS_PER_USER:
        message = f"An account keeps at most {MAX_ITEMS_PER_USER} items: delete some to add more."
        abort(error_response(403, message))


@bp.before_app_request
def refuse_override_off_item_urls():
    """Refuse X-HTTP-Method-Override anywhere but on an item URL, where post() reads it."""
    # A client that sends it elsewhere means something else than what it would get: a POST to
    # the collection "with DELETE" would quietly create an item. So it is an error, not ignored.
    if "X-HTTP-Method-Override" not in request.headers:
        return
    on_an_item = request.endpoint == "api.items" and request.view_args["item_id"] is not None
    # A URL that no rule takes (no endpoint) keeps its 404 or 405.
    if request.endpoint is not None and not on_an_item:
        abort(400, "X-HTTP-Method-Override works only on an item: /api/items/<item_id>.")


class ItemsAPI(MethodView):
    """GET, POST on /api/items/; GET, PUT, PATCH, DELETE on /api/items/<item_id>."""

    # as_view() wraps the view in these, as api_login_required(ItemsAPI.as_view("items")) would
    # by hand. Decorating the class itself would wrap the class, not its view: as_view() would
    # be gone and nothing would check the login.
    decorators = [api_login_required]

    def get(self, item_id):
        """List the user's items, newest first, a page at a time; or return one item."""
        items = get_db().items
        # The projection leaves out whose item it is: that is the server's business.
        if item_id is not None:
            return found(items.find_one(item_query(item_id), {"owner_id": False}))
        limit = page_parameter("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = page_parameter("offset", 0, 0, MAX_OFFSET)
        cursor = items.find({"owner_id": g.user["_id"]}, {"owner_id": False})
        page = cursor.sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(offset)
        return {"items": list(page.limit(limit)), "limit": limit, "offset": offset}

    def post(self, item_id):
        """Create an item; on an item URL, do what X-HTTP-Method-Override asks for."""
        if item_id is not None:
            method = request.headers.get("X-HTTP-Method-Override", "").upper()
            if method not in OVERRIDABLE_METHODS:
                abort(405, valid_methods=["GET", *sorted(OVERRIDABLE_METHODS)])
            return getattr(self, method.lower())(item_id)
        body = json_object()
        if "_id" in body:
            refuse("Clients cannot choose an item's _id.", {"_id": "Leave it out."}, 400)
        now = datetime.now(UTC)
        item = {**item_changes(body, partial=False), "created_at": now, "updated_at": now}
        room_for_a_new_item(get_db().items)
        item["_id"] = get_db().items.insert_one({**item, "owner_id": g.user["_id"]}).inserted_id
        return item, 201, {"Location": url_for("api.items", item_id=str(item["_id"]))}

    def put(self, item_id):
        """Replace the fields a client may set; Backbone's save() sends them all."""
        return self.update(item_id, partial=False)

    def patch(self, item_id):
        """Change only the fields sent: Backbone's save(attrs, {patch: true})."""
        return self.update(item_id, partial=True)

    def update(self, item_id, partial):
        """Store the changes from the body and return the item as stored."""
        query = item_query(item_id)
        body = json_object()
        if "_id" in body and body["_id"] != item_id:
            refuse("The _id does not match the URL.", {"_id": "Must match the URL."}, 400)
        changes = {**item_changes(body, partial), "updated_at": datetime.now(UTC)}
        item = get_db().items.find_one_and_update(
            query,
            {"$set": changes},
            projection={"owner_id": False},
            return_document=ReturnDocument.AFTER,
        )
        return found(item)

    def delete(self, item_id):
        """Delete an item: 204 and an empty body, as Backbone's destroy() expects."""
        found(get_db().items.find_one_and_delete(item_query(item_id)))
        return "", 204


# One view, two rules. An item's rule takes POST too, for Backbone.emulateHTTP only. Every
# method a rule lists must exist on the class, or Flask answers 500.
items_view = ItemsAPI.as_view("items")
bp.add_url_rule(
    "/items/", defaults={"item_id": None}, view_func=items_view, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/items/<item_id>",
    view_func=items_view,
    methods=["GET", "PUT", "PATCH", "DELETE", "POST"],
)
