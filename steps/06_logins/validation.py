"""Check what a client sends before anything reaches MongoDB."""

from flask import abort, request
from werkzeug.exceptions import BadRequest

from .errors import error_response

# What a client may set, and what the server sets and ignores when Backbone sends it back.
ITEM_FIELDS = {"title", "done"}
SERVER_FIELDS = {"_id", "created_at", "updated_at"}
MAX_TITLE_LENGTH = 200


def refuse(message, fields=None, status=422):
    """Stop the request with a JSON error, naming what is wrong field by field."""
    abort(error_response(status, message, fields))


def json_object():
    """Return the request's body as a dict, or stop with 415 or 400 saying why."""
    try:
        # 415 comes from Flask. Its 400 says only "could not understand", and nesting thousands
        # deep raises RecursionError instead: both are answered with what is wrong.
        body = request.get_json()
    except (BadRequest, RecursionError):
        abort(400, "The body is not valid JSON.")
    if not isinstance(body, dict):
        abort(400, 'Send a JSON object, such as {"title": "Buy milk"}.')
    return body


def is_text(value):
    """Tell whether value is a string BSON can store: JSON allows lone surrogates, UTF-8 not."""
    # What UTF-8 cannot encode, a lone surrogate such as "\ud800", errors="ignore" leaves out.
    return isinstance(value, str) and value.encode(errors="ignore").decode() == value


def item_changes(body, partial):
    """Return the fields to store from a body; partial (PATCH) allows leaving fields out."""
    unknown = set(body) - ITEM_FIELDS - SERVER_FIELDS
    if unknown:
        names = sorted(unknown)
        refuse(f"Unknown fields: {', '.join(names)}.", dict.fromkeys(names, "Unknown field."))
    changes, errors = {}, {}
    if "title" in body:
        title = body["title"]
        if not is_text(title):
            errors["title"] = "The title must be text."
        elif not 1 <= len(title.strip()) <= MAX_TITLE_LENGTH:
            errors["title"] = f"The title needs 1 to {MAX_TITLE_LENGTH} characters."
        else:
            changes["title"] = title.strip()
    elif not partial:
        errors["title"] = "The title is required."
    if "done" in body:
        # isinstance(1, bool) is False, but isinstance(True, int) is True: check for bool.
        if isinstance(body["done"], bool):
            changes["done"] = body["done"]
        else:
            errors["done"] = "done must be true or false."
    elif not partial:
        changes["done"] = False
    if errors:
        refuse("The item is not valid.", errors)
    return changes


def page_parameter(name, default, minimum, maximum):
    """Return a whole-number query parameter from minimum to maximum, or stop with 400."""
    value = request.args.get(name)
    if value is None:
        return default
    # isascii: "²".isdigit() is True, but int("²") fails; and int() refuses over 4300 digits.
    well_formed = value.isascii() and value.isdigit() and len(value) <= len(str(maximum))
    if not well_formed or not minimum <= int(value) <= maximum:
        abort(400, f"{name} must be a whole number from {minimum} to {maximum}.")
    return int(value)
