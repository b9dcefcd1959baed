"""Step 08 under load: a real threaded server, eight users at once, eighty reads at once."""

import http.cookiejar
import json
import random
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest

from harness.answers import said
from harness.apps import AuthActions, database, store_item
from harness.items import LONG_AGO, assert_item_rules
from harness.sections import CONCURRENCY
from harness.servers import serving

pytestmark = [pytest.mark.steps(8, 8), pytest.mark.hardening]

COLLECTION = "/api/items/"
# Concurrent browsers, and the writes each of them makes.
CLIENTS = 8
OPERATIONS = 30
# Seconds any one request or thread may take before the check gives up on it: generous, for a
# busy machine, yet bounded.
TIMEOUT = 30


# ---------------------------------------------------------------- a real threaded server


@pytest.fixture
def base_url(app):
    """Serve the app from a real threaded server on a free port, and stop it afterwards."""
    with serving(app) as url:
        yield url


class KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Answer a redirect with its own status instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    """A response as the checks read it: its status and its JSON (None if it is not JSON)."""

    status_code: int
    body: object

    def get_json(self):
        """The JSON body, as Flask's test client names it."""
        return self.body

    @property
    def mimetype(self):
        """application/json when the body was JSON, as Flask's test client says it."""
        return None if self.body is None else "application/json"


class Browser:
    """One user's browser over real HTTP: its own cookies, the test client's get/post/open."""

    def __init__(self, base_url):
        self.base_url = base_url
        cookies = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(cookies, KeepRedirects)

    def open(self, path, method="GET", json=None, data=None):
        """Send a request, a JSON body or a form, and return the Answer; every one times out."""
        headers, body = {}, None
        if json is not None:
            headers["Content-Type"] = "application/json"
            body = json_bytes(json)
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers=headers
        )
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return Answer(response.status, parse_json(response))
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, parse_json(error))

    def get(self, path):
        """Send a GET."""
        return self.open(path)

    def post(self, path, **body):
        """Send a POST with json= or data=."""
        return self.open(path, "POST", **body)


def json_bytes(value):
    """A value as the bytes of its JSON."""
    return json.dumps(value).encode()


def parse_json(response):
    """The JSON body of a response, or None."""
    if response.headers.get_content_type() != "application/json":
        return None
    return json.loads(response.read())


def registered_browser(app, base_url, username):
    """A browser of its own on the served app, registered (and so logged in) as username."""
    auth = AuthActions(app, Browser(base_url))
    response = auth.register(username)
    assert response.status_code == 302, (
        f"POST /register of {username} should redirect; it answered {said(response)}"
        f" ({CONCURRENCY})"
    )
    assert auth.logged_in_as() == username, f"registering logs the browser in ({CONCURRENCY})"
    return auth.client


class Workload:
    """One client's random mix of writes, and what the server acknowledged."""

    def __init__(self, browser, number, shared_ids):
        self.browser = browser
        self.number = number
        self.random = random.Random(number)
        # Ids every client has created: the others try to touch them and must get 404.
        self.shared_ids = shared_ids
        # What the server acknowledged: item id -> (title, done).
        self.expected = {}
        self.surprises = []

    def expect(self, operation, answer, status):
        """Note an answer that is not the expected one; return whether it was."""
        if answer.status_code != status:
            self.surprises.append((operation, answer))
        return answer.status_code == status

    def create(self, step):
        title, done = f"client {self.number} item {step}", self.random.random() < 0.5
        answer = self.browser.post(COLLECTION, json={"title": title, "done": done})
        if self.expect("create", answer, 201):
            item_id = answer.body["_id"]
            self.expected[item_id] = (title, done)
            self.shared_ids.append(item_id)

    def replace(self, item_id, step):
        title = f"client {self.number} replaced at {step}"
        answer = self.browser.open(COLLECTION + item_id, "PUT", json={"title": title, "done": True})
        if self.expect("replace", answer, 200):
            self.expected[item_id] = (title, True)

    def toggle(self, item_id):
        title, done = self.expected[item_id]
        answer = self.browser.open(COLLECTION + item_id, "PATCH", json={"done": not done})
        if self.expect("toggle", answer, 200):
            self.expected[item_id] = (title, not done)

    def delete(self, item_id):
        if self.expect("delete", self.browser.open(COLLECTION + item_id, "DELETE"), 204):
            del self.expected[item_id]

    def read(self):
        """List the items: exactly this client's acknowledged ones, never another's."""
        answer = self.browser.get(COLLECTION + "?limit=200")
        if self.expect("list", answer, 200):
            listed = {item["_id"]: (item["title"], item["done"]) for item in answer.body["items"]}
            if listed != self.expected:
                self.surprises.append(("list", listed))

    def intrude(self):
        """Try to change or delete another client's item: it must look like it does not exist."""
        others = [item_id for item_id in self.shared_ids if item_id not in self.expected]
        if others:
            url = COLLECTION + self.random.choice(others)
            if self.random.random() < 0.5:
                answer = self.browser.open(url, "PATCH", json={"title": "stolen"})
            else:
                answer = self.browser.open(url, "DELETE")
            self.expect("intrude", answer, 404)

    def run(self, start):
        """Wait for the others, then make OPERATIONS random requests."""
        start.wait(TIMEOUT)
        for step in range(OPERATIONS):
            roll = self.random.random()
            own = self.random.choice(sorted(self.expected)) if self.expected else None
            if own is None or roll < 0.3:
                self.create(step)
            elif roll < 0.45:
                self.replace(own, step)
            elif roll < 0.55:
                self.toggle(own)
            elif roll < 0.65:
                self.delete(own)
            elif roll < 0.9:
                # Reads run concurrently with the others' writes: they must be right too.
                self.read()
            else:
                self.intrude()
        return self


@pytest.mark.slow
def test_concurrent_clients_lose_nothing_and_see_only_their_own_items(app, base_url, db):
    shared_ids = []
    workloads = []
    for number in range(CLIENTS):
        browser = registered_browser(app, base_url, f"client{number}")
        workloads.append(Workload(browser, number, shared_ids))
    start = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(workload.run, start) for workload in workloads]
        # Every request has its own timeout, so no client can take longer than this.
        finished = [future.result(TIMEOUT * (OPERATIONS + 1)) for future in futures]
    surprises = [surprise for workload in finished for surprise in workload.surprises]
    assert surprises == [], (
        "every request answers as the API promises, however many users send them at once;"
        f" {len(surprises)} did not, the first: {surprises[:1]} ({CONCURRENCY})"
    )
    for workload in finished:
        answer = workload.browser.get(f"{COLLECTION}?limit=200")
        assert answer.status_code == 200, f"the list answers, not {said(answer)} ({CONCURRENCY})"
        listed = {item["_id"]: (item["title"], item["done"]) for item in answer.body["items"]}
        assert listed == workload.expected, (
            f"each client sees exactly its acknowledged items ({CONCURRENCY})"
        )
        owner = db.users.find_one({"username": f"client{workload.number}"})["_id"]
        stored = {
            str(document["_id"]): (document["title"], document["done"])
            for document in db.items.find({"owner_id": owner})
        }
        assert stored == workload.expected, (
            f"the database holds exactly what was acknowledged ({CONCURRENCY})"
        )
    expected_total = sum(len(workload.expected) for workload in finished)
    assert db.items.count_documents({}) == expected_total, f"no phantom items ({CONCURRENCY})"

    for document in db.items.find():
        assert_item_rules(document, CONCURRENCY)


@pytest.fixture
def frequent_thread_switches():
    """Let threads take turns as often as Python allows, so that races show up."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


@pytest.mark.slow
def test_concurrent_reads_all_get_the_same_page(app, base_url, frequent_thread_switches):
    # Shared state in a request's path (such as a module-level dict a query changes) shows up
    # as sporadic 500s only when requests overlap: many reads at once bring it out.
    browser = registered_browser(app, base_url, "reader")
    db = database(app)
    owner_id = db.users.find_one({"username": "reader"})["_id"]
    # Straight into the database: through the API, an account adds only 60 items a minute.
    for number in range(100):
        made = LONG_AGO + timedelta(seconds=number)
        store_item(db, f"item {number}", owner_id=owner_id, created_at=made)
    page = COLLECTION + "?limit=100"
    expected = browser.get(page)
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda _: browser.get(page), range(CLIENTS * 10)))
    different = [answer for answer in answers if answer != expected]
    assert different == [], (
        "reads at the same moment all get the same page: no state shared between requests"
        f" (a module-level dict that a query changes, say); the first other: {different[:1]}"
        f" ({CONCURRENCY})"
    )


# ---------------------------------------------------------------- random bodies (Hypothesis)
