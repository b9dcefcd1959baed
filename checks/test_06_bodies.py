"""Step 06's bodies.py and MAX_CONTENT_LENGTH: a body over 1 MiB is refused whole, never cut."""

import http.client
import io
import json
from urllib.parse import urlencode, urlsplit

import pytest

from answers import assert_json_error, said
from sections import BODY_LIMIT
from servers import STOP_TIMEOUT, serving
from support import (
    PASSWORD,
    USERNAME,
    WRONG_PASSWORD,
    accounts_and_logins,
    setting,
    store_item,
)

pytestmark = [pytest.mark.steps(6, 6), pytest.mark.hardening]

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
    response = client.post(path, data={"username": "x" * 500_000, "password": WRONG_PASSWORD})
    assert response.status_code in {400, 401}, (
        f"POST {path} with a 500 KB username is refused; it answered {said(response)}"
        f" ({BODY_LIMIT})"
    )
    size = len(response.get_data())
    assert size < SMALL_ANSWER, (
        f"POST {path}: the form shown again holds the refused username cut short, not all"
        f" 500 KB of it; the page has {size:,} bytes ({BODY_LIMIT})"
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
            body = {
                "input_stream": io.BytesIO(LONG_ITEM.encode()),
                "environ_overrides": {"wsgi.input_terminated": True},
            }
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
    # {"title": "trunc"} and 1.2 MB of spaces: cut at 1 MiB, this is valid JSON for a new item.
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
