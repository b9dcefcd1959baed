"""The front end in a real browser (Chromium through Playwright), against each step's server."""

# Every check serves its step on 127.0.0.1 with a fresh database and drives a fresh page, as a
# learner's browser would. The checks marked `screenshot` take WORKSHOP.md's pictures, on the
# demo database a learner's first `make run` shows: `make screenshots` runs them with
# `--screenshots docs/screenshots`. `pytest -m "not browser"` leaves these checks out.

import inspect
import json
import re
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
from bson import ObjectId
from flask import request

import harness.browser
from harness.answers import fail, shortened
from harness.apps import PASSWORD, USERNAME, checks_config, from_step, step_module, store_item
from harness.browser import (
    CONTEXT_OPTIONS,
    FAILED_LOAD,
    TIMEOUT_MS,
    AppOfTheCheck,
    ConsoleWatch,
    PageError,
    PageTimeout,
    RequestLog,
    RunsPage,
    browser_error_in_words,
    chromium,
    expect,
    find_chromium,
    section_of_check,
)
from harness.report import is_plain
from harness.sections import (
    ACCOUNTS,
    CONVERSATION,
    DECORATORS,
    ENCODER,
    HEADERS,
    METHODVIEW,
    METHODVIEW_PITFALLS,
    OVERRIDE,
    PRECOMPILED_TEMPLATES,
    STEP02_MODULES,
    STEP05_MODULES,
    TEMPLATES,
    THE_LIST,
    VALIDATION,
)
from harness.selection import SCREENSHOTS, remember_for_summary
from harness.servers import serving
from harness.steps import STEPS_DIR

pytestmark = pytest.mark.browser

# A title that runs a script if the page ever renders user text as HTML.
SCRIPT_TITLE = "<img src=x onerror=window.pwned=1>"
# The class of a row whose title is being edited.
EDITING = re.compile(r"\bediting\b")
ID_ATTRIBUTE = METHODVIEW_PITFALLS
# The step's embedded database with its demo data, as on a learner's first `make run`.
DEMO_DATABASE = pytest.mark.parametrize(
    "app_config", [{"MONGO_CLIENT": None}], ids=["demo-database"]
)
# What the step 05 picture adds to the demo items.
NEW_TITLE = "Add an item of my own"
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


# Fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(pytestconfig):
    """One Chromium for the whole run; skips if there is none (fails under CI, --screenshots)."""
    with chromium(required=bool(pytestconfig.getoption("--screenshots"))) as browser:
        expect.set_options(timeout=TIMEOUT_MS)
        yield browser


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig, tmp_path_factory):
    """Where screenshots go: --screenshots DIR, else a temporary folder outside the repository."""
    option = pytestconfig.getoption("--screenshots")
    if option:
        folder = pytestconfig.invocation_params.dir / option
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp("screenshots")
    remember_for_summary(pytestconfig, SCREENSHOTS, [str(folder)])
    return folder


@pytest.fixture
def app_config():
    """Settings for the step's app on top of the test ones; a check may parametrize it."""
    return {}


@pytest.fixture
def app(make_app, app_config):
    """The step's app, on a fresh mongomock database unless app_config says otherwise."""
    return make_app(**app_config)


@pytest.fixture(scope="session")
def site():
    """One threaded server for the run's browser checks, each check's app behind it in turn."""
    behind = AppOfTheCheck()
    with serving(behind) as url:
        yield behind, url


@pytest.fixture
def live_url(app, site):
    """The base URL of the step's app, served by a real threaded server."""
    behind, url = site
    behind.app = app
    yield url
    behind.app = None


@pytest.fixture(scope="session")
def runs_page(browser, site):
    """The run's one page, in a context whose relative URLs go to the checks' server."""
    context = browser.new_context(base_url=site[1], **CONTEXT_OPTIONS)
    context.set_default_timeout(TIMEOUT_MS)
    yield RunsPage(context, site[1])
    context.close()


@pytest.fixture
def console(request):
    """The page's console errors; the check fails if one was not expected."""
    watch = ConsoleWatch(section_of_check(request.function))
    failed_before = request.session.testsfailed
    yield watch
    if request.session.testsfailed > failed_before:
        # The check has failed and said why: what its page logged is the same failure's echo.
        return
    problems = watch.problems()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(runs_page, live_url, console):
    """A page as good as new (no cookies, nothing stored), relative URLs on the step's server."""
    page = runs_page.fresh()
    console.watch(page)
    yield page
    console.stop(page)
    runs_page.put_back()


@pytest.fixture
def api_requests(page):
    """The /api/ requests the page sends."""
    log = RequestLog(page)
    yield log
    log.stop()


@pytest.fixture
def screenshot(page, screenshot_dir, step_dir):
    """Save the page as stepNN.png, or stepNN-NAME.png for another page of the step."""

    def take(name=None):
        number = from_step(step_dir, "STEP_NUMBER")
        filename = f"step{number}-{name}.png" if name else f"step{number}.png"
        save_picture(page, screenshot_dir / filename)

    return take


# What a check does on the page ------------------------------------------------------------------


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


# Checks of the skip rule (no browser needed) -------------------------------------------------


@pytest.mark.parametrize(
    ("ci", "required", "outcome"),
    [
        ("true", False, pytest.fail.Exception),
        ("", False, pytest.skip.Exception),
        ("", True, pytest.fail.Exception),
    ],
    ids=["fails-under-ci", "skips-elsewhere", "fails-when-screenshots-are-asked-for"],
)
def test_missing_browser_says_how_to_install_it(monkeypatch, tmp_path, ci, required, outcome):
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-chrome-here"))
    with pytest.raises(outcome, match=r"apt-get install chromium.*CHROMIUM=/path/to/chrome"):
        find_chromium(required)


def test_chromium_variable_picks_the_browser(monkeypatch, tmp_path):
    chrome = tmp_path / "chrome"
    chrome.touch()
    monkeypatch.setenv("CHROMIUM", str(chrome))
    assert find_chromium() == str(chrome), "$CHROMIUM names the browser to use"


def test_headless_shell_is_preferred_to_the_full_browser(monkeypatch, tmp_path):
    for name in ["chromium", "chromium-headless-shell"]:
        (tmp_path / name).touch(mode=0o755)
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() == str(tmp_path / "chromium-headless-shell"), (
        "with both installed, the checks drive the lighter headless shell"
    )


def test_chrome_in_macos_applications_is_found(monkeypatch, tmp_path):
    chrome = tmp_path / "Google Chrome.app" / "Contents" / "MacOS" / "Google Chrome"
    chrome.parent.mkdir(parents=True)
    chrome.touch(mode=0o755)
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(harness.browser, "APPLICATIONS", [str(chrome)])
    assert find_chromium() == str(chrome), (
        "on macOS, Chrome is in /Applications, not on PATH: the checks find it there"
    )


# Checks of how a browser check fails (the reference step 05, never a learner's) ---------------


def plain(message):
    """Whether a failure's message says in words what is wrong and where to read."""
    return is_plain({"error": "Failed", "message": message})


def test_every_check_of_the_page_names_the_section_its_failures_point_to():
    checks = [
        check
        for name, check in globals().items()
        if name.startswith("test_") and "page" in inspect.signature(check).parameters
    ]
    unnamed = [check.__name__ for check in checks if section_of_check(check, None) is None]
    assert checks, "the page's checks are found"
    assert unnamed == [], (
        "a browser check's messages name its section (sections.py), which its timeouts and the"
        " page's console errors point to too"
    )


def test_console_errors_are_said_with_where_to_read():
    watch = ConsoleWatch(METHODVIEW)
    watch.errors = [
        "Uncaught TypeError: Cannot read properties of undefined (reading 'isNew')",
        f"{FAILED_LOAD.format(status=500)}INTERNAL SERVER ERROR) (http://127.0.0.1/api/items/)",
        f"{FAILED_LOAD.format(status=422)}UNPROCESSABLE ENTITY) (http://127.0.0.1/api/items/)",
    ]
    watch.allow_failed_request(422)
    problems = watch.problems()
    assert len(problems) == 2, f"the allowed failed request is no problem: {problems}"
    assert all(plain(problem) and METHODVIEW in problem for problem in problems), problems
    assert "threw" in problems[0], problems
    assert "status of 500" in problems[1], problems


@pytest.fixture
def step05_page(runs_page, site, mongo_client):
    """A page as good as new on the reference step 05, served by the run's server."""
    app = step_module(STEPS_DIR / "05_methodview", "app").create_app(checks_config(mongo_client))
    behind = site[0]
    behind.app = app
    page = runs_page.fresh()
    yield app, page
    behind.app = None
    runs_page.put_back()


def list_without_its_envelope(response):
    """The list's answer as a bare array, its envelope left out."""
    if request.method == "GET" and request.path == "/api/items/":
        response.set_data(json.dumps(response.get_json()["items"]))
    return response


def page_without_the_list(response):
    """The items page told to show no list, as step 01's STEP_FEATURES tells it."""
    if request.path == "/" and response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        response.set_data(re.sub(r'data-features="[^"]*"', 'data-features=""', page))
    return response


def created_with_200(response):
    """A create answered 200, not 201."""
    if request.method == "POST" and request.path == "/api/items/":
        response.status_code = 200
    return response


def register_and_add_an_item(page):
    """What many of step 05's checks start with."""
    register(page)
    add_item(page, "Buy milk")


@pytest.mark.parametrize(
    ("broken_answer", "said"),
    [
        pytest.param(page_without_the_list, "STEP_FEATURES", id="page-without-the-list"),
        pytest.param(list_without_its_envelope, "a bare JSON array", id="list-without-envelope"),
        pytest.param(created_with_200, "which should answer 201", id="create-answered-200"),
    ],
)
def test_an_answer_the_page_cannot_use_fails_the_check_at_once(step05_page, broken_answer, said):
    app, page = step05_page
    app.after_request(broken_answer)
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception) as failed:
        register_and_add_an_item(page)
    waited = time.monotonic() - started
    message = str(failed.value)
    assert said in message, message
    assert plain(message), f"in words, with where to read: {message}"
    assert waited < TIMEOUT_MS / 1000 / 3, (
        f"the check fails as soon as the answer comes, not after waiting in vain: {waited:.1f} s"
    )


@pytest.mark.parametrize(
    ("wait", "said"),
    [
        pytest.param(
            lambda page: page.locator("li.item .item-edit").click(timeout=100),
            'the page should show locator("li.item .item-edit") for the check to click',
            id="click",
        ),
        pytest.param(
            lambda page: page.evaluate("() => undefined.isNew()"),
            "TypeError: Cannot read properties of undefined (reading 'isNew')",
            id="script",
        ),
        pytest.param(
            lambda page: page.wait_for_function("() => false", timeout=100),
            "the page should reach what the check waits for",
            id="wait-for-a-state",
        ),
    ],
)
def test_what_playwright_raises_is_said_in_words(runs_page, wait, said):
    page = runs_page.fresh()
    page.set_content("<p>No list here.</p>")
    try:
        with pytest.raises(PageError) as raised:
            wait(page)
    finally:
        runs_page.put_back()
    message = browser_error_in_words(raised.value, METHODVIEW, ["Uncaught TypeError: x"])
    assert said in message, message
    assert "the page logged: Uncaught TypeError: x" in message, message
    assert plain(message), f"in words, with where to read: {message}"


# Steps 01 to 04 -------------------------------------------------------------------------------


@pytest.mark.steps(1, 1)
@pytest.mark.screenshot
def test_step01_shows_the_intro_and_no_list(page, step_dir, api_requests, screenshot):
    page.goto("/")
    banner = f"Step {from_step(step_dir, 'STEP_NUMBER')} · {from_step(step_dir, 'STEP_TITLE')}"
    expect(
        page.locator("#step-banner"),
        "the banner shows STEP_NUMBER and STEP_TITLE, which index.html is rendered with"
        f" ({TEMPLATES})",
    ).to_have_text(banner)
    expect(
        page.locator(".intro"),
        f"with STEP_FEATURES empty, the page says the list comes with step 02's API ({TEMPLATES})",
    ).to_contain_text("GET /api/items/")
    expect(
        page.locator("#items"), f"step 01 shows no list: its STEP_FEATURES is empty ({TEMPLATES})"
    ).to_have_count(0)
    empty = page.locator("#conversation .exchanges-empty")
    expect(empty, f"the panel says why it is empty ({CONVERSATION})").to_have_text(
        "Step 01 has no API yet: this page sends no request."
    )
    screenshot()
    assert api_requests.calls == [], f"step 01 has no API to call ({TEMPLATES})"


@pytest.mark.steps(2, 3)
def test_steps_02_03_show_the_stored_items_read_only(page, db):
    items = [("Read the workshop", True), ("Build the front end", False), ("Serve it", False)]
    for minute, (title, done) in enumerate(items):
        store_item(db, title, minute, done=done)
    newest_first = list(db.items.find().sort("created_at", -1))
    open_list(page)
    expect_read_only_list(page, [document["title"] for document in newest_first], THE_LIST)
    rows = page.locator("li.item")
    ids = rows.evaluate_all("rows => rows.map(row => row.dataset.id)")
    assert ids == [str(document["_id"]) for document in newest_first], (
        f"each row carries its item's _id, the models' idAttribute ({THE_LIST})"
    )
    expect(
        page.locator(".item-toggle"), f"each item has a checkbox that shows done ({THE_LIST})"
    ).to_have_count(3)
    expect(
        row_by_id(page, newest_first[-1]["_id"]).locator(".item-toggle"),
        f"the item stored with done true shows ticked ({THE_LIST})",
    ).to_be_checked()
    # The encoder's dates reach the page as the same instants.
    dates = page.locator("time.item-created").evaluate_all(
        "times => times.map(time => Date.parse(time.getAttribute('datetime')))"
    )
    assert dates == [document["created_at"].timestamp() * 1000 for document in newest_first], (
        f"the page shows the encoder's dates as the same instants ({ENCODER})"
    )
    expect(
        page.locator("#current-user"),
        'nobody logs in before step 04: STEP_FEATURES is ["items"], without "login"'
        f" ({STEP02_MODULES})",
    ).to_have_count(0)


@pytest.mark.steps(2, 3)
@pytest.mark.screenshot
@DEMO_DATABASE
def test_steps_02_03_show_the_demo_items_on_a_first_run(page, step_dir, screenshot):
    open_list(page)
    expect_read_only_list(page, from_step(step_dir, "DEMO_TITLES"), STEP02_MODULES)
    screenshot()


def demo_login_form(page, live_url, step_dir):
    """Open the site, which sends the browser to its login form; fill it in as the demo account."""
    page.goto("/")
    expect_login_page(page, live_url, "/")
    username, password = from_step(step_dir, "DEMO_USERNAME"), from_step(step_dir, "DEMO_PASSWORD")
    return fill_account_form(page, username, password)


@pytest.mark.steps(4, 4)
@pytest.mark.screenshot
@DEMO_DATABASE
def test_step04_logs_in_then_shows_the_list_read_only(page, live_url, step_dir, screenshot):
    demo_username = from_step(step_dir, "DEMO_USERNAME")
    login_form = demo_login_form(page, live_url, step_dir)
    screenshot("login")
    send_account_form(login_form)
    expect(page, f"logging in brings the browser back to next, here / ({ACCOUNTS})").to_have_url(
        f"{live_url}/"
    )
    expect(
        page.locator("#current-user"),
        f"the page shows who is logged in: / passes g.user's username to index.html ({DECORATORS})",
    ).to_have_text(demo_username)
    expect(
        page.locator("form#logout button[type=submit]"),
        f'with "login" in STEP_FEATURES, a Log out button beside the username ({DECORATORS})',
    ).to_be_visible()
    expect_read_only_list(page, from_step(step_dir, "DEMO_TITLES"), ACCOUNTS)
    screenshot()


@pytest.mark.steps(4, 8)
def test_logging_out_ends_the_session(page, live_url):
    register_with_form(page)
    expect(
        page.locator("#current-user"),
        f"registering logs the new account in, and the page shows its name ({ACCOUNTS})",
    ).to_have_text(USERNAME)
    with page.expect_navigation():
        page.locator("form#logout button[type=submit]").click()
    # Where the logout's redirect leads is known once the browser got there.
    expect(page, f"Log out sends the browser to /login ({ACCOUNTS})").to_have_url(
        f"{live_url}/login", timeout=ALREADY_DRAWN_MS
    )
    page.goto("/")
    expect_login_page(page, live_url, "/")


@pytest.mark.steps(4, 8)
def test_account_pages_log_no_console_errors(page):
    # The page fixture has a watch too, but this one is read after the page is quiet.
    watch = ConsoleWatch(ACCOUNTS)
    watch.watch(page)
    for path in ["/register", "/login"]:
        page.goto(path)
        # A page that links no icon makes the full Chromium ask for /favicon.ico after the page
        # has loaded (a 404 in the console); the headless shell never asks, so look for the link.
        assert page.locator('head link[rel~="icon"]').count() > 0, (
            f"{path} links no icon, so the browser asks for /favicon.ico, which the step does not"
            ' serve: link one, <link rel="icon" href="data:,"> in the page\'s <head> (WORKSHOP.md,'
            " Step 04 · Register, log in, log out)"
        )
    watch.stop(page)
    problems = watch.problems()
    assert problems == [], f"the account pages log no console errors ({ACCOUNTS}):\n" + "\n".join(
        problems
    )


# A script that a page would run if the server ever let one through into its HTML.
INJECTED_SCRIPT = "<script>window.injected = true;</script>"


def inject_a_script(page, live_url, keep_policy):
    """Serve / with an inline script added to its HTML, and the server's headers, or all but CSP."""

    def handle(route):
        served = route.fetch()
        # The body changes length, and without the policy the check shows what the policy does.
        dropped = {"content-length"} | (set() if keep_policy else {"content-security-policy"})
        headers = {name: value for name, value in served.headers.items() if name not in dropped}
        body = served.text().replace("</body>", f"{INJECTED_SCRIPT}</body>")
        route.fulfill(status=served.status, headers=headers, body=body)

    page.unroute_all()
    page.route(f"{live_url}/", handle)
    page.goto("/")
    # The app itself runs either way: its scripts are the site's own files.
    expect(
        page.locator("#current-user"),
        "with or without the policy the app runs and shows who is logged in: its scripts are the"
        f" site's own files ({HEADERS})",
    ).to_have_text(USERNAME)
    return page.evaluate("window.injected === true")


@pytest.mark.steps(7, 8)
@pytest.mark.hardening
def test_an_inline_script_injected_into_a_page_is_blocked(page, live_url, console):
    register(page)
    assert inject_a_script(page, live_url, keep_policy=False), (
        "without the Content-Security-Policy header, the injected script runs: the check works"
    )
    ran = inject_a_script(page, live_url, keep_policy=True)
    assert not ran, (
        "an inline <script> added to the page must not run: the page's Content-Security-Policy"
        f" allows scripts from the site's own files only ({HEADERS})"
    )
    violations = [error for error in console.errors if "Content Security Policy" in error]
    assert violations, f"the browser reports the refused script ({HEADERS})"
    # The refusal is the point of this check, not an error of the page.
    console.errors = [error for error in console.errors if error not in violations]


# Step 05: the full REST API -------------------------------------------------------------------


@pytest.mark.steps(5, 8)
def test_step05_add_edit_toggle_delete_and_reload(page, db, api_requests):
    register(page)
    expect(
        page.locator(".items-empty"),
        f"a new account has no items, and the page says so ({METHODVIEW})",
    ).to_have_text("No items yet.")
    for title in ["Buy milk", "Walk the dog", "Write the checks"]:
        add_item(page, title)
    titles = page.locator("li.item .item-title")
    expect(titles, f"each item added shows at the top of the list ({METHODVIEW})").to_have_text(
        ["Write the checks", "Walk the dog", "Buy milk"]
    )
    expect(
        page.locator(".items-empty"),
        f"the note of an empty list goes with the first item ({METHODVIEW})",
    ).to_be_hidden()
    milk_id = item_row(page, "Buy milk").get_attribute("data-id")
    dog_id = item_row(page, "Walk the dog").get_attribute("data-id")
    milk = row_by_id(page, milk_id)

    milk.locator(".item-title").dblclick()
    expect(milk, f"a double-click on a title opens it for editing ({METHODVIEW})").to_have_class(
        EDITING
    )
    milk.locator(".item-title-input").fill("Buy oat milk")
    with api_answer(page, "PUT", 200):
        milk.locator(".item-title-input").press("Enter")
    expect(
        milk.locator(".item-title"), f"the new title shows once the PUT is answered ({METHODVIEW})"
    ).to_have_text("Buy oat milk")
    expect(milk, f"the edit ends once the PUT is answered ({METHODVIEW})").not_to_have_class(
        EDITING
    )
    with api_answer(page, "PATCH", 200):
        milk.locator(".item-toggle").click()
    with api_answer(page, "DELETE", 204):
        row_by_id(page, dog_id).locator(".item-delete").click()
    expect(
        row_by_id(page, dog_id),
        f"a deleted item leaves the list once the DELETE is answered ({METHODVIEW})",
    ).to_have_count(0)

    open_list(page, page.reload)
    expect(
        titles,
        "after a reload the list shows what is stored, newest first: the new title kept, the"
        f" deleted item gone ({METHODVIEW})",
    ).to_have_text(["Write the checks", "Buy oat milk"])
    expect(
        milk.locator(".item-toggle"), f"the ticked item is still done after a reload ({METHODVIEW})"
    ).to_be_checked()
    expect(
        item_row(page, "Write the checks").locator(".item-toggle"),
        f"an item never ticked is still not done after a reload ({METHODVIEW})",
    ).not_to_be_checked()

    milk_url, dog_url = f"/api/items/{milk_id}", f"/api/items/{dog_id}"
    assert api_requests.calls == [
        ("GET", "/api/items/"),
        ("POST", "/api/items/"),
        ("POST", "/api/items/"),
        ("POST", "/api/items/"),
        ("PUT", milk_url),
        ("PATCH", milk_url),
        ("DELETE", dog_url),
        ("GET", "/api/items/"),
    ], (
        "one request per change: POST to add, PUT to edit, PATCH to toggle, DELETE to remove"
        f" ({METHODVIEW})"
    )
    assert api_requests.body("PATCH") == {"done": True}, (
        f"patch: true sends only the change ({METHODVIEW})"
    )
    assert api_requests.body("PUT")["_id"] == milk_id, f"PUT sends the whole item ({METHODVIEW})"
    assert stored_items(db) == [("Write the checks", False), ("Buy oat milk", True)], (
        f"the database holds what the page shows ({METHODVIEW})"
    )
    user = db.users.find_one({"username": USERNAME})
    assert {item["owner_id"] for item in db.items.find()} == {user["_id"]}, (
        f"every item belongs to the user who made it ({METHODVIEW})"
    )


@pytest.mark.steps(5, 8)
@pytest.mark.screenshot
@DEMO_DATABASE
def test_step05_demo_account_adds_an_item_and_ticks_one(page, live_url, step_dir, screenshot):
    send_account_form(demo_login_form(page, live_url, step_dir))
    demo_titles = from_step(step_dir, "DEMO_TITLES")
    titles = page.locator("li.item .item-title")
    expect(
        titles,
        "the demo account sees the demo items, newest first: each is stored with the demo"
        f" account's _id as its owner_id ({METHODVIEW})",
    ).to_have_text(demo_titles)
    add_item(page, NEW_TITLE)
    ticked = item_row(page, demo_titles[0]).locator(".item-toggle")
    with api_answer(page, "PATCH", 200):
        ticked.click()
    expect(titles, f"the new item shows above the demo items ({METHODVIEW})").to_have_text(
        [NEW_TITLE, *demo_titles]
    )
    expect(ticked, f"the ticked demo item shows done ({METHODVIEW})").to_be_checked()
    # The conversation so far, the create opened: its body, its Location, the stored item.
    expect(exchange_line(page, 1), f"the create, answered 201 ({METHODVIEW})").to_have_text(
        panel_line("POST", "/api/items/", "201 Created")
    )
    open_exchange(page, 1)
    screenshot()


@pytest.mark.steps(5, 8)
@pytest.mark.parametrize("title", ["x" * 201, "   "], ids=["201-characters", "whitespace-only"])
def test_step05_refused_title_shows_the_message_next_to_the_field(page, db, console, title):
    register(page)
    console.allow_failed_request(422)
    answer = add_item(page, title, status=422)
    error = page.locator("form#new-item .field-error")
    expect(
        error, f"a refused title shows a message next to the field ({VALIDATION})"
    ).to_be_visible()
    expect(error, f"the message shown is the 422's fields.title ({VALIDATION})").to_have_text(
        title_error(answer)
    )
    expect(
        page.locator("li.item"), f"a refused item does not join the list ({VALIDATION})"
    ).to_have_count(0)
    assert db.items.count_documents({}) == 0, f"a refused item is not stored ({VALIDATION})"


@pytest.mark.steps(5, 8)
def test_step05_refused_edit_keeps_the_title_and_says_why(page, db, console):
    register(page)
    add_item(page, "Buy milk")
    row = item_row(page, "Buy milk")
    row.locator(".item-edit").click()
    row.locator(".item-title-input").fill("   ")
    console.allow_failed_request(422)
    with api_answer(page, "PUT", 422) as answer:
        row.locator(".item-title-input").press("Enter")
    expect(
        row.locator(".field-error"),
        f"a refused edit shows the 422's fields.title under the item ({VALIDATION})",
    ).to_have_text(title_error(answer.value))
    assert stored_items(db) == [("Buy milk", False)], (
        f"a refused edit changes nothing ({VALIDATION})"
    )


@pytest.mark.steps(5, 8)
def test_step05_escape_cancels_an_edit(page, api_requests):
    register(page)
    add_item(page, "Buy milk")
    row = item_row(page, "Buy milk")
    row.locator(".item-title").dblclick()
    row.locator(".item-title-input").fill("Buy oat milk")
    row.locator(".item-title-input").press("Escape")
    expect(row, f"Escape ends the edit ({METHODVIEW})").not_to_have_class(EDITING)
    expect(
        row.locator(".item-title"),
        f"after Escape the title is the stored one, unchanged ({METHODVIEW})",
    ).to_have_text("Buy milk")
    assert [method for method, _ in api_requests.calls] == ["GET", "POST"], (
        f"Escape ends the edit without sending anything ({METHODVIEW})"
    )


@pytest.mark.steps(5, 8)
def test_step05_expired_login_sends_the_browser_to_the_login_page(page, live_url, db, console):
    register(page)
    # The session has ended (a logout in another tab, an expired login): the page does not
    # know yet. Without its cookie, any step answers 401, whatever it keeps in the session.
    page.context.clear_cookies()
    console.allow_failed_request(401)
    add_item(page, "Buy milk", status=401)
    expect(
        page,
        f"a 401 from the API sends the browser to /login, with next=/ to come back ({DECORATORS})",
    ).to_have_url(f"{live_url}/login?next=%2F")
    expect(
        page.locator("input[name=next]"),
        f"the login form keeps next=/ in its hidden field ({ACCOUNTS})",
    ).to_have_value("/")
    submit_account_form(page, USERNAME, PASSWORD)
    expect(page, f"logging in again brings the browser back to / ({ACCOUNTS})").to_have_url(
        f"{live_url}/"
    )
    expect(
        page.locator(".items-empty"),
        "back on the list, which is empty: the create sent while logged out stored nothing"
        f" ({DECORATORS})",
    ).to_be_visible()
    assert db.items.count_documents({}) == 0, f"nothing was saved while logged out ({DECORATORS})"


@pytest.mark.steps(5, 8)
def test_step05_user_text_is_rendered_as_text(page):
    register(page)
    add_item(page, SCRIPT_TITLE)
    open_list(page, page.reload)
    row = item_row(page, SCRIPT_TITLE)
    as_text = (
        f"the item's template writes user text as text, never as HTML ({PRECOMPILED_TEMPLATES})"
    )
    expect(
        row.locator(".item-title"), f"a title that looks like HTML shows as typed: {as_text}"
    ).to_have_text(SCRIPT_TITLE)
    expect(
        row.locator(".item-title-input"), f"the edit field holds the title as typed: {as_text}"
    ).to_have_value(SCRIPT_TITLE)
    expect(page.locator("#items img"), f"no <img> comes out of a title: {as_text}").to_have_count(0)
    response = open_exchange(page).locator(".exchange-response")
    expect(response, f"the panel shows it as text too ({CONVERSATION})").to_contain_text(
        f'"title": "{SCRIPT_TITLE}"'
    )
    expect(
        page.locator("#conversation img"),
        f"no <img> comes out of a title in the panel either ({CONVERSATION})",
    ).to_have_count(0)
    assert page.evaluate("typeof window.pwned") == "undefined", (
        f"user text never runs as HTML ({PRECOMPILED_TEMPLATES})"
    )


# A Content-Security-Policy that lets scripts come from the site's own files and never lets them
# turn a string into code: no 'unsafe-eval', so `new Function()` and `eval()` throw.
NO_EVAL_POLICY = "script-src 'self'"
# Every CSP violation the page reports is written on its <html> element, where the check reads it
# (page.wait_for_function would poll with eval, which the policy refuses).
REPORT_VIOLATIONS = """document.addEventListener('securitypolicyviolation', (event) => {
  const root = document.documentElement;
  const refused = `${event.blockedURI} (${event.violatedDirective})`;
  root.dataset.refused = root.dataset.refused ? `${root.dataset.refused}, ${refused}` : refused;
});"""
WITHOUT_EVAL_TITLE = "Shown without eval"


def serve_without_eval(page, live_url):
    """Serve / under NO_EVAL_POLICY (the route stays until the check ends)."""

    def handle(route):
        """Answer with the server's own page and headers, but this policy."""
        served = route.fetch()
        headers = {
            name: value
            for name, value in served.headers.items()
            if name.lower() != "content-security-policy"
        }
        headers["content-security-policy"] = NO_EVAL_POLICY
        route.fulfill(response=served, headers=headers)

    page.route(f"{live_url}/", handle)


@pytest.mark.steps(5, 8)
def test_step05_page_runs_under_a_policy_without_eval(page, live_url, db):
    register(page)
    owner_id = db.users.find_one({"username": USERNAME})["_id"]
    store_item(db, WITHOUT_EVAL_TITLE, owner_id=owner_id)
    serve_without_eval(page, live_url)
    # The script leaves the page when the block ends, so the next check's page is as new.
    with page.add_init_script(REPORT_VIOLATIONS):
        page.goto("/")
        # The app has run and shown its list, or the browser has refused something; then its
        # panel has drawn the list's request, the last thing the page renders.
        page.locator("li.item .item-title, html[data-refused]").first.wait_for(state="attached")
        expect(
            exchange_rows(page).or_(page.locator("html[data-refused]")),
            "under a policy without eval the page should run and draw the list's request in its"
            f" panel ({PRECOMPILED_TEMPLATES})",
        ).not_to_have_count(0)
        refused = page.locator("html").get_attribute("data-refused")
    assert refused is None, (
        f"under the policy {NO_EVAL_POLICY!r} the page must not need eval, yet the browser"
        f" refused: {refused}. Templates compiled when Brunch builds need none"
        f" ({PRECOMPILED_TEMPLATES})"
    )
    expect(
        page.locator("li.item .item-title"),
        f"the list shows the stored item under a policy without eval ({PRECOMPILED_TEMPLATES})",
    ).to_have_text([WITHOUT_EVAL_TITLE])


# The page's own Backbone fetches the list with a given item model and saves the first item:
# the model chooses POST (new) or PUT (stored) with isNew(), that is, by its idAttribute.
SAVE_FIRST_ITEM = """async ({title, appModel}) => {
  const Backbone = require('backbone');
  const Model = appModel ? require('models/item') : Backbone.Model.extend({});
  const Items = Backbone.Collection.extend({
    model: Model, url: '/api/items/', parse: (response) => response.items
  });
  const items = new Items();
  await items.fetch();
  const item = items.first();
  const wasNew = item.isNew();
  try {
    await item.save({title});
  } catch (xhr) {}
  return wasNew;
}"""


def save_first_item(page, method, app_model):
    """Retitle the first item with the app's model or a bare one; return (isNew, API answer)."""
    arguments = {"title": "Buy oat milk", "appModel": app_model}
    with api_answer(page, method) as answer:
        was_new = page.evaluate(SAVE_FIRST_ITEM, arguments)
    return was_new, answer.value


@pytest.mark.steps(5, 8)
@pytest.mark.parametrize(
    ("app_model", "method", "status", "stored_title"),
    [
        pytest.param(False, "POST", 400, "Buy milk", id="pitfall-plain-model-posts"),
        pytest.param(True, "PUT", 200, "Buy oat milk", id="app-model-puts"),
    ],
)
def test_step05_id_attribute_decides_between_post_and_put(
    page, db, api_requests, console, app_model, method, status, stored_title
):
    register(page)
    item_id = add_item(page, "Buy milk").json()["_id"]
    if status >= 400:
        console.allow_failed_request(status)
    was_new, answer = save_first_item(page, method, app_model)
    assert was_new is not app_model, (
        "with idAttribute: '_id' a fetched item is a stored one (isNew() is false), and with"
        f" Backbone's default id a new one ({ID_ATTRIBUTE})"
    )
    url = "/api/items/" if method == "POST" else f"/api/items/{item_id}"
    assert api_requests.calls[2:] == [("GET", "/api/items/"), (method, url)], (
        f"saving a fetched item should {method} to {url} ({ID_ATTRIBUTE})"
    )
    assert answer.status == status, (
        f"the {method} of a fetched item should answer {status}, not {answer.status}: a PUT of"
        " the item to its own URL is a 200; a POST of it, _id included, to the collection is a"
        f' 400, {{"fields": {{"_id": "Leave it out."}}}} ({ID_ATTRIBUTE})'
    )
    if status == 400:
        # Backbone sent the stored item as a new one, _id included. Step 05 refuses a
        # client-chosen _id, so here the pitfall ends in a 400 instead of a duplicate item.
        assert "_id" in answer.json().get("fields", {}), (
            f'a POST with an _id is refused with {{"fields": {{"_id": "Leave it out."}}}}'
            f" ({VALIDATION})"
        )
    assert stored_items(db) == [(stored_title, False)], (
        f"the PUT changes the stored item's title; the refused POST changes nothing ({VALIDATION})"
    )
    assert db.items.find_one()["_id"] == ObjectId(item_id), (
        f"never a duplicate item: the item keeps its _id, and no other is stored ({VALIDATION})"
    )


def registered_with_one_item(page, title):
    """Register, add one item and return its row, found by _id so that a new title keeps it."""
    register(page)
    return row_by_id(page, add_item(page, title).json()["_id"])


@pytest.mark.steps(5, 8)
def test_step05_form_error_goes_once_it_no_longer_applies(page, console):
    milk = registered_with_one_item(page, "Buy milk")
    error = page.locator("form#new-item .field-error")

    def refuse_a_blank_title():
        console.allow_failed_request(422)
        add_item(page, "   ", status=422)
        expect(
            error, f"a refused title shows a message next to the field ({VALIDATION})"
        ).to_be_visible()

    refuse_a_blank_title()
    page.locator("form#new-item input[name=title]").fill("Buy bread")
    expect(
        error, f"the form's message goes once a new title is typed ({VALIDATION})"
    ).to_be_hidden()
    refuse_a_blank_title()
    with api_answer(page, "PATCH", 200):
        milk.locator(".item-toggle").click()
    expect(error, f"the form's message goes once an item is ticked ({VALIDATION})").to_be_hidden()
    refuse_a_blank_title()
    milk.locator(".item-edit").click()
    milk.locator(".item-title-input").fill("Buy oat milk")
    with api_answer(page, "PUT", 200):
        milk.locator(".item-title-input").press("Enter")
    expect(error, f"the form's message goes once an item is edited ({VALIDATION})").to_be_hidden()


@pytest.mark.steps(5, 8)
def test_step05_item_error_goes_when_the_edit_ends(page, console):
    row = registered_with_one_item(page, "Buy milk")
    title_input = row.locator(".item-title-input")
    error = row.locator(".field-error")

    def refuse_a_blank_title():
        row.locator(".item-edit").click()
        title_input.fill("   ")
        console.allow_failed_request(422)
        with api_answer(page, "PUT", 422):
            title_input.press("Enter")
        expect(
            error, f"a refused edit shows a message under the item ({VALIDATION})"
        ).to_be_visible()

    refuse_a_blank_title()
    title_input.press("Escape")
    expect(
        error, f"the item's message goes when Escape ends the edit ({VALIDATION})"
    ).to_be_hidden()
    refuse_a_blank_title()
    # Back to the stored title: nothing to send, nothing wrong any more.
    title_input.fill("Buy milk")
    title_input.press("Enter")
    expect(
        row, f"Enter on the stored title ends the edit, with nothing to send ({VALIDATION})"
    ).not_to_have_class(EDITING)
    expect(error, f"the item's message goes when the edit ends ({VALIDATION})").to_be_hidden()
    refuse_a_blank_title()
    with api_answer(page, "PUT", 200):
        title_input.fill("Buy oat milk")
        title_input.press("Enter")
    expect(
        row.locator(".item-title"), f"the new title shows once the PUT is answered ({METHODVIEW})"
    ).to_have_text("Buy oat milk")
    expect(
        error, f"the item's message goes once a good title is saved ({VALIDATION})"
    ).to_be_hidden()


# The conversation panel -----------------------------------------------------------------------

# How a row's first line ends: the time the exchange took.
LINE_TIME = r" \d+ ms$"


def panel_line(method, url, status):
    """A regular expression for a row's first line: `PUT /api/items/6b07…5c99 200 OK 12 ms`."""
    return re.compile(f"^{re.escape(f'{method} {url} {status}')}{LINE_TIME}")


def short_item_url(item_id):
    """An item's URL as the panel shortens it: its id cut to both ends."""
    return f"/api/items/{item_id[:4]}…{item_id[-4:]}"


def switch(page, name):
    """One of the panel's pitfall switches, by its checkbox's name."""
    return page.locator(f'#conversation .pitfall-switch input[name="{name}"]')


@pytest.mark.steps(2, 8)
def test_conversation_shows_the_list_request_on_load(page, step_dir):
    if "login" in from_step(step_dir, "STEP_FEATURES"):
        register(page)
    else:
        open_list(page)
    expect(exchange_rows(page), f"one row per request ({CONVERSATION})").to_have_count(1)
    expect(exchange_line(page), f"the list's GET and its answer ({CONVERSATION})").to_have_text(
        panel_line("GET", "/api/items/", "200 OK")
    )
    response = open_exchange(page).locator(".exchange-response")
    expect(response, f"the answer's body, as JSON ({CONVERSATION})").to_contain_text('"items": [')


@pytest.mark.steps(5, 8)
def test_step05_conversation_shows_create_edit_and_delete(page, db):
    register(page)
    created = add_item(page, "Buy milk").json()
    item_id = created["_id"]
    expect(exchange_line(page), f"the create, answered 201 ({METHODVIEW})").to_have_text(
        panel_line("POST", "/api/items/", "201 Created")
    )
    row = open_exchange(page)
    expect(row.locator(".exchange-details"), f"the Location header ({METHODVIEW})").to_contain_text(
        f"Location /api/items/{item_id}"
    )
    expect(
        row.locator(".exchange-request"), f"the create's body, as the page sent it ({CONVERSATION})"
    ).to_have_text('{\n  "title": "Buy milk"\n}')

    milk = row_by_id(page, item_id)
    milk.locator(".item-edit").click()
    milk.locator(".item-title-input").fill("Buy oat milk")
    with api_answer(page, "PUT", 200):
        milk.locator(".item-title-input").press("Enter")
    expect(exchange_line(page), f"the edit, answered 200 ({METHODVIEW})").to_have_text(
        panel_line("PUT", short_item_url(item_id), "200 OK")
    )
    with api_answer(page, "DELETE", 204):
        milk.locator(".item-delete").click()
    expect(exchange_line(page), f"the delete, answered 204 ({METHODVIEW})").to_have_text(
        panel_line("DELETE", short_item_url(item_id), "204 No Content")
    )
    expect(
        exchange_rows(page), f"GET, POST, PUT, DELETE: four rows ({CONVERSATION})"
    ).to_have_count(4)
    assert db.items.count_documents({}) == 0, (
        f"the delete the panel shows really deleted the item ({METHODVIEW})"
    )


@pytest.mark.steps(5, 8)
def test_step05_conversation_shows_the_401_after_a_logout_in_another_tab(page, db, console):
    register(page)
    other_tab = page.context.new_page()
    other_tab.goto("/")
    other_tab.locator("form#logout button[type=submit]").click()
    # The logout must be done before the tab closes, or closing it could cancel the request.
    expect(other_tab, f"Log out in the other tab sends it to /login ({ACCOUNTS})").to_have_url(
        re.compile(r"/login$")
    )
    other_tab.close()
    # The page goes to the login page on a 401. A 204 answer to a navigation leaves the
    # browser where it is: the check can read the panel.
    page.route("**/login?next=*", lambda route: route.fulfill(status=204))
    console.allow_failed_request(401)
    add_item(page, "Buy milk", status=401)
    expect(exchange_line(page), f"the refused create ({CONVERSATION})").to_have_text(
        panel_line("POST", "/api/items/", "401 Unauthorized")
    )
    assert db.items.count_documents({}) == 0, f"nothing is saved once logged out ({DECORATORS})"


@pytest.mark.steps(5, 8)
def test_step05_conversation_shows_a_422_with_its_field_errors(page, db, console):
    register(page)
    console.allow_failed_request(422)
    message = title_error(add_item(page, "   ", status=422))
    expect(exchange_line(page), f"the refused create ({VALIDATION})").to_have_text(
        panel_line("POST", "/api/items/", "422 Unprocessable Content")
    )
    response = open_exchange(page).locator(".exchange-response")
    expect(response, f"the field's message in the answer ({VALIDATION})").to_contain_text(
        f'"title": "{message}"'
    )
    assert db.items.count_documents({}) == 0, f"a refused item is not stored ({VALIDATION})"


@pytest.mark.steps(5, 8)
def test_step05_conversation_hides_passwords(page, console):
    register(page)
    # No request of the app carries a password (logins are forms): send one that does.
    with api_answer(page, "POST") as answer:
        page.evaluate(
            """(password) => {
              const Backbone = require('backbone');
              new Backbone.Model({title: 'x', password}, {}).save(null, {url: '/api/items/'});
            }""",
            PASSWORD,
        )
    if not answer.value.ok:
        # The API refuses the unknown field (validation's checks say whether it does): the
        # panel must hide the password either way.
        console.allow_failed_request(answer.value.status)
    request = open_exchange(page).locator(".exchange-request")
    expect(request, f"a password is never shown ({CONVERSATION})").to_contain_text(
        '"password": "(hidden)"'
    )
    expect(
        page.locator("#conversation"), f"the password shows nowhere in the panel ({CONVERSATION})"
    ).not_to_contain_text(PASSWORD)


@pytest.mark.steps(5, 8)
def test_step05_id_attribute_switch_off_posts_the_stored_item_again(
    page, db, api_requests, console
):
    milk = registered_with_one_item(page, "Buy milk")
    id_attribute = switch(page, "id-attribute")
    expect(id_attribute, f"the correct app by default ({ID_ATTRIBUTE})").to_be_checked()
    id_attribute.uncheck()
    expect(
        page.locator('.pitfall-note[data-switch="id-attribute"]'),
        f"unticked, the switch shows a note on what it changes ({ID_ATTRIBUTE})",
    ).to_be_visible()
    milk.locator(".item-edit").click()
    milk.locator(".item-title-input").fill("Buy oat milk")
    console.allow_failed_request(400)
    with api_answer(page, "POST", 400) as answer:
        milk.locator(".item-title-input").press("Enter")
    expect(exchange_line(page), f"a POST to the collection, refused ({ID_ATTRIBUTE})").to_have_text(
        panel_line("POST", "/api/items/", "400 Bad Request")
    )
    expect(milk.locator(".field-error"), f"the page says why ({ID_ATTRIBUTE})").to_have_text(
        answer.value.json()["error"]
    )
    assert "PUT" not in [method for method, _ in api_requests.calls], (
        f"without idAttribute: '_id' a stored item is saved with POST, not PUT ({ID_ATTRIBUTE})"
    )
    assert stored_items(db) == [("Buy milk", False)], (
        f"step 05 refuses the client's _id: no duplicate, no change ({ID_ATTRIBUTE})"
    )
    open_list(page, page.reload)
    expect(
        switch(page, "id-attribute"), f"a reload puts the switch back ({ID_ATTRIBUTE})"
    ).to_be_checked()
    expect(
        page.locator("li.item .item-title"),
        f"after a reload the list holds the one item, its title unchanged ({ID_ATTRIBUTE})",
    ).to_have_text(["Buy milk"])


@pytest.mark.steps(5, 6)
def test_step05_panel_offers_the_id_attribute_switch_only(page):
    register(page)
    expect(
        switch(page, "id-attribute"),
        f"step 05 offers the idAttribute switch ({ID_ATTRIBUTE})",
    ).to_have_count(1, timeout=ALREADY_DRAWN_MS)
    expect(
        switch(page, "emulate-http"),
        "step 05 has no method override, so the panel offers no Backbone.emulateHTTP switch: its"
        f' STEP_FEATURES are ["items", "login", "edit"], without "override" ({STEP05_MODULES})',
    ).to_have_count(0)


@pytest.mark.steps(7, 8)
@pytest.mark.hardening
def test_step07_emulate_http_switch_sends_a_delete_as_a_post(page, db, api_requests):
    milk = registered_with_one_item(page, "Buy milk")
    item_id = milk.get_attribute("data-id")
    emulate_http = switch(page, "emulate-http")
    expect(
        emulate_http,
        f'STEP_FEATURES has "override": the panel offers the switch, off by default ({OVERRIDE})',
    ).not_to_be_checked()
    emulate_http.check()
    with api_answer(page, "POST") as answer:
        milk.locator(".item-delete").click()
    assert answer.value.request.header_value("X-HTTP-Method-Override") == "DELETE", (
        f"emulateHTTP sends the DELETE as a POST with X-HTTP-Method-Override ({OVERRIDE})"
    )
    assert answer.value.status == 204, (
        "the POST with X-HTTP-Method-Override: DELETE deletes the item, 204; it answered"
        f" {answer.value.status} ({OVERRIDE})"
    )
    line = f"POST {short_item_url(item_id)} 204 No Content X-HTTP-Method-Override: DELETE"
    expect(exchange_line(page), f"the method sent and the one meant ({OVERRIDE})").to_have_text(
        re.compile(f"^{re.escape(line)}{LINE_TIME}")
    )
    expect(
        row_by_id(page, item_id),
        f"the item deleted through the override leaves the list ({OVERRIDE})",
    ).to_have_count(0)
    assert api_requests.calls[-1] == ("POST", f"/api/items/{item_id}"), (
        f"emulateHTTP sends a POST, and no DELETE goes out ({OVERRIDE})"
    )
    assert db.items.count_documents({}) == 0, f"the override deleted the item ({OVERRIDE})"


# True once the panel has stored its fold (frontend/app/views/conversation_view.js, FOLDED_KEY).
FOLD_REMEMBERED = "() => localStorage.getItem('conversation-folded') === 'yes'"


@pytest.mark.steps(2, 2)
def test_conversation_folds_away_and_stays_folded(page):
    open_list(page)
    panel = page.locator("#conversation")
    expect(panel, f"open at first ({CONVERSATION})").to_have_attribute("open", "")
    panel.locator(".conversation-title").click()
    expect(
        exchange_rows(page), f"a click on the panel's title folds it ({CONVERSATION})"
    ).to_be_hidden()
    # The panel remembers the fold on <details>' toggle event, which the browser fires a moment
    # after the click: a reload before it would forget the fold.
    try:
        page.wait_for_function(FOLD_REMEMBERED, timeout=ALREADY_DRAWN_MS)
    except PageTimeout:
        pytest.fail(
            "the panel remembers its fold in localStorage (conversation-folded: yes), so that a"
            f" reload keeps it folded ({CONVERSATION})",
            pytrace=False,
        )
    open_list(page, page.reload)
    expect(panel, f"folded after a reload, as left ({CONVERSATION})").not_to_have_attribute(
        "open", ""
    )
    panel.locator(".conversation-title").click()
    expect(exchange_line(page), f"a second click opens it again ({CONVERSATION})").to_be_visible()
