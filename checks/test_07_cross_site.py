"""Step 07's cross_site.py: what a browser marks as another site's may read, never change."""

import pytest

from harness.answers import assert_json_error, expect_status, said
from harness.apps import PASSWORD, USERNAME, accounts_and_logins, create_item
from harness.items import OVERRIDES, REQUESTS, WRITES, items_in, send, stored
from harness.sections import CROSS_SITE, OVERRIDE

# Where a browser says a form post or a fetch comes from, and whether that is the step's own
# site (http://localhost in the test client): its Sec-Fetch-Site header ("none": the user typed
# the address), and its Origin header.
FETCH_SITES = {"same-origin": True, "none": True, "cross-site": False, "same-site": False}
ORIGINS = {
    "ours": ("http://localhost", True),
    "other-site": ("https://evil.example", False),
    "null": ("null", False),
    "our-name-as-a-prefix": ("http://localhost.evil.example", False),
    "other-port": ("http://localhost:8080", False),
    "other-scheme": ("https://localhost", False),
}
# Each header alone, and both together: only the own site may change anything.
SITE_HEADERS = {
    **{f"fetch-{site}": ({"Sec-Fetch-Site": site}, own) for site, own in FETCH_SITES.items()},
    **{f"origin-{name}": ({"Origin": origin}, own) for name, (origin, own) in ORIGINS.items()},
    "fetch-and-origin-ours": (
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
        True,
    ),
    "fetch-same-origin-but-origin-other-site": (
        {"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"},
        False,
    ),
}


def site_header_cases(own_site=None):
    """SITE_HEADERS as parametrize cases (headers, own_site); own_site=False keeps other sites'."""
    return [
        pytest.param(headers, own, id=name)
        for name, (headers, own) in SITE_HEADERS.items()
        if own_site in (None, own)
    ]


pytestmark = [pytest.mark.steps(7, 8), pytest.mark.hardening]

# Every form that changes something, with valid fields, whether it needs a login first, and
# whether it adds an account.
FORMS = [
    ("/register", {"username": "newcomer", "password": PASSWORD}, False, True),
    ("/login", {"username": USERNAME, "password": PASSWORD}, False, False),
    ("/logout", {}, True, False),
]


@pytest.mark.pitfall("pitfall_origin_prefix", case="origin-our-name-as-a-prefix")
@pytest.mark.parametrize(("headers", "own_site"), site_header_cases())
def test_forms_work_from_the_own_site_only(client, auth, db, user, headers, own_site):
    for path, data, needs_a_login, adds_an_account in FORMS:
        if needs_a_login:
            auth.login()
        accounts_before, username_before = accounts_and_logins(db), auth.logged_in_as()
        response = client.post(path, data=data, headers=headers)
        changes = {
            "database": accounts_and_logins(db) != accounts_before,
            "logged-in user": auth.logged_in_as() != username_before,
        }
        if own_site:
            expect_status(response, 302, f"POST {path} from the step's own site", CROSS_SITE)
            assert changes["logged-in user"], (
                f"POST {path} from the step's own site logs in or out ({CROSS_SITE})"
            )
            assert changes["database"] or not adds_an_account, (
                f"POST {path} from the step's own site stores the account ({CROSS_SITE})"
            )
        else:
            assert response.status_code == 403, (
                f"POST {path} from another site ({headers}) should be refused with 403; it"
                f" answered {said(response, CROSS_SITE)} ({CROSS_SITE})"
            )
            assert response.mimetype == "text/html", (
                f"POST {path}: a form gets its refusal as a page ({CROSS_SITE})"
            )
            assert changes == {"database": False, "logged-in user": False}, (
                f"POST {path} from another site changes nothing: {changes} ({CROSS_SITE})"
            )


@pytest.mark.parametrize(("headers", "own_site"), site_header_cases(own_site=False))
def test_cross_site_api_writes_are_refused_as_json(client, db, logged_in_user, headers, own_site):
    items_before = list(db.items.find())
    for method in ["POST", "PUT", "PATCH", "DELETE"]:
        response = client.open("/api/items/", method=method, json={"title": "t"}, headers=headers)
        # Refused before routing: even the methods /api/items/ does not take (PUT, PATCH, DELETE).
        assert_json_error(response, 403, f"{method} /api/items/ from another site", CROSS_SITE)
    assert list(db.items.find()) == items_before, (
        f"another site's API writes change nothing ({CROSS_SITE})"
    )


def test_cross_site_links_still_open_pages(client):
    # Only writes are refused: following a link from another site must work.
    response = client.get("/login", headers={"Sec-Fetch-Site": "cross-site"})
    expect_status(response, 200, "GET /login, a link from another site", CROSS_SITE)


@pytest.mark.parametrize(("headers", "own_site"), site_header_cases())
def test_writes_work_from_the_own_site_only(client, db, item, headers, own_site):
    for name in WRITES:
        if not own_site:
            before = items_in(db)
            response = send(client, name, item["_id"], **headers)
            assert_json_error(response, 403, f"{name}, cross-site", CROSS_SITE)
            assert items_in(db) == before, (
                f"{name} from another site changes nothing ({CROSS_SITE})"
            )
            continue
        target = create_item(client, CROSS_SITE, title="target")
        count = len(items_in(db))
        response = send(client, name, target["_id"], **headers)
        status = REQUESTS[name][2]
        # An override that fails from the own site fails as the override, not as a cross-site one.
        section = OVERRIDE if name in OVERRIDES else CROSS_SITE
        expect_status(response, status, f"{name} from the step's own site", section)
        assert len(items_in(db)) == count + {201: 1, 200: 0, 204: -1}[status], (
            f"{name} from the step's own site does its work ({section})"
        )
        if status == 200:
            assert stored(db, target["_id"])["title"] == "new", (
                f"{name} from the step's own site changes the item ({section})"
            )
