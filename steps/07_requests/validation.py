"""Check what a client sends before anything reaches MongoDB."""

import json

from flask import abort, request

from .errors import error_response

# What a client may set, and what the server sets and ignores when Backbone sends it back.
ITEM_FIELDS = {"title", "done"}
SERVER_FIELDS = {"_id", "created_at", "updated_at"}
MAX_TITLE_LENGTH = 200
# An error names at most this many unknown fields, each cut to this length: a 1 MiB body of
# unknown keys gets a short answer, not megabytes of its own keys back.
MAX_NAMED_FIELDS = 10
MAX_NAME_LENGTH = 40


def refuse(message, fields=None, status=422):
    """Stop the request with a JSON error, naming what is wrong field by field."""
    abort(error_response(status, message, fields))


def refuse_constant(name):
    """Refuse NaN and Infinity, which Python's json accepts but JSON does not have."""
    raise ValueError(f"{name} is not JSON")


def json_object():
    """Return the request's body as a dict, or stop with 415 or 400 saying why."""
    if not request.is_json:
        abort(415, "Send JSON with Content-Type: application/json.")
    try:
        # get_data() answers 413 past MAX_CONTENT_LENGTH. RecursionError: absurdly deep nesting.
        body = json.loads(request.get_data(), parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        abort(400, "The body is not valid JSON.")
    if not isinstance(body, dict):
        abort(400, 'Send a JSON object, such as {"title": "Buy milk"}.')
    return body


def is_text(value):
    """Tell whether value is a string BSON can store: JSON allows lone surrogates, UTF-8 not."""
    # What UTF-8 cannot encode, a lone surrogate such as "\ud800", errors="ignore" leaves out.
    return isinstance(value, str) and value.encode(errors="ignore").decode() == value


def refuse_unknown_fields(unknown):
    """Refuse the unknown fields of a body, naming the first few of them, each cut short."""
    named = [name[:MAX_NAME_LENGTH] for name in sorted(unknown)[:MAX_NAMED_FIELDS]]
    more = len(unknown) - len(named)
    listed = ", ".join(named) + (f" … and {more} more" if more else "")
    refuse(f"Unknown fields: {listed}.", dict.fromkeys(named, "Unknown field."))


def item_changes(body, partial):
    """Return the fields to store from a body; partial (PATCH) allows leaving fields out."""
    unknown = set(body) - ITEM_FIELDS - SERVER_FIELDS
    if unknown:
        refuse_unknown_fields(unknown)
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
