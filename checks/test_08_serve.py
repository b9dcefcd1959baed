"""make serve for real, on a SecantusDB server of its own: one client cannot stall the site.

The red team's attacks on the production recipe, each bounded in count and time and sent to
127.0.0.1 only: a flood of password posts from one address, a MongoDB that hangs, connections
that send one byte or nothing, clients that drip a body one byte a second, a page whose host
name points at the server. One `make serve`
(and one SecantusDB, which the hang check stops) serves every check of this module.
"""

import os
import secrets
import signal
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pymongo
import pytest

from harness.apps import FRONTEND_PUBLIC, PASSWORD, WRONG_PASSWORD
from harness.sections import HUNG_DATABASE, OWN_HOSTS, PASSWORD_BUDGET, SERVE_RECIPE
from harness.servers import (
    FORM,
    STOP_TIMEOUT,
    make_serve,
    post_form,
    real_server_only,
    secantus_server,
    send,
    signal_group,
)
from harness.steps import ROOT

pytestmark = [pytest.mark.steps(8, 8), pytest.mark.hardening]

DATABASE_NAME = "make_serve_checks"
# The red team's flood: 16 clients at one address, for as long as it takes the budget to run out
# and then at least FLOOD_AFTER_BUDGET seconds more, never longer than FLOOD_AT_MOST.
FLOOD_CLIENTS = 16
FLOOD_AFTER_BUDGET = 2
FLOOD_AT_MOST = 40
# What the logged-in user's GET /api/me may take meanwhile (25 ms with no flood; seconds under
# one without the password budget and threads): seconds, and how often it is asked.
MEDIAN_AT_MOST = 0.1
P90_AT_MOST = 0.5
MIN_SAMPLES = 40
SAMPLE_PAUSE = 0.05
# A MongoDB that hangs: GET /api/me answers 503 within this many seconds (MONGO_TIMEOUT_MS is 2)
# while requests that need no database answer within the second, several of each at once.
HUNG_ANSWER_AT_MOST = 5
AT_ONCE_AT_MOST = 1
HUNG_REQUESTS = 6
# How long after SIGCONT the database may take to be found again.
RECOVERY_AT_MOST = 30
# Slow clients: three bodies dripped at one byte a second, for this many seconds.
DRIPPERS = 3
DRIP_SECONDS = 3
# Connections that send the first byte of a request line and then nothing, and connections that
# send nothing at all; the visitor's requests meanwhile, to each path.
ONE_BYTE_CONNECTIONS = 100
SILENT_CONNECTIONS = 30
VISITS = 10
# Under those connections, a visitor's median and slowest answer may be this many times the
# idle ones of the same check, and never need be under NEVER_UNDER seconds (a busy machine's
# blips); a server that gives a thread to each such connection takes seconds.
TIMES_IDLE = 10
NEVER_UNDER = 0.25
# Seconds a visit may wait for its answer at all.
VISIT_TIMEOUT = 10


@dataclass
class Served:
    """make serve running: its process, its port, and the SecantusDB process it uses."""

    server: object
    port: int
    database_server: object
    db: object


def register(served, username, address):
    """Register a new account from address; return its session cookie."""
    status, headers, text, _ = post_form(
        served.port, "/register", address, username=username, password=PASSWORD
    )
    assert status == 302, f"registering {username} under make serve: {status} {text[:300]}"
    return headers["Set-Cookie"].split(";")[0]


def me(served, cookie, address):
    """GET /api/me as the user with this cookie: (status, seconds)."""
    status, _, _, seconds = send(
        served.port, "GET", "/api/me", headers={"Cookie": cookie}, address=address
    )
    return status, seconds


@pytest.fixture(scope="module")
def served(mongo_server):
    """make serve on a SecantusDB server of its own, behind a proxy (TRUSTED_PROXIES=1)."""
    # Its own server: the hang check stops it, which no other check may feel.
    real_server_only(mongo_server, needs_secantus=True)
    if not (FRONTEND_PUBLIC / "app.js").is_file():
        pytest.fail("The front end is not built: run `make frontend` first.", pytrace=False)
    with secantus_server() as (uri, database_server):
        environment = {
            **os.environ,
            "SECRET_KEY": secrets.token_hex(32),
            "MONGO_URI": uri,
            "MONGO_DBNAME": DATABASE_NAME,
            "TRUSTED_PROXIES": "1",
        }
        environment.pop("TRUSTED_HOSTS", None)
        with (
            pymongo.MongoClient(uri) as client,
            make_serve(environment, ROOT) as (server, port),
        ):
            yield Served(server, port, database_server, client[DATABASE_NAME])


@pytest.mark.real_server
@pytest.mark.slow
def test_make_serve_runs_waitress_with_the_settings_of_the_environment(served):
    _, headers, _, _ = send(served.port, "GET", "/login")
    assert headers.get("Server") == "waitress", (
        f"make serve runs waitress, which reads each request whole before a thread runs it; the"
        f" answer's Server header was {headers.get('Server')!r} ({SERVE_RECIPE})"
    )
    log = served.server.output()
    assert "Embedded database" not in log, f"make serve uses MONGO_URI ({SERVE_RECIPE})"
    assert "SECRET_KEY is not set" not in log, f"make serve uses SECRET_KEY ({SERVE_RECIPE})"


def flooded_enough(samples, refused_since):
    """Tell whether the flood has run long enough: the samples taken, the budget long spent."""
    return (
        len(samples) >= MIN_SAMPLES
        and refused_since is not None
        and time.monotonic() - refused_since >= FLOOD_AFTER_BUDGET
    )


FLOODS = [
    pytest.param("/login", False, id="fresh-name-logins"),
    pytest.param("/register", True, id="taken-name-registers"),
]


@pytest.mark.real_server
@pytest.mark.slow
@pytest.mark.parametrize(("path", "taken_name"), FLOODS)
def test_a_flood_of_password_posts_from_one_address_leaves_the_site_fast(served, path, taken_name):
    case = path.strip("/")
    cookie = register(served, f"reader-{case}", "203.0.113.20")
    taken = f"taken-{case}"
    if taken_name:
        register(served, taken, "203.0.113.21")
    flooder = f"198.51.100.{len(case)}"
    stop, answers, lock = threading.Event(), [], threading.Lock()

    def post_once(client, number):
        """Post the form once, under a fresh name unless the name is taken; keep the answer."""
        name = taken if taken_name else f"fresh-{client}-{number}"
        status, headers, _, _ = post_form(
            served.port, path, flooder, username=name, password=WRONG_PASSWORD
        )
        with lock:
            answers.append((time.monotonic(), status, headers.get("Retry-After")))

    def flood(client):
        """Post the form again and again until stop is set."""
        for number in range(100_000):
            if stop.is_set():
                return
            post_once(client, number)

    def first_refusal():
        """When the flood's first 429 came back, or None."""
        with lock:
            return next((when for when, status, _ in answers if status == 429), None)

    # One post alone first makes the address's count: SecantusDB 0.7.0b3 answers None to some
    # upserts that race to make a document (MongoDB never does), and the step would answer 500.
    post_once("first", 0)
    samples, statuses = [], []
    with ThreadPoolExecutor(FLOOD_CLIENTS) as pool:
        floods = [pool.submit(flood, client) for client in range(FLOOD_CLIENTS)]
        began = time.monotonic()
        try:
            while time.monotonic() - began < FLOOD_AT_MOST:
                if flooded_enough(samples, first_refusal()):
                    break
                status, seconds = me(served, cookie, "203.0.113.20")
                statuses.append(status)
                samples.append(seconds)
                time.sleep(SAMPLE_PAUSE)
        finally:
            stop.set()
        for running in floods:
            running.result()
    flood_statuses = [status for _, status, _ in answers]
    checked = [status for status in flood_statuses if status not in (429, 503)]
    assert 429 in flood_statuses, (
        f"{len(answers)} posts to {path} from one address in {FLOOD_AT_MOST} s, and none was"
        f" refused: a budget of password tries per address (PASSWORD_TRIES_PER_ADDRESS) answers"
        f" 429 once it is spent ({PASSWORD_BUDGET})"
    )
    assert len(checked) <= 20, (
        f"at most 20 posts from one address reach the password check, whatever the names:"
        f" {len(checked)} did ({sorted(set(checked))}) ({PASSWORD_BUDGET})"
    )
    assert set(checked) <= {401 if path == "/login" else 409}, (
        f"the posts within the budget are failed logins (401) or taken names (409):"
        f" {sorted(set(checked))} ({PASSWORD_BUDGET})"
    )
    waits = {wait for _, status, wait in answers if status == 429}
    assert None not in waits, f"every 429 says how long to wait: Retry-After ({PASSWORD_BUDGET})"
    assert set(statuses) == {200}, f"the user's GET /api/me answered {sorted(set(statuses))}"
    samples.sort()
    median, p90 = statistics.median(samples), samples[int(len(samples) * 0.9) - 1]
    timing = (
        f"{len(samples)} GET /api/me of a logged-in user while {FLOOD_CLIENTS} clients at one"
        f" address posted {len(answers)} times to {path}: median {median * 1000:.0f} ms, 90th"
        f" percentile {p90 * 1000:.0f} ms, slowest {samples[-1] * 1000:.0f} ms"
    )
    assert median <= MEDIAN_AT_MOST, (
        f"{timing}; the median must stay within {MEDIAN_AT_MOST * 1000:.0f} ms: the budget stops"
        f" the bcrypt work of one address, and leaves the other threads free"
        f" ({PASSWORD_BUDGET})"
    )
    assert p90 <= P90_AT_MOST, (
        f"{timing}; the 90th percentile must stay within {P90_AT_MOST * 1000:.0f} ms"
        f" ({PASSWORD_BUDGET})"
    )


@pytest.mark.real_server
@pytest.mark.slow
def test_a_hung_database_is_a_503_while_pages_that_need_none_answer(served):
    address = "203.0.113.30"
    cookie = register(served, "hung-reader", address)
    assert me(served, cookie, address)[0] == 200, "GET /api/me answers before the database hangs"
    hang(served.database_server.process)
    try:
        with ThreadPoolExecutor(HUNG_REQUESTS) as pool:
            waiting = [pool.submit(me, served, cookie, address) for _ in range(HUNG_REQUESTS)]
            # While those wait for MongoDB, a visitor loads the login page and its script.
            time.sleep(0.2)
            pages = []
            for path in ["/login", "/app.js", "/login", "/app.js"]:
                status, _, _, seconds = send(served.port, "GET", path, address=address, timeout=10)
                pages.append((path, status, seconds))
            hung = [request.result() for request in waiting]
    finally:
        signal_group(served.database_server.process, signal.SIGCONT)
    answers = ", ".join(f"{status} in {seconds:.1f} s" for status, seconds in hung)
    for status, seconds in hung:
        assert status == 503, (
            f"GET /api/me with MongoDB stopped (SIGSTOP) answers 503: pymongo's timeoutMS turns"
            f" a server that hangs into an error; the {HUNG_REQUESTS} answers were {answers}"
            f" ({HUNG_DATABASE})"
        )
        assert seconds <= HUNG_ANSWER_AT_MOST, (
            f"GET /api/me with MongoDB stopped answered after {seconds:.1f} s; within"
            f" {HUNG_ANSWER_AT_MOST} s expected: give MongoClient timeoutMS=MONGO_TIMEOUT_MS"
            f" ({HUNG_DATABASE})"
        )
    for path, status, seconds in pages:
        assert status == 200, f"GET {path} needs no database: 200, not {status} ({HUNG_DATABASE})"
        assert seconds <= AT_ONCE_AT_MOST, (
            f"GET {path} took {seconds:.1f} s while {HUNG_REQUESTS} requests waited for a"
            f" MongoDB that hangs; within {AT_ONCE_AT_MOST} s expected: each of them holds one"
            f" thread, and make serve has more ({HUNG_DATABASE})"
        )
    deadline = time.monotonic() + RECOVERY_AT_MOST
    while me(served, cookie, address)[0] != 200:
        assert time.monotonic() < deadline, (
            f"after SIGCONT, GET /api/me answers 200 again within {RECOVERY_AT_MOST} s"
            f" ({HUNG_DATABASE})"
        )
        time.sleep(0.2)


def hang(process):
    """Stop a server with SIGSTOP, and wait until each of its threads has stopped."""
    signal_group(process, signal.SIGSTOP)
    # A thread in the middle of a disk read stops only when the read is done: until then it
    # could still answer. /proc says when every thread of the process has stopped (state T).
    tasks = Path(f"/proc/{process.pid}/task")
    deadline = time.monotonic() + STOP_TIMEOUT
    while tasks.is_dir() and time.monotonic() < deadline:
        states = [thread_state(task) for task in tasks.iterdir()]
        if all(state in ("T", None) for state in states):
            return
        time.sleep(0.01)


def thread_state(task):
    """The state letter of a thread in /proc (R, S, D, T ...), or None if it has gone."""
    try:
        # pid (name) state ...: the name may hold spaces and parentheses, so split after it.
        return (task / "stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return None


def drip(port, stop):
    """Post a chunked body one byte a second until stop is set, as a slow client does."""
    with socket.create_connection(("127.0.0.1", port), timeout=STOP_TIMEOUT) as connection:
        connection.sendall(
            f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {FORM}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        body = b"".join(b"1\r\n" + bytes([byte]) + b"\r\n" for byte in b"username=learner")
        for byte in body:
            if stop.wait(1):
                return
            connection.sendall(bytes([byte]))


@pytest.mark.real_server
@pytest.mark.slow
def test_slow_bodies_leave_the_login_page_answering(served):
    stop, pages = threading.Event(), []
    with ThreadPoolExecutor(DRIPPERS) as pool:
        drippers = [pool.submit(drip, served.port, stop) for _ in range(DRIPPERS)]
        try:
            # The bodies' first bytes are in: each dripper holds a thread in its body's read.
            time.sleep(1.5)
            deadline = time.monotonic() + DRIP_SECONDS - 1.5
            while time.monotonic() < deadline:
                status, _, _, seconds = send(served.port, "GET", "/login", timeout=10)
                pages.append((status, seconds))
                time.sleep(0.2)
        finally:
            stop.set()
        for dripper in drippers:
            dripper.result()
    slow = [f"{seconds:.1f} s" for status, seconds in pages if seconds > AT_ONCE_AT_MOST]
    assert pages, "GET /login was asked while the bodies dripped"
    assert {status for status, _ in pages} == {200}, f"GET /login answered {pages}"
    assert slow == [], (
        f"{DRIPPERS} clients dripping a chunked body at one byte a second: GET /login took"
        f" {', '.join(slow)} of {len(pages)} times; within {AT_ONCE_AT_MOST} s expected: make"
        f" serve's waitress reads a body before any thread runs its request ({SERVE_RECIPE})"
    )


def visits(port, while_held=""):
    """Time VISITS requests for a static file and a page, one after another: {path: seconds}."""
    taken = {"/app.js": [], "/login": []}
    for _ in range(VISITS):
        for path, seconds in taken.items():
            try:
                status, _, text, took = send(port, "GET", path, timeout=VISIT_TIMEOUT)
            except OSError as error:
                pytest.fail(
                    f"GET {path} got no answer in {VISIT_TIMEOUT} s ({error}){while_held}. A"
                    f" server that reads a request in the thread that runs it gives each such"
                    f" connection a thread: make serve runs waitress, which reads requests"
                    f" whole before a thread takes them ({SERVE_RECIPE})",
                    pytrace=False,
                )
            assert status == 200, f"GET {path} answered {status}: {text[:200]}"
            seconds.append(took)
    return taken


def open_connections(stack, port, count, first_bytes):
    """Open count connections that send first_bytes, then nothing; the stack closes them."""
    for _ in range(count):
        connection = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
        if first_bytes:
            connection.sendall(first_bytes)


@pytest.mark.real_server
@pytest.mark.slow
def test_slow_and_silent_connections_leave_the_site_answering(served):
    idle = visits(served.port)
    with ExitStack() as stack:
        open_connections(stack, served.port, ONE_BYTE_CONNECTIONS, b"G")
        open_connections(stack, served.port, SILENT_CONNECTIONS, b"")
        # Each connection is in, and has sent what it will send.
        time.sleep(1)
        held = visits(
            served.port,
            f" while {ONE_BYTE_CONNECTIONS} connections had sent one byte and"
            f" {SILENT_CONNECTIONS} nothing",
        )
    for path in idle:
        for name, figure in [("median", statistics.median), ("slowest", max)]:
            before, during = figure(idle[path]), figure(held[path])
            bound = max(TIMES_IDLE * before, NEVER_UNDER)
            assert during <= bound, (
                f"GET {path}: {name} {during * 1000:.0f} ms of {VISITS} while"
                f" {ONE_BYTE_CONNECTIONS} connections had sent one byte and {SILENT_CONNECTIONS}"
                f" nothing, against {before * 1000:.0f} ms idle; at most {bound * 1000:.0f} ms"
                f" expected. A server that reads a request in the thread that runs it gives"
                f" each such connection a thread: make serve runs waitress, which reads requests"
                f" whole before a thread takes them ({SERVE_RECIPE})"
            )


@pytest.mark.real_server
@pytest.mark.slow
def test_a_page_whose_name_points_at_the_server_registers_nobody(served):
    host = f"rebind.evil.example:{served.port}"
    rebinding = {"Host": host, "Origin": f"http://{host}", "Content-Type": FORM}
    body = urlencode({"username": "rebound", "password": PASSWORD})
    status, _, text, _ = send(served.port, "POST", "/register", body, rebinding)
    assert status == 400, (
        f"POST /register with Host: {host} and a matching Origin answers 400: the name is not"
        f" one of TRUSTED_HOSTS (127.0.0.1 and localhost by default); it answered {status}"
        f" {text[:200]} ({OWN_HOSTS})"
    )
    assert served.db.users.find_one({"username": "rebound"}) is None, (
        f"nobody is registered ({OWN_HOSTS})"
    )
