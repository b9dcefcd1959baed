"""Helpers of the browser checks: find Chromium, watch the console and the API, fill forms.

Playwright for Python drives the system's Chromium (no `playwright install`): one browser for
the whole run, a fresh context and page per check, each step served by a real threaded server.
"""

import os
import re
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest

from browser_paths import APPLICATIONS, CHROMIUM_NAMES, HOW_TO_INSTALL, locate_chromium
from sections import ACCOUNTS, DECORATORS, METHODVIEW, STEP05_MODULES, VALIDATION
from support import PASSWORD, USERNAME

try:
    from playwright.sync_api import TimeoutError as PageTimeout
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    # Without Playwright the `browser` fixture skips (or fails under CI), saying how to install it.
    PageTimeout = expect = sync_playwright = None

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
# How long to wait for what the page draws before it fetches the list (its form, the panel's
# switches) once the list has come (ms): it is there by then or never will be.
DRAWN_BEFORE_THE_LIST_MS = 1_000
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
        pytest.fail(f"CI=true and no browser to run the browser checks: {message}", pytrace=False)
    if required:
        # Skipped checks take no pictures: the old ones would stay, as if they were new.
        pytest.fail(f"--screenshots and no browser to take them: {message}", pytrace=False)
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
    a check expects."""

    def __init__(self):
        self.errors = []
        self.expected_statuses = []

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

    def expect_failed_request(self, status):
        """Allow Chromium's line for one request answered with this status."""
        self.expected_statuses.append(status)

    def problems(self):
        """Return what went wrong: unexpected errors, and expected failed requests not logged."""
        unexpected = list(self.errors)
        missing = []
        for status in self.expected_statuses:
            prefix = FAILED_LOAD.format(status=status)
            logged = next((error for error in unexpected if error.startswith(prefix)), None)
            if logged is None:
                missing.append(status)
            else:
                unexpected.remove(logged)
        problems = [f"unexpected console error: {error}" for error in unexpected]
        if any("/favicon.ico" in error for error in unexpected):
            problems.append(
                "a page that links no icon makes the browser ask for /favicon.ico, which the step"
                ' does not serve: link one, <link rel="icon" href="data:,"> in the page\'s <head>'
                " (WORKSHOP.md, Step 04 · Register, log in, log out)"
            )
        problems += [f"no failed request with status {status} was logged" for status in missing]
        return problems


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


def api_answer(page, method):
    """Wait (in a `with` block) for the answer to the page's next API request with this method."""
    return page.expect_response(
        lambda response: (
            response.request.method == method and urlsplit(response.url).path.startswith("/api/")
        )
    )


def fill_account_form(page, username, password):
    """Fill in the login or register form of the current page; return the form."""
    form = page.locator("form").first
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    return form


def send_account_form(form):
    """Send a filled-in login or register form; wait until the list it leads to is loaded."""
    # Both land on the items page, which fetches the list at once.
    with api_answer(form.page, "GET"):
        form.locator("button[type=submit]").click()


def submit_account_form(page, username, password):
    """Fill in and send the login or register form of the current page."""
    send_account_form(fill_account_form(page, username, password))


def register_with_form(page, username=USERNAME, password=PASSWORD):
    """Create an account with the /register form (which logs it in) and wait for its list."""
    page.goto("/register")
    submit_account_form(page, username, password)


def register(page, username=USERNAME, password=PASSWORD):
    """Create an account (which logs it in) and open the list: the form's post without its page."""
    # The form's own page is checked once (test_logging_out_ends_the_session); loading it in
    # every check would cost a page load each. The context keeps the login's cookie.
    form = {"username": username, "password": password}
    answer = page.request.post("/register", form=form, max_redirects=0)
    assert answer.status == 302, (
        f"POST /register with a new account should log it in and redirect (302); it answered"
        f" {answer.status} ({DECORATORS})"
    )
    with api_answer(page, "GET"):
        page.goto("/")


def add_item(page, title):
    """Add an item with the new-item form; return the API's answer once the page has used it."""
    form = page.locator("form#new-item")
    title_input = form.locator("input[name=title]")
    # Said before fill(), whose own timeout would name neither the form nor the step. The callers
    # waited for the list, so a missing form fails in a second, not TIMEOUT_MS in each check.
    expect(
        title_input,
        f'the page offers the form to add an item once STEP_FEATURES has "edit" ({STEP05_MODULES})',
    ).to_be_visible(timeout=DRAWN_BEFORE_THE_LIST_MS)
    title_input.fill(title)
    with api_answer(page, "POST") as answer:
        form.locator("button[type=submit]").click()
    if answer.value.ok:
        # The page empties the form a moment after the answer: a title typed before that is lost.
        expect(
            title_input,
            f"the new-item form empties its title once the item is created ({METHODVIEW})",
        ).to_have_value("")
    return answer.value


def title_error(answer):
    """The 422's message for the title, which the page shows next to the field."""
    fields = answer.json().get("fields")
    if not isinstance(fields, dict) or "title" not in fields:
        pytest.fail(
            'a 422 says what is wrong field by field, {"error": …, "fields": {"title": …}}: the'
            f" page shows fields.title next to the field; it answered {answer.json()}"
            f" ({VALIDATION})",
            pytrace=False,
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
    """The browser shows the login page, which will bring it back to next_path."""
    expect(
        page,
        f"a visitor who is not logged in is sent to the login page, /login?next=… ({DECORATORS})",
    ).to_have_url(re.compile(f"^{re.escape(live_url)}/login\\?next="))
    assert parse_qs(urlsplit(page.url).query) == {"next": [next_path]}, (
        f"the login page's URL should carry next={next_path}, the path asked for, and nothing"
        f" else; it is {page.url} ({DECORATORS})"
    )
    expect(
        page.locator("input[name=next]"),
        f"the login form keeps next={next_path} in its hidden next field ({ACCOUNTS})",
    ).to_have_value(next_path)


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
