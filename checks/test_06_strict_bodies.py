"""Step 06: strict bodies, JSON that Flask's get_json() reads and MongoDB must not see."""

import io
import json

import pytest

from answers import assert_json_error, expect_status
from item_requests import (
    COLLECTION,
    JSON,
    MISSING_ID,
    NOT_AN_OBJECT,
    OTHERS_ID,
    assert_put_refused,
    item_url,
    items_in,
    raw,
    stored,
)
from sections import STRICT_BODIES

pytestmark = [pytest.mark.steps(6, 6), pytest.mark.hardening]


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
            "environ_overrides": {"wsgi.input_terminated": True},
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
        assert_json_error(response, status, f"{method} {url}", STRICT_BODIES)
    assert items_in(db) == before, f"a refused body changes nothing ({STRICT_BODIES})"


# Just under 1 MiB of unknown fields: the error names a few of them, never all 15,000.
UNKNOWN_COUNT = 15_000
UNKNOWN_KEYS = json.dumps({f"unknown-{number:06}-{'x' * 46}": 0 for number in range(UNKNOWN_COUNT)})
SHORT_ERROR = 4 * 1024


def test_an_error_names_a_few_unknown_fields_not_all(client, db, item):
    before = items_in(db)
    targets = {"POST": COLLECTION, "PUT": item_url(item["_id"])}
    for method, url in targets.items():
        response = client.open(url, method=method, data=UNKNOWN_KEYS, content_type=JSON)
        assert_json_error(response, 422, f"{method} of 15,000 unknown fields", STRICT_BODIES)
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
