"""Step 08's TRUSTED_PROXIES: behind N proxies, their X-Forwarded-* headers count; else never."""

import pytest

from harness.answers import said
from harness.apps import PASSWORD, USERNAME, accounts_and_logins, database
from harness.sections import PROXIES

pytestmark = [pytest.mark.steps(8, 8), pytest.mark.hardening]

# What a TLS proxy in front of the app at https://shop.example sends on with a browser's form
# post, and the Origin the browser itself sent.
BEHIND_TLS_PROXY = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "shop.example",
    "Origin": "https://shop.example",
}
NEWCOMER = {"username": "newcomer", "password": PASSWORD}


def from_client(address):
    """The headers a proxy adds for a client at this address."""
    return {"X-Forwarded-For": address}


@pytest.mark.pitfall("pitfall_proxy_headers_always_trusted", case="no-proxy")
@pytest.mark.parametrize("proxies", [1, 0], ids=["trusted-proxy", "no-proxy"])
def test_a_form_through_a_tls_proxy_works_only_with_the_proxy_trusted(make_app, proxies):
    # The site's name is one the app answers to (TRUSTED_HOSTS, which step 07 sets): a proxy
    # in front forwards it, and a deployment lists it.
    app = make_app(TRUSTED_PROXIES=proxies, TRUSTED_HOSTS=["localhost", "shop.example"])
    client, db = app.test_client(), database(app)
    before = accounts_and_logins(db)
    response = client.post("/register", data=NEWCOMER, headers=BEHIND_TLS_PROXY)
    stored = db.users.find_one({"username": "newcomer"})
    if proxies:
        assert response.status_code == 302, (
            f"with TRUSTED_PROXIES=1 the app is at https://shop.example, as the proxy says: the"
            f" browser's Origin is its own and the account is made; it answered {said(response)}"
            f" ({PROXIES})"
        )
        assert stored is not None, f"the account made through the proxy is stored ({PROXIES})"
    else:
        assert response.status_code == 403, (
            f"without TRUSTED_PROXIES, X-Forwarded-* headers are ignored: anyone can send them."
            f" The Origin https://shop.example is then another site's: 403; it answered"
            f" {said(response)} ({PROXIES})"
        )
        assert accounts_and_logins(db) == before, f"a refused form stores nothing ({PROXIES})"


@pytest.mark.parametrize("proxies", [1, 0], ids=["trusted-proxy", "no-proxy"])
def test_the_throttle_tells_clients_behind_the_proxy_apart(make_app, auth_actions, proxies):
    app = make_app(TRUSTED_PROXIES=proxies, LOGIN_MAX_FAILURES=2)
    db = database(app)
    auth = auth_actions(app)
    auth.register()
    auth.logout()
    # A stranger at one address fails the learner's password up to the limit.
    auth.fail_logins(2, headers=from_client("198.51.100.1"))
    before = accounts_and_logins(db)
    response = auth.login(USERNAME, PASSWORD, headers=from_client("203.0.113.7"))
    if proxies:
        assert response.status_code == 302, (
            f"with TRUSTED_PROXIES=1 the learner, at another address than the stranger, logs in:"
            f" the throttle counts by the client's address, request.remote_addr; it answered"
            f" {said(response)} ({PROXIES})"
        )
        assert len(accounts_and_logins(db)["logins"]) == len(before["logins"]) + 1, (
            f"the learner's login is stored ({PROXIES})"
        )
    else:
        assert response.status_code == 429, (
            f"without TRUSTED_PROXIES, X-Forwarded-For is ignored: every request comes from the"
            f" same address, which the stranger locked; it answered {said(response)} ({PROXIES})"
        )
        assert accounts_and_logins(db) == before, f"a throttled login stores nothing ({PROXIES})"


def test_a_forwarded_address_with_a_port_is_one_client(make_app, auth_actions):
    # Some load balancers forward the client's port too, a new one at each connection.
    app = make_app(TRUSTED_PROXIES=1, LOGIN_MAX_FAILURES=2)
    auth = auth_actions(app)
    auth.register()
    auth.logout()
    auth.fail_logins(2, headers=from_client("203.0.113.50:5555"))
    response = auth.login(USERNAME, PASSWORD, headers=from_client("203.0.113.50:6666"))
    assert response.status_code == 429, (
        f"X-Forwarded-For 203.0.113.50:5555, then 203.0.113.50:6666, is one client: after its"
        f" failures, its next login is a 429, whatever the port. Step 06's client key drops it;"
        f" it answered {said(response)} ({PROXIES})"
    )
