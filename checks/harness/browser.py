"""Helpers of the browser checks: find Chromium, watch the console and the API, fill forms.

Playwright for Python drives the system's Chromium (no `playwright install`): one browser for
the whole run, a fresh context and page per check, each step served by a real threaded server.
"""

import json
import os
import re
import types
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest

from harness.answers import fail, shortened
from harness.apps import PASSWORD, USERNAME
from harness.browser_paths import APPLICATIONS, CHROMIUM_NAMES, HOW_TO_INSTALL, locate_chromium
from harness.sections import (
    ACCOUNTS,
    DECORATORS,
    METHODVIEW,
    STEP02_MODULES,
    STEP05_MODULES,
    TEMPLATES,
    THE_LIST,
    VALIDATION,
)

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
# How long to wait for what must be on the page already (ms): what the page draws before it
# fetches the list (its form, the panel's switches) once the list has come, and what a page
# the server renders holds once it has loaded. It is there by then or never will be.
ALREADY_DRAWN_MS = 1_000
# A picture ends this far below the page's lowest element, in CSS pixels (the app's 2rem).
PICTURE_MARGIN_PX = 32
# How tall a picture of the page is, or null while an item is still fading in: Chaplin fades
# new items in unless animationDuration is 0, and a picture must not catch one half-drawn.
PICTURE_HEIGHT = """(margin) => {
  const items = Array.from(document.querySelectorAll('li.item'));
  if (items.some((item) => getComputedStyle(item).opacity !== '1')) return null;
  const boxes = Array.from(document.body.children, (child) => child.getBoundingClientRect());
  return Math.ceil(Math.max(...boxes.map((box) => box.bottom)) + window.scrollY + margin);
}"""


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


# Where each status the page's API requests may get is taught: done, refused, logged out.
STATUS_SECTIONS = {
    200: METHODVIEW,
    201: METHODVIEW,
    204: METHODVIEW,
    400: VALIDATION,
    401: DECORATORS,
    422: VALIDATION,
}


@contextmanager
def api_answer(page, method, status=None):
    """Wait (in a `with` block) for the answer to the page's next API request with this method;
    given a status, fail at once if the answer has another."""
    with page.expect_response(
        lambda response: (
            response.request.method == method and urlsplit(response.url).path.startswith("/api/")
        )
    ) as answer:
        yield answer
    if status is not None and answer.value.status != status:
        # Said now: what the check waits for next follows from the right answer only.
        sent = answer.value.request
        what = f"{method} {urlsplit(sent.url).path} {shortened(sent.post_data or '')}".strip()
        fail(
            f"the page sent {what}, which should answer {status}; it answered"
            f" {answer.value.status} {shortened(body_text(answer.value), 200)}"
            f" ({STATUS_SECTIONS[status]})"
        )


def fill_account_form(page, username, password):
    """Fill in the login or register form of the current page; return the form."""
    form = page.locator("form").first
    for name, value in [("username", username), ("password", password)]:
        field = form.locator(f"input[name={name}]")
        # The server renders the form: once the page has loaded, it is there or never will be.
        expect(
            field, f"the page's form has a {name} field, <input name={name}> ({ACCOUNTS})"
        ).to_be_visible(timeout=ALREADY_DRAWN_MS)
        field.fill(value)
    return form


def send_account_form(form):
    """Send a filled-in login or register form; wait until the list it leads to is loaded."""
    page = form.page

    def submit():
        """Click the form's button; return the answer the browser lands on."""
        # Its status is known once the navigation commits: the list's answer comes after it.
        with page.expect_navigation(wait_until="commit") as navigation:
            form.locator("button[type=submit]").click()
        return navigation.value

    # Both land on the items page, which fetches the list at once.
    open_list(page, submit)


def submit_account_form(page, username, password):
    """Fill in and send the login or register form of the current page."""
    send_account_form(fill_account_form(page, username, password))


def register_with_form(page):
    """Create an account with the /register form (which logs it in) and wait for its list."""
    page.goto("/register")
    submit_account_form(page, USERNAME, PASSWORD)


def register(page):
    """Create an account (which logs it in) and open the list: the form's post without its page."""
    # The form's own page is checked once (test_logging_out_ends_the_session); loading it in
    # every check would cost a page load each. The context keeps the login's cookie.
    form = {"username": USERNAME, "password": PASSWORD}
    answer = page.request.post("/register", form=form, max_redirects=0)
    assert answer.status == 302, (
        f"POST /register with a new account should log it in and redirect (302); it answered"
        f" {answer.status} ({DECORATORS})"
    )
    open_list(page)


def open_list(page, navigate=None):
    """Go to / (or navigate, which returns the answer the browser lands on) and wait for the list
    the page fetches; fail at once if the page, or the list it draws from, is not right."""
    with api_answer(page, "GET") as answer:
        landed = navigate() if navigate else page.goto("/")
        # Said now: a page that is not the items page never fetches the list, which the block's
        # end would wait for until TIMEOUT_MS.
        expect_items_page(page, landed)
        expect_list_feature(page)
    expect_list_answer(answer.value)
    return answer.value


def expect_list_feature(page):
    """Fail at once unless the page was told to show the list: else it never fetches it."""
    # Through a locator, which waits for <body>: right after a navigation there may be none yet.
    features = page.locator("body").get_attribute("data-features", timeout=ALREADY_DRAWN_MS)
    if features is None or "items" not in features.split():
        fail(
            "the page fetches and shows the list when its <body data-features> has items, from"
            f' STEP_FEATURES = ["items", ...] in app.py; it has {features!r} ({STEP02_MODULES})'
        )


def expect_items_page(page, landed):
    """Fail at once unless the browser landed on the items page, answered 200."""
    path = urlsplit(page.url).path
    if path in ("/login", "/register"):
        fail(
            f"the browser should be on the items page, logged in; it is on {path}, answered"
            f" {landed.status if landed else 'nothing'}: the login did not take, or did not hold"
            f" ({ACCOUNTS})"
        )
    if landed is not None and landed.status != 200:
        fail(
            f"GET {path} should answer the items page, 200; it answered {landed.status}"
            f" {shortened(body_text(landed), 200)} ({TEMPLATES})"
        )


def expect_list_answer(answer):
    """Fail at once unless GET /api/items/ answered what the page draws its list from."""
    status, text = answer.status, body_text(answer)
    body = json_or_none(text)
    items = body.get("items") if isinstance(body, dict) else None
    if status == 401:
        problem = f"which answered 401: the login does not reach the API ({DECORATORS})"
    elif status != 200:
        problem = (
            f'which should answer 200 and {{"items": [...]}}; it answered {status}'
            f" {shortened(text, 200)} ({THE_LIST})"
        )
    elif not isinstance(items, list):
        kind = "a bare JSON array" if isinstance(body, list) else "this"
        problem = (
            'which should answer {"items": [...]}, the list in an envelope that the Items'
            f" collection's parse() unwraps; it answered {kind}: {shortened(text)} ({THE_LIST})"
        )
    elif not all(isinstance(item, dict) and "_id" in item for item in items):
        problem = (
            "where each item has its _id, which the page's model takes as its id (idAttribute);"
            f" it answered {shortened(text, 200)} ({THE_LIST})"
        )
    else:
        return
    fail(f"the page draws its list from GET /api/items/, {problem}")


def body_text(response):
    """A response's body as text; a note instead if the page has left it for another address."""
    try:
        return response.text().strip()
    except PageError:
        # Chromium keeps a body only while the page that asked for it is there.
        return "(its body is gone: the page went on to another address)"


def json_or_none(text):
    """The JSON value text holds, or None if it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def add_item(page, title, status=201):
    """Add an item with the new-item form; fail at once unless the API answers status, else
    return the answer once the page has used it."""
    form = page.locator("form#new-item")
    title_input = form.locator("input[name=title]")
    # Said before fill(), whose own timeout would name neither the form nor the step. The callers
    # waited for the list, so a missing form fails in a second, not TIMEOUT_MS in each check.
    expect(
        title_input,
        f'the page offers the form to add an item once STEP_FEATURES has "edit" ({STEP05_MODULES})',
    ).to_be_visible(timeout=ALREADY_DRAWN_MS)
    title_input.fill(title)
    with api_answer(page, "POST", status) as answer:
        form.locator("button[type=submit]").click()
    if answer.value.ok:
        expect_stored_item(answer.value)
        # The page empties the form a moment after the answer: a title typed before that is lost.
        expect(
            title_input,
            f"the new-item form empties its title once the item is created ({METHODVIEW})",
        ).to_have_value("")
    return answer.value


def expect_stored_item(answer):
    """Fail at once unless the answer to a create is the stored item, its _id included."""
    text = body_text(answer)
    body = json_or_none(text)
    if not isinstance(body, dict) or not isinstance(body.get("_id"), str):
        fail(
            "POST /api/items/ should answer the stored item, its _id included: the page's model"
            f" takes _id as its id (idAttribute); it answered {shortened(text, 200)}"
            f" ({METHODVIEW})"
        )


def title_error(answer):
    """The 422's message for the title, which the page shows next to the field."""
    fields = answer.json().get("fields")
    if not isinstance(fields, dict) or "title" not in fields:
        fail(
            'a 422 says what is wrong field by field, {"error": …, "fields": {"title": …}}: the'
            f" page shows fields.title next to the field; it answered {answer.json()}"
            f" ({VALIDATION})"
        )
    return fields["title"]


def item_row(page, title):
    """The list's row showing this title."""
    exact = re.compile(f"^{re.escape(title)}$")
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=exact))


def save_picture(page, path):
    """Save the page as a PNG: the viewport's width, from the top to just below its content."""
    height = page.wait_for_function(PICTURE_HEIGHT, arg=PICTURE_MARGIN_PX).json_value()
    area = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height}
    page.screenshot(path=path, clip=area, full_page=True, animations="disabled")


def expect_read_only_list(page, titles, section):
    """The list shows these titles, in order, with nothing to change them; section: where the
    step that shows them is taught."""
    expect(
        page.locator("li.item .item-title"),
        f"the list shows these titles, newest first ({section})",
    ).to_have_text(titles)
    # Until step 05, STEP_FEATURES has no "edit": the page offers nothing that changes an item.
    read_only = 'read-only before step 05, whose STEP_FEATURES adds "edit"'
    expect(
        page.locator("form#new-item"),
        f"no form to add an item: the list is {read_only} ({section})",
    ).to_have_count(0)
    expect(
        page.locator(".item-edit, .item-delete, .item-title-input"),
        f"no Edit or Delete on the items: the list is {read_only} ({section})",
    ).to_have_count(0)
    for checkbox in page.locator(".item-toggle").all():
        expect(
            checkbox, f"the items' checkboxes cannot be ticked: the list is {read_only} ({section})"
        ).to_be_disabled()


def expect_login_page(page, live_url, next_path):
    """The browser, which has just gone to next_path, shows the login page, which will bring it
    back there."""
    # The server redirects: once the page has loaded, the browser is where it will stay.
    expect(
        page,
        f"a visitor who is not logged in is sent to the login page, /login?next=… ({DECORATORS})",
    ).to_have_url(re.compile(f"^{re.escape(live_url)}/login\\?next="), timeout=ALREADY_DRAWN_MS)
    assert parse_qs(urlsplit(page.url).query) == {"next": [next_path]}, (
        f"the login page's URL should carry next={next_path}, the path asked for, and nothing"
        f" else; it is {page.url} ({DECORATORS})"
    )
    expect(
        page.locator("input[name=next]"),
        f"the login form keeps next={next_path} in its hidden next field ({ACCOUNTS})",
    ).to_have_value(next_path, timeout=ALREADY_DRAWN_MS)


def row_by_id(page, item_id):
    """The list's row of the item with this _id."""
    return page.locator(f'li.item[data-id="{item_id}"]')


def stored_items(db):
    """The stored items, newest first, as (title, done)."""
    items = db.items.find().sort([("created_at", -1), ("_id", -1)])
    return [(item["title"], item["done"]) for item in items]


def exchange_rows(page):
    """The conversation panel's rows, newest first."""
    return page.locator("#conversation li.exchange")


def exchange_line(page, index=0):
    """The first line of one of the panel's rows (the newest by default): method, URL, status."""
    return exchange_rows(page).nth(index).locator(".exchange-line")


def open_exchange(page, index=0):
    """Click a row of the panel open; return the row, its bodies and headers now shown."""
    exchange_line(page, index).click()
    return exchange_rows(page).nth(index)


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
