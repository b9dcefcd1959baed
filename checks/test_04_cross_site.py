"""Step 04's cross_site.py: what a browser marks as another site's may read, never change."""

import pytest

from support import (
    PASSWORD,
    USERNAME,
    accounts_and_logins,
    assert_json_error,
    site_header_cases,
)

pytestmark = pytest.mark.steps(4, 5)

CROSS_SITE = "WORKSHOP.md, Step 04 · Passwords with bcrypt 5"

# Every form that changes something, with valid fields, and whether it needs a login first.
FORMS = [
    ("/register", {"username": "newcomer", "password": PASSWORD}, False),
    ("/login", {"username": USERNAME, "password": PASSWORD}, False),
    ("/logout", {}, True),
]


@pytest.mark.parametrize(("headers", "own_site"), site_header_cases())
def test_forms_work_from_the_own_site_only(client, auth, db, user, headers, own_site):
    for path, data, needs_a_login in FORMS:
        if needs_a_login:
            auth.login()
        accounts_before, username_before = accounts_and_logins(db), auth.logged_in_as()
        response = client.post(path, data=data, headers=headers)
        changes = {
            "database": accounts_and_logins(db) != accounts_before,
            "logged-in user": auth.logged_in_as() != username_before,
        }
        if own_site:
            assert response.status_code == 302, f"{path} from the step's own site works"
            assert changes == {"database": True, "logged-in user": True}, path
        else:
            assert response.status_code == 403, (
                f"{path} from another site is refused ({CROSS_SITE})"
            )
            assert response.mimetype == "text/html", f"{path}: a form gets its refusal as a page"
            assert changes == {"database": False, "logged-in user": False}, f"{path}: no change"


@pytest.mark.parametrize(("headers", "own_site"), site_header_cases(own_site=False))
def test_cross_site_api_writes_are_refused_as_json(client, db, logged_in_user, headers, own_site):
    items_before = list(db.items.find())
    for method in ["POST", "PUT", "PATCH", "DELETE"]:
        response = client.open("/api/items/", method=method, json={"title": "t"}, headers=headers)
        # Refused before routing: in step 04 even the methods /api/items/ does not take.
        assert_json_error(response, 403, f"{method} /api/items/ from another site")
    assert list(db.items.find()) == items_before, "another site's API writes change nothing"


def test_cross_site_links_still_open_pages(client):
    # Only writes are refused: following a link from another site must work.
    response = client.get("/login", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200, "a link from another site opens the page"
