"""Step 07's headers.py: nosniff on every answer, a policy on pages, nothing about a user cached."""

import re

import pytest

from harness.answers import expect_status
from harness.apps import accounts_and_logins
from harness.sections import HEADERS

pytestmark = [pytest.mark.steps(7, 8), pytest.mark.hardening]

# Answers of every kind: pages, a static file, the API, an error, logged in or not.
PATHS = ["/", "/login", "/register", "/app.js", "/api/items/", "/api/me", "/no-such-file"]
PAGES = ["/", "/login", "/register"]
API_PATHS = ["/api/items/", "/api/me"]
# What script-src may allow: the site's own files, nothing else (no inline script, no eval).
SCRIPT_SOURCES = {"'self'"}


def policy(response, path):
    """The directives of a page's Content-Security-Policy: {name: [values]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, (
        f"GET {path}, a page, should carry a Content-Security-Policy header; it has none"
        f" ({HEADERS})"
    )
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {words[0].lower(): words[1:] for words in directives}


@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "logged-in"])
def test_every_answer_says_nosniff(client, db, auth, user, logged_in):
    if logged_in:
        auth.login()
    before = accounts_and_logins(db)
    for path in PATHS:
        # A file response is streamed: close it, or the file stays open.
        with client.get(path) as response:
            assert response.headers.get("X-Content-Type-Options") == "nosniff", (
                f"GET {path} (status {response.status_code}) should say X-Content-Type-Options:"
                f" nosniff, so that a browser never runs an answer as another type ({HEADERS})"
            )
    assert accounts_and_logins(db) == before, f"reading pages changes nothing ({HEADERS})"


def test_pages_allow_scripts_from_the_site_only_and_no_framing(client, auth, user):
    auth.login()
    for path in PAGES:
        response = expect_status(client.get(path), 200, f"GET {path}", HEADERS)
        directives = policy(response, path)
        scripts = directives.get("script-src", directives.get("default-src")) or []
        assert "'self'" in scripts, f"GET {path}: scripts may come from the site ({HEADERS})"
        assert set(scripts) <= SCRIPT_SOURCES, (
            f"GET {path}: the policy lets scripts come from the site's own files only, script-src"
            f" (or default-src) 'self', with no 'unsafe-inline', no 'unsafe-eval' and no other"
            f" site; it says {scripts} ({HEADERS})"
        )
        assert directives.get("frame-ancestors") == ["'none'"], (
            f"GET {path}: the policy says frame-ancestors 'none', so no other page can frame"
            f" this one and trick a click on its buttons ({HEADERS})"
        )


def test_the_page_runs_no_inline_script(client, auth, user):
    # The policy above forbids inline scripts: Brunch's app.js must start the app by itself.
    auth.login()
    page = expect_status(client.get("/"), 200, "GET /", HEADERS).get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.DOTALL)
    inline = [body.strip() for attributes, body in scripts if "src=" not in attributes]
    assert scripts, f"GET / is the Backbone page, with its scripts ({HEADERS})"
    assert inline == [], (
        f"index.html loads its scripts by src= only, no inline <script>; it has {inline}."
        f" Brunch's modules.autoRequire makes app.js run require('initialize') itself ({HEADERS})"
    )


def test_api_answers_are_never_cached(client, db, auth, user):
    for logged_in in [False, True]:
        if logged_in:
            auth.login()
        before = accounts_and_logins(db)
        for path in API_PATHS:
            response = client.get(path)
            assert response.headers.get("Cache-Control") == "no-store", (
                f"GET {path} (status {response.status_code}) should say Cache-Control: no-store:"
                f" a user's data stays out of shared and disk caches ({HEADERS})"
            )
        assert accounts_and_logins(db) == before, f"reading the API changes nothing ({HEADERS})"


def test_the_page_that_shows_the_user_is_not_cached(client, logged_in_user):
    response = client.get("/")
    expect_status(response, 200, "GET / logged in", HEADERS)
    assert response.headers.get("Cache-Control") == "no-store", (
        "the page at / holds the user's name: Cache-Control: no-store keeps it out of shared"
        " caches and of the browser's disk, as for the API's answers; it sent"
        f" {response.headers.get('Cache-Control')!r} ({HEADERS})"
    )
