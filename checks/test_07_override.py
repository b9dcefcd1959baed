"""Step 07: the method override, a POST that Backbone.emulateHTTP sends for PUT, PATCH, DELETE."""

import pytest

from harness.answers import assert_json_error, expect_status
from harness.items import (
    BAD_IDS,
    COLLECTION,
    ITEM,
    OVERRIDES,
    allowed_methods,
    as_api,
    assert_login_needed,
    assert_not_found,
    assert_path_with_dots_reaches_nothing,
    item_url,
    items_in,
    stored,
)
from harness.sections import OVERRIDE

pytestmark = [pytest.mark.steps(7, 8), pytest.mark.hardening]


def test_item_rule_takes_post_for_the_method_override(client):
    assert "POST" in allowed_methods(client, ITEM), (
        "/api/items/<item_id> takes POST too, for Backbone.emulateHTTP's X-HTTP-Method-Override"
        f" ({OVERRIDE})"
    )


@pytest.mark.parametrize(
    ("override", "body", "status", "expected"),
    [
        ("PUT", {"title": "put"}, 200, ("put", False)),
        ("put", {"title": "put"}, 200, ("put", False)),
        ("PATCH", {"title": "patched"}, 200, ("patched", True)),
        ("pAtCh", {"done": False}, 200, ("Buy milk", False)),
        ("DELETE", None, 204, None),
        ("delete", None, 204, None),
    ],
    ids=["PUT", "put", "PATCH", "pAtCh", "DELETE", "delete"],
)
def test_override_header_on_post_acts_as_the_method_it_names(
    client, db, item, override, body, status, expected
):
    headers = {"X-HTTP-Method-Override": override}
    response = client.post(item_url(item["_id"]), json=body, headers=headers)
    expect_status(
        response,
        status,
        f"POST with X-HTTP-Method-Override: {override} (Backbone.emulateHTTP's {override.upper()})",
        OVERRIDE,
    )
    after = stored(db, item["_id"])
    if expected is None:
        assert response.data == b"", f"a 204 has no body ({OVERRIDE})"
        assert after is None, f"the item is deleted ({OVERRIDE})"
    else:
        assert response.get_json() == as_api(after), (
            f"the answer is the item as stored ({OVERRIDE})"
        )
        assert (after["title"], after["done"]) == expected, (
            f"POST as {override.upper()} changes the item as {override.upper()} would ({OVERRIDE})"
        )


@pytest.mark.parametrize(
    "override",
    [None, "", "GET", "POST", "HEAD", "TRACE", "OPTIONS", "CONNECT", "update", "PUT, DELETE"],
    ids=lambda value: f"override={value}",
)
def test_post_to_an_item_without_a_usable_override_is_405(client, db, item, override):
    before = items_in(db)
    headers = {} if override is None else {"X-HTTP-Method-Override": override}
    response = client.post(item_url(item["_id"]), json={"title": "x"}, headers=headers)
    assert_json_error(
        response, 405, "POST to an item without PUT, PATCH or DELETE to stand for", OVERRIDE
    )
    allowed = set(response.headers.get("Allow", "").split(", "))
    assert allowed >= {"GET", "PUT", "PATCH", "DELETE"}, (
        f"a 405 says which methods the item takes, in its Allow header, not {allowed} ({OVERRIDE})"
    )
    assert items_in(db) == before, f"a refused POST changes nothing ({OVERRIDE})"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
def test_override_header_is_ignored_on_other_methods(client, db, item, method):
    body = None if method == "GET" else {"title": "Buy milk"}
    headers = {"X-HTTP-Method-Override": "DELETE"}
    response = client.open(item_url(item["_id"]), method=method, json=body, headers=headers)
    expect_status(response, 200, f"{method} with X-HTTP-Method-Override: DELETE", OVERRIDE)
    assert stored(db, item["_id"]) is not None, (
        f"the override header counts on a POST only: a {method} is never a DELETE ({OVERRIDE})"
    )


@pytest.mark.parametrize("override", ["DELETE", "PUT", "PATCH"])
def test_override_header_off_an_item_is_refused(client, db, item, override):
    before = items_in(db)
    headers = {"X-HTTP-Method-Override": override}
    for method, url in [("POST", COLLECTION), ("GET", COLLECTION), ("GET", "/api/me")]:
        body = {"title": "x"} if method == "POST" else None
        response = client.open(url, method=method, json=body, headers=headers)
        assert_json_error(
            response, 400, f"{method} {url} with X-HTTP-Method-Override: {override}", OVERRIDE
        )
    assert items_in(db) == before, (
        f"the override works on an item only: elsewhere it is refused, and a POST to the"
        f" collection creates nothing ({OVERRIDE})"
    )


@pytest.mark.parametrize("name", OVERRIDES)
def test_override_requests_need_a_login(client, auth, db, item, name):
    assert_login_needed(client, auth, db, item, name, OVERRIDE)


@pytest.mark.parametrize("item_id", BAD_IDS)
def test_override_requests_to_ids_that_are_not_the_users_item_are_404(client, db, item, item_id):
    assert_not_found(client, db, OVERRIDES, item_id, OVERRIDE)


def test_override_requests_to_a_path_with_dots_reach_nothing(client, db, item):
    assert_path_with_dots_reaches_nothing(client, db, OVERRIDES, OVERRIDE)
