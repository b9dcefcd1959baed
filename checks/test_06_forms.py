"""Step 06's login and register forms: a plain form with one username and one password."""

import pytest

from harness.answers import expect_status
from harness.apps import PASSWORD, USERNAME, WRONG_PASSWORD, accounts_and_logins
from harness.sections import STRICT_FORMS

pytestmark = [pytest.mark.steps(6, 8), pytest.mark.hardening]

FORM = "application/x-www-form-urlencoded"
UNKNOWN_USERNAME = "ghost"


WRONG_CREDENTIALS = "Wrong username or password."


FILL_IN = "Fill in the form."


# Bodies that are not a plain form with one username and one password: JSON, operators in
# field names, repeated or missing fields.
NOT_A_PLAIN_FORM = [
    pytest.param(
        {"json": {"username": {"$ne": None}, "password": {"$ne": None}}}, id="json-operators"
    ),
    pytest.param({"json": {"username": USERNAME, "password": PASSWORD}}, id="json"),
    pytest.param(
        {"data": {"username": [USERNAME, UNKNOWN_USERNAME], "password": PASSWORD}},
        id="repeated-username",
    ),
    pytest.param(
        {"data": {"username": USERNAME, "password": [PASSWORD, WRONG_PASSWORD]}},
        id="repeated-password",
    ),
    pytest.param(
        {"data": {"username[$ne]": "x", "password[$ne]": "x"}}, id="operator-in-field-name"
    ),
    pytest.param({"data": {"username": USERNAME}}, id="no-password"),
    pytest.param({"data": {"password": PASSWORD}}, id="no-username"),
    pytest.param({}, id="empty-body"),
]


@pytest.mark.parametrize("body", NOT_A_PLAIN_FORM)
def test_login_refuses_anything_but_the_plain_form(client, auth, db, user, body):
    response = client.post("/login", **body)
    expect_status(response, 400, f"POST /login with {body or 'no body'}", STRICT_FORMS)
    assert WRONG_CREDENTIALS in response.get_data(as_text=True), (
        f"the same one message, {WRONG_CREDENTIALS!r}, for a form that is not plain"
        f" ({STRICT_FORMS})"
    )
    assert accounts_and_logins(db)["logins"] == [], f"it stores no login ({STRICT_FORMS})"
    assert auth.logged_in_as() is None, f"it logs nobody in ({STRICT_FORMS})"


@pytest.mark.parametrize("body", NOT_A_PLAIN_FORM)
def test_register_refuses_anything_but_the_plain_form(client, auth, db, body):
    before = accounts_and_logins(db)
    response = client.post("/register", **body)
    expect_status(response, 400, f"POST /register with {body or 'no body'}", STRICT_FORMS)
    assert FILL_IN in response.get_data(as_text=True), (
        f"the register form says {FILL_IN!r} for a form that is not plain ({STRICT_FORMS})"
    )
    assert accounts_and_logins(db) == before, f"it stores nothing ({STRICT_FORMS})"
    assert auth.logged_in_as() is None, f"it logs nobody in ({STRICT_FORMS})"


# A megabyte of repeated keys: about a second of CPU to parse, were it parsed.
LONG_FORM = "&".join(["username=x"] * 100_000 + [f"password={PASSWORD}"])


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_a_form_over_4_kib_is_refused_unread(client, auth, db, user, path):
    before = accounts_and_logins(db)
    response = client.post(path, data=LONG_FORM, content_type=FORM)
    expect_status(response, 413, f"POST {path} of a 1 MiB form of repeated keys", STRICT_FORMS)
    assert "over 4 KiB" in response.get_data(as_text=True), (
        f"the 413 page says that a login or sign-up form of over 4 KiB is refused, before it is"
        f" parsed: set request.max_content_length for these two forms ({STRICT_FORMS})"
    )
    assert accounts_and_logins(db) == before, f"it stores nothing ({STRICT_FORMS})"
    assert auth.logged_in_as() is None, f"it logs nobody in ({STRICT_FORMS})"
