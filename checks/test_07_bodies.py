"""Step 07: bodies with a limit (chunked too), and strict JSON that MongoDB must not see."""

import http.client
import http.cookiejar
import io
import json
import math
from urllib.parse import urlencode, urlsplit

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.answers import assert_json_error, expect_status, said
from harness.apps import (
    PASSWORD,
    USERNAME,
    WRONG_PASSWORD,
    accounts_and_logins,
    setting,
    store_item,
)
from harness.items import (
    API_KEYS,
    COLLECTION,
    JSON,
    MISSING_ID,
    NOT_AN_OBJECT,
    OTHERS_ID,
    assert_item_rules,
    assert_put_refused,
    item_url,
    items_in,
    raw,
    refusal_status,
    stored,
)
from harness.sections import BODY_LIMIT, STRICT_BODIES
from harness.servers import STOP_TIMEOUT, serving

pytestmark = [pytest.mark.steps(7, 8), pytest.mark.hardening]

# What a server hands over for a chunked body: no Content-Length, a stream it ends itself. The
# test client would count the stream's bytes into a Content-Length without these.
CHUNKED = {"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"}


OVER_ONE_MIB = '{"title": "' + "x" * (1024 * 1024) + '"}'
MANY_KEYS = json.dumps({f"k{number}": 0 for number in range(20_000)})
FIVE_THOUSAND_DIGITS = '{"title": "x", "done": 1' + "0" * 5000 + "}"

# JSON bodies the parser cannot read as an object, or as JSON at all: 400.
UNREADABLE = {
    **NOT_AN_OBJECT,
    "NaN": '{"title": "x", "done": NaN}',
    "Infinity": '{"title": "x", "created_at": Infinity}',
    "-Infinity": '{"title": "x", "updated_at": -Infinity}',
    "5000-digits": FIVE_THOUSAND_DIGITS,
    # A client-chosen _id is a 400, as in a create: not a field to correct.
    "_id-operator": '{"title": "x", "_id": {"$ne": null}}',
}
# JSON objects that are not a valid item: 422, field by field.
INVALID = {
    "title-number": '{"title": 5}',
    "done-string": '{"title": "x", "done": "true"}',
    "$set": '{"$set": {"title": "x"}}',
    "$where": '{"title": "x", "$where": "1"}',
    "dotted-key": '{"title.x": 1}',
    "empty-key": '{"title": "x", "": 1}',
    "operator-value": '{"title": {"$ne": null}}',
    "operator-done": '{"title": "x", "done": {"$ne": false}}',
    "owner": '{"title": "x", "owner_id": "65a1b2c3d4e5f60718293a4b"}',
    "2**63": f'{{"title": "x", "done": {2**63}}}',
    "-2**63-1": f'{{"title": "x", "done": {-(2**63) - 1}}}',
    "10**400": f'{{"title": "x", "done": {10**400}}}',
    "1e400": '{"title": "x", "done": 1e400}',
    "duplicate-keys": '{"title": "ok", "title": {"$ne": null}}',
    "20000-keys": MANY_KEYS,
    "surrogate-key": '{"title": "x", "\\ud800": 1}',
    "surrogate-title": '{"title": "\\ud800"}',
    "surrogate-in-title": '{"title": "ok \\udfff"}',
}
# Bodies with a content type that is not JSON: 415; or JSON declared in a charset the bytes are not.
CONTENT_TYPES = [
    ("text-plain", "text/plain", 415),
    ("form", "application/x-www-form-urlencoded", 415),
    ("no-content-type", None, 415),
    ("text-json", "text/json", 415),
    ("jsonp", "application/jsonp", 415),
]
BAD_BODIES = [
    *(pytest.param(raw(body), 400, id=name) for name, body in UNREADABLE.items()),
    *(pytest.param(raw(body), 422, id=name) for name, body in INVALID.items()),
    *(
        pytest.param(raw('{"title": "x"}', content_type), status, id=name)
        for name, content_type, status in CONTENT_TYPES
    ),
    pytest.param(
        raw('{"title": "caf\xe9"}'.encode("latin-1"), "application/json; charset=latin-1"),
        400,
        id="latin-1-bytes",
    ),
    pytest.param(raw(OVER_ONE_MIB), 413, id="over-1MiB"),
    pytest.param(
        {
            "input_stream": io.BytesIO(OVER_ONE_MIB.encode()),
            "content_type": JSON,
            # Chunked: no Content-Length, so the limit applies while reading.
            "environ_overrides": CHUNKED,
        },
        413,
        id="over-1MiB-chunked",
    ),
]


@pytest.mark.parametrize(("request_args", "status"), BAD_BODIES)
def test_bad_bodies_get_a_json_error_and_change_nothing(client, db, item, request_args, status):
    before = items_in(db)
    targets = {"POST": COLLECTION, "PUT": item_url(item["_id"]), "PATCH": item_url(item["_id"])}
    for method, url in targets.items():
        if "input_stream" in request_args:
            # The chunked row sends the same stream each time: from its start.
            request_args["input_stream"].seek(0)
        response = client.open(url, method=method, **request_args)
        expected = refusal_status(response, request_args, status)
        assert_json_error(response, expected, f"{method} {url}", STRICT_BODIES)
    assert items_in(db) == before, f"a refused body changes nothing ({STRICT_BODIES})"


# Just under 1 MiB of unknown fields: the error names a few of them, never all 15,000.
UNKNOWN_COUNT = 15_000
UNKNOWN_KEYS = json.dumps({f"unknown-{number:06}-{'x' * 46}": 0 for number in range(UNKNOWN_COUNT)})
SHORT_ERROR = 4 * 1024


def test_an_error_names_a_few_unknown_fields_not_all(client, db, item):
    before = items_in(db)
    targets = {"POST": COLLECTION, "PUT": item_url(item["_id"])}
    for method, url in targets.items():
        request_args = {"data": UNKNOWN_KEYS.encode(), "content_type": JSON}
        response = client.open(url, method=method, **request_args)
        status = refusal_status(response, request_args, 422)
        assert_json_error(response, status, f"{method} of 15,000 unknown fields", STRICT_BODIES)
        if status == 413:
            # Refused for its length, before it is read: no field of it is known.
            continue
        size = len(response.get_data())
        assert size < SHORT_ERROR, (
            f"the error for 15,000 unknown fields stays short: it names the first few, each cut"
            f" short, and says how many more (… and N more); it has {size:,} bytes"
            f" ({STRICT_BODIES})"
        )
        body = response.get_json()
        left_out = UNKNOWN_COUNT - len(body.get("fields", {}))
        assert f"{left_out} more" in body["error"], (
            f"the error says how many unknown fields it does not name, … and {left_out} more:"
            f" {body['error'][:300]!r} ({STRICT_BODIES})"
        )
    assert items_in(db) == before, f"a refused body changes nothing ({STRICT_BODIES})"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'\xef\xbb\xbf{"title": "bom"}', JSON),
        ('{"title": "bom"}'.encode("utf-16"), JSON),
        (b'{"title": "bom"}', "application/merge-patch+json"),
        (b'{"title": "bom"}', "application/json; charset=latin-1"),
    ],
    ids=["utf8-bom", "utf16", "merge-patch+json", "ascii-declared-latin-1"],
)
def test_json_the_parser_understands_is_accepted(client, db, item, body, content_type):
    response = client.put(item_url(item["_id"]), data=body, content_type=content_type)
    expect_status(
        response,
        200,
        f"PUT of JSON that Flask's request.get_json() reads ({content_type})",
        STRICT_BODIES,
    )
    assert stored(db, item["_id"])["title"] == "bom", (
        f"the title of the JSON sent is stored ({STRICT_BODIES})"
    )


@pytest.mark.parametrize(
    "other_id", [MISSING_ID, OTHERS_ID], ids=["other-_id", "another-users-_id"]
)
def test_put_of_another_id_is_refused(client, db, item, other_id):
    assert_put_refused(client, db, item, {"title": "x", "_id": other_id}, 400, STRICT_BODIES)


ONE_MIB = 1024 * 1024


# An error page or body stays small whatever was sent: it never echoes the body back.
SMALL_ANSWER = 16 * 1024


# The learner's login form with a field that takes it past 1 MiB: cut at the limit, the form
# would still log in, as its first MiB holds the username and the password.
LONG_LOGIN_FORM = urlencode({"username": USERNAME, "password": PASSWORD, "next": "/" * 1_200_000})


SHORT_LOGIN_FORM = urlencode({"username": USERNAME, "password": PASSWORD})


FORM = "application/x-www-form-urlencoded"


# An item whose title alone is 1 MiB: the whole body is a little more.
LONG_ITEM = '{"title": "' + "x" * ONE_MIB + '"}'


JSON = "application/json"


def send_chunked(url, path, body, content_type, cookie=None):
    """POST body in chunks, with no Content-Length, as a streaming client does; return it."""
    connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=STOP_TIMEOUT * 3)
    headers = {"Content-Type": content_type, **({"Cookie": cookie} if cookie else {})}
    data = body.encode()
    chunks = (data[start : start + 65536] for start in range(0, len(data), 65536))
    try:
        connection.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Set-Cookie")
    finally:
        connection.close()


def test_bodies_are_limited_to_1_mib(app):
    assert setting(app, "MAX_CONTENT_LENGTH", BODY_LIMIT) == ONE_MIB, (
        f"create_app sets MAX_CONTENT_LENGTH to 1 MiB, 1024 * 1024 ({BODY_LIMIT})"
    )


def test_a_long_login_form_is_413_with_a_short_answer(client, db, auth, user):
    before = accounts_and_logins(db)
    response = client.post("/login", data=LONG_LOGIN_FORM, content_type=FORM)
    assert response.status_code == 413, (
        f"a login form over 1 MiB should be refused with 413 before it is read; it answered"
        f" {said(response, BODY_LIMIT)} ({BODY_LIMIT})"
    )
    assert len(response.get_data()) < SMALL_ANSWER, f"the 413 is short ({BODY_LIMIT})"
    assert accounts_and_logins(db) == before, f"a refused form logs nobody in ({BODY_LIMIT})"
    assert auth.logged_in_as() is None, f"a refused form logs nobody in ({BODY_LIMIT})"


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_a_refused_form_shows_a_long_username_cut_short(client, db, user, path):
    before = accounts_and_logins(db)
    # As long as step 06's cap on these forms lets a name be.
    username = "x" * 3_000
    response = client.post(path, data={"username": username, "password": WRONG_PASSWORD})
    assert response.status_code in {400, 401}, (
        f"POST {path} with a 3,000-character username is refused; it answered {said(response)}"
        f" ({BODY_LIMIT})"
    )
    assert username[:65] not in response.get_data(as_text=True), (
        f"POST {path}: the form shown again holds the refused username cut to 64 characters,"
        f" not all 3,000 of it ({BODY_LIMIT})"
    )
    assert accounts_and_logins(db) == before, f"a refused form changes nothing ({BODY_LIMIT})"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_item_over_1_mib_is_a_json_413(client, db, logged_in_user, chunked):
    item_id = store_item(db, "Buy milk", owner_id=logged_in_user["_id"])
    before = list(db.items.find())
    targets = {"POST": "/api/items/", "PUT": f"/api/items/{item_id}"}
    for method, url in {**targets, "PATCH": targets["PUT"]}.items():
        body = {"data": LONG_ITEM}
        if chunked:
            # No Content-Length: the server ends the stream itself, and the limit counts as the
            # body is read.
            body = {"input_stream": io.BytesIO(LONG_ITEM.encode()), "environ_overrides": CHUNKED}
        response = client.open(url, method=method, content_type=JSON, **body)
        assert_json_error(response, 413, f"{method} {url} of an item over 1 MiB", BODY_LIMIT)
        assert len(response.get_data()) < SMALL_ANSWER, f"the 413 is short ({BODY_LIMIT})"
    assert list(db.items.find()) == before, f"a refused body changes nothing ({BODY_LIMIT})"


@pytest.mark.slow
def test_a_long_chunked_body_is_refused_not_cut(app, db, user):
    before = accounts_and_logins(db)
    with serving(app) as url:
        status, body, _cookie = send_chunked(url, "/login", LONG_LOGIN_FORM, FORM)
        short_status, _body, _cookie = send_chunked(url, "/login", SHORT_LOGIN_FORM, FORM)
    assert status == 413, (
        f"a chunked login form over 1 MiB (no Content-Length) should be refused with 413, not cut"
        f" at 1 MiB and read; it answered {status} {body[:200]!r} ({BODY_LIMIT})"
    )
    assert len(body) < SMALL_ANSWER, f"the 413 is short ({BODY_LIMIT})"
    assert short_status == 302, (
        f"a chunked login form under the limit still logs in: it answered {short_status}"
        f" ({BODY_LIMIT})"
    )
    logins = accounts_and_logins(db)["logins"]
    assert len(logins) == len(before["logins"]) + 1, (
        f"only the short form logged in: {len(logins)} logins ({BODY_LIMIT})"
    )


@pytest.mark.slow
def test_a_long_chunked_item_is_refused_not_cut(app, db, user):
    # {"title": "trunc" and 1.2 MB of spaces: cut at 1 MiB, what is left is read as the whole body.
    body = '{"title": "trunc"' + " " * 1_200_000 + "GARBAGE}"
    with serving(app) as url:
        login, _body, cookie = send_chunked(url, "/login", SHORT_LOGIN_FORM, FORM)
        assert login == 302, (
            f"a chunked login form logs in, to send an item then: it answered {login}"
            f" ({BODY_LIMIT})"
        )
        status, answer, _cookie = send_chunked(
            url, "/api/items/", body, "application/json", cookie.split(";")[0]
        )
    # The body is checked before the view reads it, and before routing: a 413, stored nowhere.
    assert status == 413, (
        f"a chunked item over 1 MiB should be refused with 413; it answered {status}"
        f" {answer[:200]!r} ({BODY_LIMIT})"
    )
    assert json.loads(answer)["error"], f"the API refuses it with a JSON error ({BODY_LIMIT})"
    assert db.items.count_documents({"title": "trunc"}) == 0, (
        f"a refused body stores nothing ({BODY_LIMIT})"
    )


ITEM_ID = "65a1b2c3d4e5f60718293a4b"


CLIENT_FIELDS = {"title", "done"}


SERVER_FIELDS = {"_id", "created_at", "updated_at"}


# Keys an attacker would try, next to random ones.
ODD_KEYS = st.sampled_from(["$set", "$where", "$ne", "title.x", "a.b", "", "owner_id", "__proto__"])


KEYS = st.text(max_size=8) | ODD_KEYS


# Lone surrogates are valid JSON escapes that UTF-8 cannot encode: in text too, not only in keys.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | ANY_TEXT
)


JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=8,
)


# Titles that pass, or 195 to 202 characters between blanks; then blank and random ones too.
GOOD_TITLES = st.text(min_size=1, max_size=30).filter(str.strip) | st.integers(
    min_value=195, max_value=202
).map(lambda length: " " + "x" * length + " ")


TITLES = (
    GOOD_TITLES | st.sampled_from(["", " ", "\t\n", "\u3000", "\ud800", "ok \udfff"]) | ANY_TEXT
)


# What Backbone's save() sends: mostly acceptable, so that the checks see successes too.
BACKBONE_SAVES = st.fixed_dictionaries(
    {"title": GOOD_TITLES},
    optional={
        "done": st.booleans(),
        "_id": st.just(ITEM_ID),
        "created_at": st.just("2024-01-01T12:00:00.000+00:00"),
        "updated_at": st.just("2024-01-01T12:00:00.000+00:00"),
    },
)


# The same keys with random values.
ITEM_SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "title": TITLES | JSON_VALUES,
        "done": st.booleans() | JSON_VALUES,
        "_id": st.sampled_from([ITEM_ID, ITEM_ID.upper(), str(ObjectId())]) | JSON_VALUES,
        "created_at": JSON_VALUES,
        "updated_at": JSON_VALUES,
    },
)


# Either of those with a random extra key or two, such as "$set" or "title.x".
WITH_EXTRA_KEYS = st.builds(
    lambda item, extras: {**extras, **item},
    BACKBONE_SAVES | ITEM_SHAPED,
    st.dictionaries(KEYS, JSON_VALUES, min_size=1, max_size=2),
)


BODIES = BACKBONE_SAVES | ITEM_SHAPED | WITH_EXTRA_KEYS | JSON_VALUES


def has_non_finite(value):
    """Whether a JSON value holds NaN or an infinity, which json.dumps writes but JSON lacks."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(has_non_finite(child) for child in value.values())
    if isinstance(value, list):
        return any(has_non_finite(child) for child in value)
    return False


def accepted(method, body):
    """Whether the contract accepts body for method: the checks' own reading of the rules."""
    if not isinstance(body, dict) or has_non_finite(body):
        return False
    if set(body) - CLIENT_FIELDS - SERVER_FIELDS:
        return False
    if "_id" in body and (method == "POST" or body["_id"] != ITEM_ID):
        return False
    if "title" in body:
        title = body["title"]
        if not isinstance(title, str) or not 1 <= len(title.strip()) <= 200:
            return False
        if any("\ud800" <= char <= "\udfff" for char in title):
            return False  # a lone surrogate: UTF-8, and so BSON, cannot store it
    elif method != "PATCH":
        return False
    return "done" not in body or isinstance(body["done"], bool)


def expected_fields(method, body, previous):
    """The (title, done) an accepted body leaves stored; PATCH keeps what it does not send."""
    if method == "PATCH":
        title = body["title"].strip() if "title" in body else previous["title"]
        return title, body.get("done", previous["done"])
    return body["title"].strip(), body.get("done", False)


@pytest.fixture
def own_item(db, logged_in_user):
    """Log the learner in and give them the item the random PUTs and PATCHes go to."""
    store_item(db, "target", owner_id=logged_in_user["_id"], _id=ObjectId(ITEM_ID))
    return logged_in_user["_id"]


@settings(
    max_examples=120,
    deadline=None,
    # The same bodies in every run: a learner's count does not change from one run to the next.
    derandomize=True,
    # The app and its database are made once and shared by the examples, on purpose; and a
    # busy machine may be slow to make examples, which is no fault of the step's.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(method=st.sampled_from(["POST", "PUT", "PATCH"]), body=BODIES)
def test_random_bodies_never_break_the_item_rules(client, db, own_item, method, body):
    url = COLLECTION if method == "POST" else COLLECTION + ITEM_ID
    before = list(db.items.find())
    response = client.open(
        url, method=method, data=json.dumps(body), content_type="application/json"
    )
    after = list(db.items.find())
    answer = response.get_json()
    request_name = f"{method} {url} {body!r}"[:300]
    assert response.status_code < 500, (
        f"{request_name} should never be a server error; it answered {said(response)}"
        f" ({STRICT_BODIES})"
    )
    for document in after:
        assert_item_rules(document, STRICT_BODIES)
    if not accepted(method, body):
        assert 400 <= response.status_code < 500, (
            f"{request_name} should be refused; it answered {said(response)} ({STRICT_BODIES})"
        )
        assert isinstance(answer, dict), (
            f"a refused body gets a JSON error that says why ({STRICT_BODIES})"
        )
        assert isinstance(answer.get("error"), str), (
            f"a refused body gets an error that says why ({STRICT_BODIES})"
        )
        assert after == before, f"a refused body changes nothing ({STRICT_BODIES})"
        return
    status = 201 if method == "POST" else 200
    assert response.status_code == status, (
        f"{request_name} should answer {status}; it answered {said(response)} ({STRICT_BODIES})"
    )
    assert set(answer) == API_KEYS, (
        f"the answer is the item: its fields and no owner_id, not {answer} ({STRICT_BODIES})"
    )
    matching = [document for document in after if str(document["_id"]) == answer["_id"]]
    assert len(matching) == 1, f"the answer's _id is the stored item's ({STRICT_BODIES})"
    document = matching[0]
    previous = next((old for old in before if old["_id"] == document["_id"]), None)
    assert (document["title"], document["done"]) == expected_fields(method, body, previous), (
        f"the fields stored are those the rules give ({STRICT_BODIES})"
    )
    assert (answer["title"], answer["done"]) == (document["title"], document["done"]), (
        f"the answer says what was stored ({STRICT_BODIES})"
    )
    assert document["owner_id"] == own_item, f"the owner never changes ({STRICT_BODIES})"
    if previous is not None:
        assert document["created_at"] == previous["created_at"], (
            f"created_at never changes ({STRICT_BODIES})"
        )
    others_before = [old for old in before if old["_id"] != document["_id"]]
    assert [old for old in after if old["_id"] != document["_id"]] == others_before, (
        f"no other item changes ({STRICT_BODIES})"
    )
