"""What a failing check says: what a response was, and what the step's own code raised.

Each message a learner reads says in words what is wrong and ends with where to read on, a
section of WORKSHOP.md (sections.py). An exception in a view is a 500 (the checks turn
PROPAGATE_EXCEPTIONS off), kept with its request by CheckedClient for said() to name.
"""

import json
import re
import traceback
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import request
from flask.testing import FlaskClient
from pymongo.errors import ConnectionFailure
from werkzeug.routing import BuildError

from harness.sections import (
    ENCODER_PITFALLS,
    ERRORS,
    METHODVIEW,
    METHODVIEW_PITFALLS,
    MODULE_SECTIONS,
    RAW_DOCUMENTS,
    STEP02_MODULES,
    STEP04_MODULES,
    THE_LIST,
    UNREACHABLE,
    WRAPS,
)
from harness.steps import step_number

# A run of characters without a space longer than this is shortened in a message (a URL with a
# 5,000-digit number, a 10,000-character id): its first SHOWN_START characters, then its length.
LONGEST_WORD = 80
SHOWN_START = 60
# How much of an answer's body a message shows before "…" and its length.
SHOWN_BODY = 160
# Where a request's environ keeps what the step's code raised, for said() to name it.
RAISED_KEY = "checks.raised"


def fail(message):
    """Fail the check with its message alone: a learner reads what is wrong, not our traceback."""
    pytest.fail(message, pytrace=False)


# --- What the step's own code raised -------------------------------------------------------------

# Exceptions whose own message is a riddle, and what they mean here ({message}: its own).
KNOWN_MISTAKES = [
    (
        TypeError,
        "'Collection' object is not callable",
        "pymongo 4 removed Collection.update/remove (TypeError: 'Collection' object is not"
        " callable…): use update_one/find_one_and_update and delete_one"
        f" ({METHODVIEW_PITFALLS})",
    ),
    (
        TypeError,
        "is not JSON serializable",
        "{message}: MongoDB's ObjectId and datetime are not JSON. Step 02 turns them into text"
        f" field by field ({RAW_DOCUMENTS}); from step 03 on, the step's JSON provider does,"
        " plugged in with app.json = MongoJSONProvider(app): Flask ignores app.json_encoder"
        f" ({ENCODER_PITFALLS})",
    ),
    (
        BuildError,
        "Could not build url for endpoint",
        "{message} If a decorator guards that view: a view's endpoint is its function's name,"
        " and a decorator that returns its inner function without functools.wraps gives every"
        f" view it guards that inner function's name, so url_for finds none of them ({WRAPS})",
    ),
]


# Where WORKSHOP.md says that a step's modules import each other relatively (from . import db):
# step 02 for its modules, step 04 for the two it adds.
RELATIVE_IMPORTS = {"auth": STEP04_MODULES, "passwords": STEP04_MODULES}


def step_frames(error):
    """The frames of an exception's traceback that are in a step folder's own files."""
    return [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if step_number(Path(frame.filename).parent) is not None
    ]


def sibling_imported_absolutely(error):
    """The module of the step that its code imported as `import db`, not `from . import db`."""
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return None
    folders = {Path(frame.filename).parent for frame in step_frames(error)}
    if any((folder / f"{error.name}.py").is_file() for folder in folders):
        return error.name
    return None


def where_raised(error):
    """Where in a step's files an exception was raised, as "api.py, line 30"; "" if not there."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{Path(error.filename).name}, line {error.lineno}"
    frames = step_frames(error)
    return f"{Path(frames[-1].filename).name}, line {frames[-1].lineno}" if frames else ""


def describe_exception(error, section=None):
    """An exception in one line: its name, where in the step it was raised, and its message.

    section is the one the message ends with, if any: the module's own is then not said twice.
    """
    where = where_raised(error)
    lines = str(error).strip().splitlines()
    # The checks import a step as a package of their own name: say the module's own name.
    message = re.sub(r"checked_step_\d+_\w+?\.(\w+)", r"\1", lines[0][:200] if lines else "")
    for error_type, said_by_it, explained in KNOWN_MISTAKES:
        if isinstance(error, error_type) and said_by_it in message:
            message = explained.format(message=message)
    sibling = sibling_imported_absolutely(error)
    if sibling:
        message = (
            f"{message}: {sibling}.py is a module of the step folder, a package, so the step's"
            f" modules import it relatively, from . import {sibling} or from .{sibling} import"
            f" ..., not import {sibling}"
        )
    # A step's module that a section of its own teaches: the exception points there too, next
    # to the failing check's own section, which may be about something else entirely.
    module = where.split(",")[0]
    taught_in = MODULE_SECTIONS.get(module.removesuffix(".py"))
    taught = f" ({module} is taught in {taught_in})" if taught_in not in {None, section} else ""
    return (
        type(error).__name__
        + (f" at {where}" if where else "")
        + (f": {message}" if message else "")
        + taught
    )


@contextmanager
def step_code(what, section):
    """Run the step's code; an exception out of it fails the check, saying what raised what."""
    try:
        yield
    except (AssertionError, pytest.fail.Exception, pytest.skip.Exception):
        raise
    except Exception as error:
        # A database that does not answer has one section, whichever code met it first.
        if isinstance(error, ConnectionFailure):
            section = UNREACHABLE
        # So has an import of one of the step's own modules that is not relative.
        sibling = sibling_imported_absolutely(error)
        if sibling:
            section = RELATIVE_IMPORTS.get(sibling, STEP02_MODULES)
        fail(f"{what} raised {describe_exception(error, section)} ({section})")


# --- What a response said, in words ---------------------------------------------------------------


def shortened(text, keep=SHOWN_START):
    """Text as a message shows it: whole if it is short, else its start, "…" and its length."""
    if len(text) <= keep:
        return text
    return f"{text[:keep]}… ({len(text):,} characters)"


def request_in_words(request_name):
    """A request's name (GET /api/items/?limit=…) for a message, its long runs shortened."""
    return re.sub(rf"\S{{{LONGEST_WORD + 1},}}", lambda word: shortened(word.group()), request_name)


class CheckedClient(FlaskClient):
    """Flask's test client; each request keeps a list of what the step's code raised."""

    def open(self, *args, **kwargs):
        """Send a request with a fresh list for remember_exception() to fill."""
        # The environ is copied on its way to the app, this list with it: both copies hold it.
        self.environ_base[RAISED_KEY] = []
        # Read whole and closed at once: a file a step sends (a static file, or index.html
        # where a step still serves it) is never left open, whatever the check does after.
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def remember_exception(sender, exception, **extra):
    """Keep what the step's code raised with its request, for said() to name it."""
    # Connected to Flask's got_request_exception signal by the checks' make_app fixture.
    raised = request.environ.get(RAISED_KEY)
    if raised is not None:
        raised.append(exception)


def said(response, section=None):
    """What a response was, in words, for a failing check's message that ends with section."""
    status = response.status_code
    if not hasattr(response, "get_data"):
        # An answer over real HTTP (the load checks' browser): its status and JSON.
        return f"{status} {response.get_json()}"
    sent = response.request
    raised = sent.environ.get(RAISED_KEY) if sent else None
    if raised:
        return f"{status}: the step's code raised {describe_exception(raised[-1], section)}"
    if 300 <= status < 400:
        return f"{status}, a redirect to {response.headers.get('Location')}"
    if status == 405:
        allowed = ", ".join(sorted(response.headers.get("Allow", "").split(", ")))
        path = request_in_words(sent.path)
        # The item rules are step 05's lesson, whatever check asked first.
        item_rules = sent.path.startswith("/api/items/")
        taught = f", see the item rules ({METHODVIEW})" if item_rules else ""
        return f"405: no route of the step takes {sent.method} {path} (it takes {allowed}){taught}"
    text = response.get_data(as_text=True)
    if status == 404 and "The requested URL was not found on the server" in text:
        return f"404: no route of the step takes {sent.method} {request_in_words(sent.path)}"
    if response.mimetype == "text/html":
        title = re.search(r"<title>(.*?)</title>", text, re.DOTALL)
        text = f"a page titled {title.group(1).strip()!r}" if title else "a page"
    return f"{status} {shortened(text.strip(), SHOWN_BODY)}".strip()


def expect_status(response, status, request_name, section):
    """The response has this status; if not, say what it answered instead. Return it."""
    request_name = request_in_words(request_name)
    assert response.status_code == status, (
        f"{request_name} should answer {status}; it answered {said(response, section)} ({section})"
    )
    return response


def json_body(response, request_name, section, status=200):
    """The response has this status and a JSON object for its body: return the object."""
    request_name = request_in_words(request_name)
    expect_status(response, status, request_name, section)
    assert response.mimetype == "application/json", (
        f"{request_name} should answer JSON; it answered {said(response, section)} ({section})"
    )
    body = response.get_json()
    assert isinstance(body, dict), (
        f"{request_name} should answer a JSON object; it answered {said(response, section)}"
        f" ({section})"
    )
    return body


def listed_items(client, section, query=""):
    """The items GET /api/items/ lists (with query, e.g. ?limit=2), from its envelope."""
    request_name = f"GET /api/items/{query}"
    body = json_body(client.get(f"/api/items/{query}"), request_name, section)
    items = body.get("items")
    assert isinstance(items, list), (
        f'{request_name} should answer {{"items": [...]}};'
        f" it answered {shortened(str(body), SHOWN_BODY)}"
        f" ({THE_LIST})"
    )
    return items


# Where the checks' unreachable MongoDB is: a user, password, database and token that no answer
# and no log line may show. Only the address, mongodb://127.0.0.1:1, may be named in a log.
UNREACHABLE_URI = (
    "mongodb://operator:s3cret@127.0.0.1:1?authSource=admin"
    "&authMechanismProperties=AWS_SESSION_TOKEN:t0ken"
)
UNREACHABLE_ADDRESS = "mongodb://127.0.0.1:1"


def uri_parts_in(text):
    """The parts of UNREACHABLE_URI that text shows: its address, its user, its secrets."""
    return [part for part in ["127.0.0.1", "operator", "s3cret", "admin", "t0ken"] if part in text]


def assert_tells_only_that_the_database_is_down(text, request_name):
    """What anyone may read when MongoDB does not answer: that it does not, and nothing of where."""
    assert "does not answer" in text, (
        f"{request_name}: the answer says that the database does not answer (try again later),"
        f" not {text[:200]!r} ({UNREACHABLE})"
    )
    assert uri_parts_in(text) == [], (
        f"{request_name}: the answer names no part of MONGO_URI, not even its host, since anyone"
        f" may read it; it shows {uri_parts_in(text)} ({UNREACHABLE})"
    )


def assert_json_error(response, status, request_name, section):
    """The response is an API error: this status and a JSON body {"error": "<a sentence>"}."""
    request_name = request_in_words(request_name)
    expect_status(response, status, request_name, section)
    answer = response.get_data(as_text=True)[:300]
    why = f'{request_name}: API errors are JSON, {{"error": "why"}}; this one is {answer!r}'
    assert response.mimetype == "application/json", f"{why} ({ERRORS})"
    body = response.get_json()
    assert isinstance(body, dict), f"{why} ({ERRORS})"
    error = body.get("error")
    assert isinstance(error, str), f"{why} ({ERRORS})"
    assert error, f"{why} ({ERRORS})"
    # What jsonify() writes: compact, keys sorted, one newline.
    spelling = json.dumps(body, separators=(",", ":"), sort_keys=True) + "\n"
    assert answer == spelling[:300], (
        f"{request_name}: every API error is spelled as jsonify() spells it, {spelling!r}; build"
        f" each one with error_response() in errors.py ({ERRORS})"
    )


def redirect_target(response, request_name, section):
    """The path and query parameters a redirect points to."""
    request_name = request_in_words(request_name)
    assert response.status_code == 302, (
        f"{request_name} should redirect (302); it answered {said(response, section)} ({section})"
    )
    location = urlsplit(response.headers["Location"])
    return location.path, parse_qs(location.query)
