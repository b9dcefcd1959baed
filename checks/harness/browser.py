"""The browser checks' machinery: find Chromium, hand out the page, watch its console and its API
requests, and say in words what Playwright raises.

Playwright for Python drives the system's Chromium (no `playwright install`): one browser for
the whole run, a fresh context and page per check, each step served by a real threaded server.
What a check does on the page (log in, add an item, expect the list) is in test_browser.py.
"""

import os
import re
import types
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from harness.answers import fail
from harness.browser_paths import APPLICATIONS, CHROMIUM_NAMES, HOW_TO_INSTALL, locate_chromium
from harness.sections import ACCOUNTS, TEMPLATES

try:
    from playwright.sync_api import Error as PageError
    from playwright.sync_api import TimeoutError as PageTimeout
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    # Without Playwright the `browser` fixture skips (or fails under CI), saying how to install it.
    PageError = PageTimeout = expect = sync_playwright = None

# Flags that work as root, in containers and without network access to Google's services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Fixed page size, language and time zone, so screenshots look the same on every machine.
CONTEXT_OPTIONS = {
    "viewport": {"width": 1000, "height": 700},
    "locale": "en-US",
    "timezone_id": "UTC",
}
# What Chromium logs for every request answered 4xx or 5xx, e.g. "… status of 422 (UNPROCESSABLE
# ENTITY)": expected on the error screens, and only there.
FAILED_LOAD = "Failed to load resource: the server responded with a status of {status} ("
# How long Playwright waits for a page or an element, in ms: ten times a busy machine's page
# load, yet short enough that a learner whose page is broken does not wait long for each check.
TIMEOUT_MS = 15_000


def browser_unavailable(message, required=False):
    """Skip the browser checks saying how to get what is missing; fail under CI or if required."""
    if os.environ.get("CI", "").lower() == "true":
        fail(f"CI=true and no browser to run the browser checks: {message}")
    if required:
        # Skipped checks take no pictures: the old ones would stay, as if they were new.
        fail(f"--screenshots and no browser to take them: {message}")
    pytest.skip(message)


def find_chromium(required=False):
    """Return the path of Chromium: $CHROMIUM if set, else the first one on PATH or in macOS's
    /Applications."""
    # This module's names, looked up now: a check may put its own in their place.
    path, missing = locate_chromium(CHROMIUM_NAMES, APPLICATIONS)
    if path is None:
        return browser_unavailable(f"{missing} {HOW_TO_INSTALL}", required)
    return path


@contextmanager
def chromium(required=False):
    """Start the system's Chromium through Playwright, and close both afterwards."""
    if sync_playwright is None:
        browser_unavailable(
            "The browser checks need Playwright for Python: pip install -r requirements-dev.txt.",
            required,
        )
    executable = find_chromium(required)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, timeout=2 * TIMEOUT_MS
        )
        try:
            yield browser
        finally:
            browser.close()


class AppOfTheCheck:
    """A WSGI app that passes each request to the app of the check that runs now."""

    def __init__(self):
        self.app = None

    def __call__(self, environ, start_response):
        """Answer with the check's app; between two checks, a late request gets a 503."""
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"No check runs now."]
        return self.app(environ, start_response)


class RunsPage:
    """The run's one page, handed to each check as a new one would be: a new page costs a
    renderer process, a third of a second of CPU."""

    def __init__(self, context, url):
        self.context, self.url = context, url
        self.page = None

    def fresh(self):
        """The page, with no cookie, nothing stored and nothing loaded."""
        if self.page is None or self.page.is_closed():
            self.page = self.context.new_page()
        self.context.clear_cookies()
        # What an earlier check stored (the panel's fold, say) is gone; the HTTP cache stays:
        # the front end's files are the same for every check.
        session = self.context.new_cdp_session(self.page)
        session.send(
            "Storage.clearDataForOrigin",
            {"origin": self.url, "storageTypes": "local_storage,session_storage,indexeddb"},
        )
        session.detach()
        return self.page

    def put_back(self):
        """After a check: close the pages it opened, drop its routes, leave its site."""
        for page in self.context.pages:
            if page is not self.page:
                page.close()
        if not self.page.is_closed():
            self.page.unroute_all(behavior="ignoreErrors")
            self.page.goto("about:blank")


class ConsoleWatch:
    """Collect a page's console errors and uncaught exceptions; allow only the failed requests
    a check expects. section: where the check's page is taught, which its problems name."""

    def __init__(self, section):
        self.errors = []
        self.allowed_statuses = []
        self.section = section

    def watch(self, page):
        """Start listening to a page."""
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def stop(self, page):
        """Stop listening to a page (the run's page goes on to the next check)."""
        page.remove_listener("console", self._on_console)
        page.remove_listener("pageerror", self._on_page_error)

    def _on_page_error(self, error):
        """Keep an uncaught exception."""
        self.errors.append(f"Uncaught {error}")

    def _on_console(self, message):
        """Keep the console's errors."""
        if message.type == "error":
            # Chromium's line for a failed request does not say which one: its location does.
            url = message.location.get("url")
            self.errors.append(f"{message.text} ({url})" if url else message.text)

    def allow_failed_request(self, status):
        """Allow Chromium's line for one request answered with this status."""
        # Allowed, not required: the check asserts the answer's status itself, where it gets it.
        self.allowed_statuses.append(status)

    def unexpected(self):
        """The errors logged, but for one line per allowed failed request."""
        unexpected = list(self.errors)
        for status in self.allowed_statuses:
            prefix = FAILED_LOAD.format(status=status)
            logged = next((error for error in unexpected if error.startswith(prefix)), None)
            if logged is not None:
                unexpected.remove(logged)
        return unexpected

    def problems(self):
        """Return what went wrong, in words, each with where to read."""
        unexpected = self.unexpected()
        problems = [f"{console_error_in_words(error)} ({self.section})" for error in unexpected]
        if any("/favicon.ico" in error for error in unexpected):
            problems.append(
                "a page that links no icon makes the browser ask for /favicon.ico, which the step"
                ' does not serve: link one, <link rel="icon" href="data:,"> in the page\'s <head>'
                f" ({ACCOUNTS})"
            )
        return problems


def console_error_in_words(error):
    """What a console error means for the page: a request that failed, or its code that threw."""
    if error.startswith(FAILED_LOAD.split("{")[0]):
        return f"a request of the page failed, which a working page's requests do not: {error}"
    if error.startswith("Uncaught "):
        return f"the page's code threw an error, so the page stopped short: {error}"
    return f"the page logged an error, which a working page does not: {error}"


class RequestLog:
    """The API requests a page sends, as Backbone really sent them."""

    def __init__(self, page):
        self.requests = []
        self.page = page
        page.on("request", self._on_request)

    def stop(self):
        """Stop listening (the run's page goes on to the next check)."""
        self.page.remove_listener("request", self._on_request)

    def _on_request(self, request):
        """Keep the requests to /api/."""
        if urlsplit(request.url).path.startswith("/api/"):
            self.requests.append(request)

    @property
    def calls(self):
        """Each request as (method, path)."""
        return [(request.method, urlsplit(request.url).path) for request in self.requests]

    def body(self, method):
        """The JSON body of the only request sent with this method."""
        (request,) = (request for request in self.requests if request.method == method)
        return request.post_data_json


# --- A failure the browser reports, in words ---------------------------------------------------


def section_of_check(function, default=TEMPLATES):
    """The first section of WORKSHOP.md a check's own messages name: where its page is taught."""
    # Each message of a check ends with a name from sections.py (or a name for one): the first
    # its code uses, inner functions included, is the one the check is about.
    for name in names_used(function.__code__):
        value = function.__globals__.get(name)
        if isinstance(value, str) and value.startswith("WORKSHOP.md, Step "):
            return value
    return default


def names_used(code):
    """The global names a function's code uses, in order, those of its inner functions too."""
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from names_used(constant)


def browser_error_in_words(error, section, logged=()):
    """A Playwright error (a wait that timed out, a script that threw) as a failure message: what
    the page did not do, what it logged, and where to read."""
    lines = [line.strip() for line in str(error).strip().splitlines()]
    call, _, said = lines[0].partition(": ")
    waited = [line.removeprefix("- waiting for ") for line in lines if "waiting for " in line]
    timeout = re.search(r"Timeout (\d+)ms", lines[0])
    waited_for = f"{int(timeout[1]) / 1000:g} s" if timeout else "its time"
    if isinstance(error, PageTimeout) and "waiting for event" in lines[0]:
        problem = (
            "the page should send the request the check waits for, and get its answer; it had"
            f" not in {waited_for}"
        )
    elif isinstance(error, PageTimeout) and waited:
        action = call.rpartition(".")[2]
        purpose = "" if action == "wait_for" else f" for the check to {action}"
        problem = f"the page should show {waited[0]}{purpose}; it had not in {waited_for}"
    elif isinstance(error, PageTimeout):
        problem = f"the page should reach what the check waits for; it had not in {waited_for}"
    elif call.endswith(".evaluate") and said:
        problem = (
            f"a script the check runs in the page threw, the page not being as it should: {said}"
        )
    else:
        problem = f"the browser stopped the check: {lines[0]}"
    if logged:
        problem += f"; the page logged: {' | '.join(logged[:2])}"
    return f"{problem} ({section})"
