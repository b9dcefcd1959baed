"""Availability against make serve, round four: keys that split a client, indexes lost under a
running app, one account's items, and the low ones (a 1 MiB form, a MongoDB that hangs).

Each scenario starts `make serve` (waitress, as the Makefile has it) on a SecantusDB server of
its own, behind a pretend proxy (TRUSTED_PROXIES=1: every request names its client in
X-Forwarded-For), and prints one Markdown table. With a step folder as argument (a copy of
step 08 from another commit, in a tree of the same layout, with frontend/ beside steps/), the
same is measured on it: before and after. Scenario names after the folder run only those:

    .venv/bin/python bench/availability.py [STEP_FOLDER] [keys] [indexes] [items] [low]

- keys: 20 wrong passwords for one account, each from another address of one IPv6 /64; 30 from
  one IPv4 address with a new port each (203.0.113.50:PORT); a client behind a dual-stack proxy
  (::ffff:198.51.100.7) spends its budget, then another (::ffff:203.0.113.9) logs in. Posts go
  one after another: what is counted is which key each lands on, not a race.
- indexes: the database is dropped under the running app, then 30 registrations of one name
  at once, each from an address of its own (a 503 of a full queue is sent again, so that 30
  reach the account code); then `flask init-db` and a fresh `make serve` on what is left, and
  again with a name stored twice straight into the database.
- items: how many items one client creates in 10 s (8 connections, one account); then one
  account holding many items (stored straight into the database): its list page's database
  query and HTTP time, and another user's /api/me and list while 4 threads loop that page.
- low: a 1 MiB login form of repeated keys, alone and from 6 senders while a user asks
  /api/me; MongoDB stopped (SIGSTOP) while 64 clients post logins: /app.js, and the posts'
  answer times, from which the server threads they hold follow.
"""

import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import benchlib
import pymongo
from benchlib import FORM, looping, post_form, send, wrong_login

from harness.apps import PASSWORD, USERNAME, WRONG_PASSWORD
from harness.servers import MAKE_SERVE, make_serve, secantus_server, signal_group, started

DATABASE_NAME = "bench_availability"
# A request not answered by then counts as "no answer", at this time.
SAMPLES = 15
# keys
SAME_NETWORK_POSTS = 20
PORT_POSTS = 30
MAPPED_POSTS = 25
# indexes
TWIN_REGISTRATIONS = 30
TWIN_NAME = "twin"
# items
CREATE_SECONDS = 10
CREATE_CONNECTIONS = 8
LIST_LOOPERS = 4
PAGE = "/api/items/?limit=200"
# low
FORM_BYTES = 1_000_000
FORM_SENDERS = 6
HUNG_POSTERS = 64
HUNG_SAMPLES = 20
# pymongo's timeoutMS in step 08: how long a request waits for a MongoDB that hangs.
MONGO_TIMEOUT = 2.0


def load():
    """The load average over 1, 5 and 15 minutes, for the notes under a table."""
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def register(port, username, address):
    """Register through the form; return the session cookie."""
    status, headers, _, _ = post_form(port, "/register", address, username, PASSWORD)
    assert status == 302, f"registering {username} from {address}: {status}"
    return headers["Set-Cookie"].split(";")[0]


def get(port, path, cookie=None, address="203.0.113.20"):
    """GET path, logged in with cookie if given: (status, seconds)."""
    headers = {"Cookie": cookie or ""}
    status, _, _, seconds = send(port, "GET", path, headers=headers, address=address)
    return status, seconds


class Served:
    """make serve on a SecantusDB server of its own: its port, the database and both processes."""

    def __init__(self, port, uri, database_server, server, environment):
        self.port, self.uri = port, uri
        self.database_server, self.server = database_server, server
        self.environment = environment
        self.client = pymongo.MongoClient(uri, tz_aware=True)
        self.db = self.client[DATABASE_NAME]


def environment_for(step_dir, uri):
    """make serve's environment: the step, its settings, and one proxy in front."""
    environment = {
        **os.environ,
        "SECRET_KEY": secrets.token_hex(32),
        "MONGO_URI": uri,
        "MONGO_DBNAME": DATABASE_NAME,
        "TRUSTED_PROXIES": "1",
        "DIR": str(step_dir),
    }
    environment.pop("TRUSTED_HOSTS", None)
    return environment


@contextmanager
def serving(step_dir):
    """make serve running step_dir on a fresh SecantusDB server; yield a Served."""
    with (
        secantus_server() as (uri, database_server),
        serving_on(step_dir, uri, database_server) as served,
    ):
        yield served


@contextmanager
def serving_on(step_dir, uri, database_server):
    """make serve running step_dir on the SecantusDB server at uri; yield a Served."""
    environment = environment_for(step_dir, uri)
    with make_serve(environment, benchlib.ROOT) as (server, port):
        served = Served(port, uri, database_server, server, environment)
        try:
            yield served
        finally:
            served.client.close()


def median_worst(seconds):
    """Median / worst of some times, for a table."""
    return f"{benchlib.ms(statistics.median(seconds))} / {benchlib.ms(max(seconds))}"


def counted(statuses):
    """ "401: 5, 429: 15": how many of each status."""
    texts = [str(status) for status in statuses]
    return ", ".join(f"{status}: {texts.count(status)}" for status in sorted(set(texts)))


def timed_cell(samples):
    """Median / worst of (status, seconds) samples, and any status but 200."""
    text = median_worst([seconds for _, seconds in samples])
    others = [status for status, _ in samples if status != 200]
    return text + (f" ({counted(others)})" if others else "")


# keys ------------------------------------------------------------------------------------------


def keys(step_dir):
    """Rows: how many wrong passwords each way of splitting one client gets checked."""
    rows = []
    with serving(step_dir) as served:
        port = served.port
        register(port, USERNAME, "192.0.2.10")
        register(port, "other", "192.0.2.11")
        statuses = [
            post_form(port, "/login", f"2001:db8:26:1::{n + 1:x}", USERNAME, WRONG_PASSWORD)[0]
            for n in range(SAME_NETWORK_POSTS)
        ]
        rows.append(
            (
                f"{SAME_NETWORK_POSTS} wrong passwords, one account, each from another address of"
                " 2001:db8:26:1::/64",
                statuses.count(401),
                counted(statuses),
            )
        )
        statuses = [
            post_form(port, "/login", f"203.0.113.50:{40000 + n}", USERNAME, WRONG_PASSWORD)[0]
            for n in range(PORT_POSTS)
        ]
        rows.append(
            (
                f"{PORT_POSTS} wrong passwords from 203.0.113.50:PORT, a new port each",
                statuses.count(401),
                counted(statuses),
            )
        )
        statuses = [
            post_form(port, "/login", "::ffff:198.51.100.7", USERNAME, WRONG_PASSWORD)[0]
            for _ in range(MAPPED_POSTS)
        ]
        rows.append(
            (
                f"{MAPPED_POSTS} wrong passwords from ::ffff:198.51.100.7",
                statuses.count(401),
                counted(statuses),
            )
        )
        status = post_form(port, "/login", "::ffff:203.0.113.9", "other", PASSWORD)[0]
        rows.append(
            ("then another client, ::ffff:203.0.113.9, logs in with its right password", "", status)
        )
    return rows


# indexes ---------------------------------------------------------------------------------------


def register_until_answered(port, address, deadline):
    """Register TWIN_NAME from address, again after each 503 of a full queue: (status, 503s)."""
    busy = 0
    while True:
        status = post_form(port, "/register", address, TWIN_NAME, PASSWORD)[0]
        if status != 503 or time.monotonic() > deadline:
            return status, busy
        busy += 1
        time.sleep(0.05)


def twin_registrations(served):
    """Drop the database under the app, then register one name 30 times at once."""
    served.client.drop_database(DATABASE_NAME)
    deadline = time.monotonic() + 120
    with ThreadPoolExecutor(TWIN_REGISTRATIONS) as pool:
        results = list(
            pool.map(
                lambda n: register_until_answered(served.port, f"198.18.0.{n + 1}", deadline),
                range(TWIN_REGISTRATIONS),
            )
        )
    statuses = [status for status, _ in results]
    busy = sum(count for _, count in results)
    accounts = served.db.users.count_documents({"username": TWIN_NAME})
    return accounts, f"{counted(statuses)}; {busy} busy 503s sent again"


def last_line(text):
    """The last line of some output that is not blank nor make's own, shortened."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("make: ")]
    line = lines[-1] if lines else "(nothing)"
    return line if len(line) <= 110 else line[:107] + "..."


def init_db(step_dir, environment):
    """Run the step's `flask init-db` on the database: what it says, in a few words."""
    command = [str(Path(sys.executable).parent / "flask"), "--app", f"{step_dir}/app.py", "init-db"]
    done = subprocess.run(
        command,
        cwd=benchlib.ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    shape = "a traceback" if "Traceback" in output else f"{len(output.splitlines())} line(s)"
    return f"status {done.returncode}, {shape}: `{last_line(output)}`"


def serve_starts(environment):
    """Start make serve on the database as it is: whether it serves, or how it stops."""
    with started(MAKE_SERVE, cwd=benchlib.ROOT, env=environment) as server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "Serving on http" in server.output():
                return "starts and serves"
            exited = server.process.poll()
            if exited is not None:
                output = server.output()
                shape = "a traceback" if "Traceback" in output else "no traceback"
                return f"exits with status {exited}, {shape}: `{last_line(output)}`"
            time.sleep(0.05)
        return "neither serves nor exits in 60 s"


def indexes(step_dir):
    """Rows: accounts one name gets after a reset under the app, then init-db and make serve."""
    rows = []
    with secantus_server() as (uri, database_server):
        with serving_on(step_dir, uri, database_server) as served:
            accounts, statuses = twin_registrations(served)
            rows.append(
                (
                    f"{TWIN_REGISTRATIONS} registrations of one name at once, database dropped"
                    " under the app",
                    f"{accounts} account(s) named {TWIN_NAME}",
                    statuses,
                )
            )
            environment = served.environment
        # make serve has stopped; the database server goes on, with what it holds.
        rows.append(("then `flask init-db`", init_db(step_dir, environment), ""))
        rows.append(("then `make serve`", serve_starts(environment), ""))
        with pymongo.MongoClient(served.uri) as client:
            users = client[DATABASE_NAME].users
            users.drop_indexes()
            twin = users.find_one({"username": TWIN_NAME}, {"_id": 0})
            users.insert_one(dict(twin))
            held = users.count_documents({"username": TWIN_NAME})
        rows.append(
            (
                "a name stored twice straight into the database (index dropped first),"
                " then `flask init-db`",
                init_db(step_dir, environment),
                f"{held} accounts named {TWIN_NAME}",
            )
        )
        rows.append(("then `make serve`", serve_starts(environment), ""))
    return rows


# items -----------------------------------------------------------------------------------------


def create_item(port, cookie, number):
    """POST a new item for one account: its status."""
    body = json.dumps({"title": f"item {number}"})
    headers = {"Cookie": cookie, "Content-Type": "application/json"}
    return send(port, "POST", "/api/items/", body, headers, "203.0.113.40")[0]


def creation_rate(port, cookie):
    """Items one account creates in CREATE_SECONDS from CREATE_CONNECTIONS connections."""
    creating = looping(CREATE_CONNECTIONS, lambda _, number: create_item(port, cookie, number))
    with creating as statuses:
        time.sleep(CREATE_SECONDS)
    return statuses


def store_items(db, owner_id, count):
    """Store count items for one account straight into the database, a second apart."""
    now = datetime.now(UTC)
    items = []
    for number in range(count):
        created_at = now - timedelta(seconds=number)
        items.append(
            {
                "title": f"stored {number}",
                "done": False,
                "created_at": created_at,
                "updated_at": created_at,
                "owner_id": owner_id,
            }
        )
    for start in range(0, count, 1000):
        db.items.insert_many(items[start : start + 1000])


def page_query_times(db, owner_id):
    """The list page's own query (as api.py sends it, limit 200), timed from outside: seconds."""
    times = []
    for _ in range(SAMPLES):
        began = time.perf_counter()
        cursor = db.items.find({"owner_id": owner_id}, {"owner_id": 0})
        cursor = cursor.sort([("created_at", -1), ("_id", -1)]).limit(200)
        list(cursor)
        times.append(time.perf_counter() - began)
    return times


def keys_examined(db, owner_id):
    """Keys and documents the server examined for that query, from explain(), if it says."""
    try:
        cursor = db.items.find({"owner_id": owner_id}, {"owner_id": 0})
        plan = cursor.sort([("created_at", -1), ("_id", -1)]).limit(200).explain()
    except pymongo.errors.PyMongoError as error:
        return f"explain failed: {type(error).__name__}"
    stats = plan.get("executionStats", {})
    if not stats:
        return "explain gives no executionStats"
    return f"{stats.get('totalKeysExamined')} keys, {stats.get('totalDocsExamined')} documents"


def get_page(port, cookie):
    """GET the heavy account's list page: its status."""
    return send(port, "GET", PAGE, headers={"Cookie": cookie}, address="203.0.113.41")[0]


def other_user(port, cookie):
    """Another user's /api/me and list page, SAMPLES of each: {what: [(status, seconds)]}."""
    found = {"GET /api/me": [], "GET /api/items/": []}
    for _ in range(SAMPLES):
        found["GET /api/me"].append(get(port, "/api/me", cookie))
        found["GET /api/items/"].append(get(port, "/api/items/", cookie))
        time.sleep(0.05)
    return found


def items(step_dir, heavy_items):
    """Rows: items created in 10 s; one heavy account's page; another user beside it."""
    rows = []
    with serving(step_dir) as served:
        port = served.port
        maker = register(port, "maker", "192.0.2.20")
        statuses = creation_rate(port, maker)
        made = statuses.count(201)
        rows.append(
            (
                f"items one account creates in {CREATE_SECONDS} s"
                f" ({CREATE_CONNECTIONS} connections)",
                f"{made} ({made / CREATE_SECONDS:.0f} items/s)",
                counted(statuses),
            )
        )
        heavy = register(port, "heavy", "192.0.2.21")
        other = register(port, "other", "192.0.2.22")
        heavy_id = served.db.users.find_one({"username": "heavy"})["_id"]
        other_id = served.db.users.find_one({"username": "other"})["_id"]
        store_items(served.db, heavy_id, heavy_items)
        store_items(served.db, other_id, 20)
        query = page_query_times(served.db, heavy_id)
        rows.append(
            (
                f"the heavy account's page query ({heavy_items:,} items, limit 200), from outside",
                median_worst(query),
                keys_examined(served.db, heavy_id),
            )
        )
        page = [get(port, PAGE, heavy) for _ in range(SAMPLES)]
        rows.append((f"the heavy account's `GET {PAGE}`", timed_cell(page), ""))
        idle = other_user(port, other)
        with looping(LIST_LOOPERS, lambda _thread, _number: get_page(port, heavy)):
            time.sleep(1)
            busy = other_user(port, other)
        for what in idle:
            rows.append(
                (
                    f"another user's `{what}` (20 items), idle / while {LIST_LOOPERS} threads"
                    " loop the heavy page",
                    timed_cell(idle[what]),
                    timed_cell(busy[what]),
                )
            )
    return rows


# low -------------------------------------------------------------------------------------------


def big_form(port, address):
    """Post a login form of FORM_BYTES of repeated keys: (status, seconds)."""
    body = ("username=a&" * (FORM_BYTES // 11 + 1))[:FORM_BYTES]
    status, _, _, seconds = send(port, "POST", "/login", body, {"Content-Type": FORM}, address)
    return status, seconds


def hang(process):
    """Stop a server with SIGSTOP, and wait until each of its threads has stopped."""
    signal_group(process, signal.SIGSTOP)
    tasks = Path(f"/proc/{process.pid}/task")
    deadline = time.monotonic() + 10
    while tasks.is_dir() and time.monotonic() < deadline:
        states = []
        for task in tasks.iterdir():
            with suppress(OSError, IndexError):
                states.append((task / "stat").read_text().rpartition(")")[2].split()[0])
        if all(state == "T" for state in states):
            return
        time.sleep(0.01)


def low(step_dir):
    """Rows: a 1 MiB form, alone and from 6 senders; logins posted to a MongoDB that hangs."""
    rows = []
    with serving(step_dir) as served:
        port = served.port
        cookie = register(port, USERNAME, "192.0.2.30")
        alone = [big_form(port, "198.51.100.99") for _ in range(5)]
        what = f"a login form of {FORM_BYTES:,} bytes of repeated keys, alone (5)"
        rows.append((what, timed_cell(alone), ""))
        idle = [get(port, "/api/me", cookie) for _ in range(SAMPLES)]

        def send_form(sender, _number):
            return big_form(port, f"198.51.100.{100 + sender}")

        with looping(FORM_SENDERS, send_form) as answers:
            time.sleep(1)
            busy = []
            for _ in range(SAMPLES):
                busy.append(get(port, "/api/me", cookie))
                time.sleep(0.1)
        rows.append(
            (
                f"a user's `GET /api/me`, idle / while {FORM_SENDERS} senders post such forms",
                timed_cell(idle),
                timed_cell(busy),
            )
        )
        rows.append(
            (
                "the senders' forms meanwhile",
                timed_cell(answers),
                f"{len(answers)} posts",
            )
        )
        idle_js = [get(port, "/app.js") for _ in range(SAMPLES)]
        hang(served.database_server.process)
        began = time.perf_counter()
        try:
            with looping(
                HUNG_POSTERS, lambda client, number: wrong_login(port, client + 100, number)
            ) as answers:
                time.sleep(0.5)
                hung_js = []
                for _ in range(HUNG_SAMPLES):
                    hung_js.append(get(port, "/app.js"))
                    time.sleep(0.2)
            # Until the last post is answered: each of them held its thread inside it.
            window = time.perf_counter() - began
        finally:
            signal_group(served.database_server.process, signal.SIGCONT)
        rows.append(
            (
                f"`GET /app.js`, idle / while {HUNG_POSTERS} clients post logins to a stopped"
                " MongoDB",
                timed_cell(idle_js),
                timed_cell(hung_js),
            )
        )
        waited = [seconds for _, seconds in answers if seconds >= MONGO_TIMEOUT * 0.75]
        held = len(waited) * MONGO_TIMEOUT / window
        rows.append(
            (
                "the login posts meanwhile",
                f"{len(answers)} posts in {window:.1f} s: {counted(s for s, _ in answers)};"
                f" {timed_cell(answers)}",
                f"{len(waited)} waited ≥ {MONGO_TIMEOUT * 0.75:.1f} s: about {held:.0f} threads"
                " held on average",
            )
        )
    return rows


# main ------------------------------------------------------------------------------------------

SCENARIOS = ["keys", "indexes", "items", "low"]


def main():
    """Measure the step folder given (or step 08) and print a table per scenario."""
    arguments = sys.argv[1:]
    chosen = [name for name in arguments if name in SCENARIOS] or SCENARIOS
    folders = [name for name in arguments if name not in SCENARIOS]
    step_dir = Path(folders[0]).resolve() if folders else benchlib.step_dir("08")
    # A step with a cap on an account's items gets an account at the cap; one without, 8,000.
    capped = "MAX_ITEMS_PER_USER" in (step_dir / "api.py").read_text()
    heavy_items = 1000 if capped else 8000
    heavy_items = int(os.environ.get("BENCH_HEAVY_ITEMS", heavy_items))
    print(f"Step folder: {step_dir}; `{' '.join(MAKE_SERVE)}`, TRUSTED_PROXIES=1.\n")
    for name in chosen:
        started_at, load_before = time.perf_counter(), load()
        if name == "keys":
            benchlib.heading(f"9a. Keys that split a client: {step_dir.name}")
            benchlib.table(["posts", "checked (401)", "statuses"], keys(step_dir))
        elif name == "indexes":
            benchlib.heading(f"9b. Indexes lost under a running app: {step_dir.name}")
            benchlib.table(["what", "result", "answers"], indexes(step_dir))
        elif name == "items":
            benchlib.heading(f"9c. One account's items: {step_dir.name}")
            benchlib.table(["what", "figure", ""], items(step_dir, heavy_items))
        else:
            benchlib.heading(f"9d. The low ones: {step_dir.name}")
            benchlib.table(["what", "figure", ""], low(step_dir))
        took = time.perf_counter() - started_at
        print(f"- {name}: {took:.0f} s; load average (1/5/15 min) {load_before} → {load()}.\n")


if __name__ == "__main__":
    main()
