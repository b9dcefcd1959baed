"""Step 07's limits on one account's items: how many it keeps, and how many it adds a minute."""

from datetime import UTC, datetime, timedelta

import pytest

from harness.answers import json_body
from harness.apps import USERNAME, create_item, store_user
from harness.sections import ITEMS_PER_ACCOUNT

pytestmark = [pytest.mark.steps(7, 8), pytest.mark.hardening]

MAX_ITEMS_PER_USER = 1000
NEW_ITEMS_PER_MINUTE = 60
A_WHILE_AGO = datetime(2024, 1, 1, 12, tzinfo=UTC)


def store_items(db, owner_id, count, created_at=A_WHILE_AGO):
    """Store count items of owner_id straight in the database, all made at created_at."""
    db.items.insert_many(
        {"title": f"item {number}", "done": False, "owner_id": owner_id}
        | {"created_at": created_at, "updated_at": created_at}
        for number in range(count)
    )


def refused_post(client, db, owner_id, status, request_name):
    """POST one item, which is refused with status and a JSON error; nothing is stored."""
    before = db.items.count_documents({"owner_id": owner_id})
    response = client.post("/api/items/", json={"title": "one more"})
    body = json_body(response, request_name, ITEMS_PER_ACCOUNT, status=status)
    assert isinstance(body.get("error"), str), (
        f'{request_name} says why in {{"error": "..."}}; it answered {body} ({ITEMS_PER_ACCOUNT})'
    )
    after = db.items.count_documents({"owner_id": owner_id})
    assert after == before, f"{request_name} stores nothing: {after - before} stored"
    return response, body


def test_an_account_keeps_at_most_1000_items(client, db, logged_in_user, auth):
    store_items(db, logged_in_user["_id"], MAX_ITEMS_PER_USER - 1)
    create_item(client, ITEMS_PER_ACCOUNT, title=f"item number {MAX_ITEMS_PER_USER}")
    request_name = f"POST /api/items/ by an account that keeps {MAX_ITEMS_PER_USER} items"
    _, body = refused_post(client, db, logged_in_user["_id"], 403, request_name)
    assert str(MAX_ITEMS_PER_USER) in body["error"], (
        f"the 403 says how many items an account keeps; it said {body['error']!r}"
        f" ({ITEMS_PER_ACCOUNT})"
    )
    other = store_user(db, "neighbour")
    auth.logout()
    auth.login("neighbour")
    create_item(client, ITEMS_PER_ACCOUNT, title="another account has room")
    auth.logout()
    auth.login(USERNAME)
    db.items.delete_one({"owner_id": logged_in_user["_id"]})
    create_item(client, ITEMS_PER_ACCOUNT, title="room again after a delete")
    assert db.items.count_documents({"owner_id": other["_id"]}) == 1


def test_an_account_adds_at_most_60_items_a_minute(client, db, logged_in_user):
    for number in range(NEW_ITEMS_PER_MINUTE):
        create_item(client, ITEMS_PER_ACCOUNT, title=f"new item {number}")
    request_name = f"POST /api/items/ after {NEW_ITEMS_PER_MINUTE} new items in a minute"
    response, _ = refused_post(client, db, logged_in_user["_id"], 429, request_name)
    wait = response.headers.get("Retry-After", "")
    assert wait in {str(seconds) for seconds in range(1, 61)}, (
        f"the 429 says in Retry-After how many seconds to wait, at most a minute; it said"
        f" {wait!r} ({ITEMS_PER_ACCOUNT})"
    )
    # A minute later, the same items no longer count against the rate.
    earlier = datetime.now(UTC) - timedelta(minutes=1, seconds=1)
    db.items.update_many({"owner_id": logged_in_user["_id"]}, {"$set": {"created_at": earlier}})
    create_item(client, ITEMS_PER_ACCOUNT, title="a minute later")
