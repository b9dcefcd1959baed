"""Step 07's TRUSTED_HOSTS: a request for a host name the app does not own is a 400, everywhere."""

import json

import pytest

from harness.answers import said
from harness.apps import PASSWORD, USERNAME, accounts_and_logins, database, setting
from harness.sections import OWN_HOSTS

pytestmark = [pytest.mark.steps(7, 8), pytest.mark.hardening]

# A page at http://rebind.evil.example:5101, whose name the attacker then points at 127.0.0.1:
# the browser sends the attacker's name as Host, and its Origin matches it.
REBINDING = {"Host": "rebind.evil.example:5101", "Origin": "http://rebind.evil.example:5101"}
# What the red team did with it on a learner's server, and a page and a file besides.
INTRUDER = {"username": "intruder", "password": PASSWORD}
REBINDING_REQUESTS = [
    pytest.param("POST", "/register", {"data": INTRUDER}, id="register"),
    pytest.param("POST", "/login", {"data": INTRUDER}, id="login"),
    pytest.param("GET", "/api/items/", {}, id="list-items"),
    pytest.param("POST", "/api/items/", {"json": {"title": "planted"}}, id="create-item"),
    pytest.param("GET", "/login", {}, id="login-page"),
    pytest.param("GET", "/app.js", {}, id="static-file"),
]
# Host headers a browser sends for the loopback names, with a port or without.
OWN_HOST_HEADERS = ["127.0.0.1:5101", "127.0.0.1", "localhost:8000", "localhost"]


def test_trusted_hosts_are_the_loopback_names_by_default(app):
    hosts = setting(app, "TRUSTED_HOSTS", OWN_HOSTS)
    assert sorted(hosts or []) == ["127.0.0.1", "localhost"], (
        "TRUSTED_HOSTS, Flask's own setting, is 127.0.0.1 and localhost unless the environment"
        f" says otherwise (a port is not part of it); found {hosts} ({OWN_HOSTS})"
    )


@pytest.mark.parametrize("host", OWN_HOST_HEADERS)
def test_the_loopback_names_are_served_on_any_port(client, host):
    response = client.get("/login", headers={"Host": host})
    assert response.status_code == 200, (
        f"GET /login with Host: {host} is the app's own: 200, not {said(response)} ({OWN_HOSTS})"
    )


@pytest.mark.parametrize(("method", "path", "body"), REBINDING_REQUESTS)
def test_a_rebinding_page_gets_400_and_changes_nothing(app, client, auth, method, path, body):
    auth.register()
    db = database(app)
    before = {**accounts_and_logins(db), "items": list(db.items.find())}
    # The learner's own browser, logged in: the rebinding page runs in it, with its cookie.
    # A file response is streamed: closed after, where a step still serves it.
    with client.open(path, method=method, headers=REBINDING, **body) as response:
        assert response.status_code == 400, (
            f"{method} {path} with Host: {REBINDING['Host']} (a page whose name now points at"
            f" this server) is a 400: that name is not one of TRUSTED_HOSTS. It answered"
            f" {said(response)} ({OWN_HOSTS})"
        )
        if path.startswith("/api/"):
            assert json.loads(response.get_data()).get("error"), (
                f"under /api/ the 400 is JSON, as every API error ({OWN_HOSTS})"
            )
    after = {**accounts_and_logins(db), "items": list(db.items.find())}
    assert after == before, f"no account, login or item was made ({OWN_HOSTS})"


def test_an_origin_is_compared_with_a_trusted_host_only(make_app):
    # With no list (None: Flask's default), the Host header is whatever the client wrote: an
    # Origin that matches it proves nothing, so a browser's write is refused.
    app = make_app(TRUSTED_HOSTS=None)
    response = app.test_client().post(
        "/register", data={"username": USERNAME, "password": PASSWORD}, headers=REBINDING
    )
    assert response.status_code == 403, (
        "without TRUSTED_HOSTS, a browser's POST whose Origin matches its own Host header is"
        f" still refused (403): that host may be anyone's name; it answered {said(response)}"
        f" ({OWN_HOSTS})"
    )
    assert database(app).users.count_documents({}) == 0, f"nobody is registered ({OWN_HOSTS})"
