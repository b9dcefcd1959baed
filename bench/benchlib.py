"""What every benchmark shares: load a step by path, time cases in turn, print Markdown tables."""

import atexit
import cProfile
import gc
import http.client
import itertools
import logging
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import mongomock
import pymongo

# The checks' shared helpers load a step by path, build its app and log in: reuse them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "checks"))

from harness import servers
from harness.apps import (
    USERNAME,
    WRONG_PASSWORD,
    AuthActions,
    checks_config,
    database,
    step_module,
)
from harness.servers import FORM
from harness.steps import ROOT, STEPS_DIR

# The benchmarks use these through benchlib too: benchlib.ROOT, benchlib.database(app), ...
__all__ = ["ROOT", "STEPS_DIR", "database", "step_module"]

# The app's own warnings (no SECRET_KEY) and the server's request log would drown the tables.
logging.disable(logging.WARNING)

# BENCH_MONGO_URI=mongodb://... measures on that MongoDB server instead of mongomock, each app on
# a database of its own, dropped at the end. The server works in another process, so the clock
# is then the wall clock, not this process's CPU time.
MONGO_URI = os.environ.get("BENCH_MONGO_URI")
ENGINE = "the MongoDB server at BENCH_MONGO_URI" if MONGO_URI else "mongomock"
CLOCK = time.perf_counter if MONGO_URI else time.process_time


def step_dir(prefix):
    """Return the step folder whose name starts with prefix, e.g. "05"."""
    return next(STEPS_DIR.glob(f"{prefix}_*"))


def make_app(step, **overrides):
    """Build a step's app with the checks' settings on a fresh database (mongomock's, or not)."""
    # The checks' bcrypt cost 4 too: logging in is not what is measured here.
    if MONGO_URI:
        client = pymongo.MongoClient(MONGO_URI, tz_aware=True)
        name = f"bench_{uuid.uuid4().hex[:12]}"
        atexit.register(client.drop_database, name)
        overrides = {"MONGO_DBNAME": name, **overrides}
    else:
        client = mongomock.MongoClient(tz_aware=True)
    # Only the API is measured: any folder will do for the front end.
    config = checks_config(client, FRONTEND_PUBLIC=tempfile.gettempdir(), **overrides)
    return step_module(step, "app").create_app(config)


def logged_in_client(app, username="learner"):
    """Register and log in through the app's own forms; return the test client and the user's id."""
    auth = AuthActions(app)
    auth.register(username)
    auth.logout()
    response = auth.login(username)
    assert response.status_code == 302, response.status_code
    return auth.client, database(app).users.find_one({"username": username})["_id"]


def interleaved(cases, rounds, number=1, warmup=1):
    """Time each case `number` calls at a time, all cases in turn each round; seconds per call.

    Running the cases in turn, with the order rotated each round, spreads the noise of other
    work on the machine evenly over them, so their ratios stay fair. The clock is this process's
    CPU time (CLOCK; wall time on a server): other processes slow the wall clock, not that. As
    timeit does, the garbage collector is paused while a case runs, so a collection of
    everyone's garbage does not land on whichever case happens to be running.
    """
    names = list(cases)
    samples = {name: [] for name in names}
    for round_number in range(warmup + rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            gc.disable()
            start = CLOCK()
            for _ in range(number):
                cases[name]()
            elapsed = (CLOCK() - start) / number
            gc.enable()
            if round_number >= warmup:
                samples[name].append(elapsed)
    return samples


def median(values):
    """The median of a list of numbers."""
    return statistics.median(values)


def ratio(numerators, denominators):
    """The median of the round-by-round ratios of two interleaved series."""
    return median([a / b for a, b in zip(numerators, denominators, strict=True)])


def ms(seconds):
    """Seconds as milliseconds, for a table."""
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def table(headers, rows):
    """Print a Markdown table."""
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    print()


def heading(title, note=""):
    """Print a benchmark's title, and a line saying how it was measured."""
    print(f"### {title}\n")
    if note:
        print(f"{note}\n")


def is_builtin(filename):
    """Tell whether a profiled function is written in C (cProfile gives it no file)."""
    return filename.startswith("~") or filename.startswith("<")


def package_of(filename):
    """Name what a profiled function belongs to: a package, the standard library or a step."""
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if Path(sys.base_prefix) in path.parents:
        return f"standard library: {path.stem}"
    return "our code (the step)"


def profile(function, calls):
    """Profile `calls` calls of function; return pstats' table of every function's times."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        function()
    profiler.disable()
    return pstats.Stats(profiler).stats


def time_by_package(stats, limit=8):
    """Rows (owner, share of the time) from a profile, adding up each function's own time.

    A C function (dict copy, isoformat, sort...) counts for the package of whoever called it.
    """
    totals = {}
    for (filename, _line, _name), (_, _, own_time, _, callers) in stats.items():
        if is_builtin(filename) and callers:
            for (caller_file, _, _), (_, _, edge_time, _) in callers.items():
                owner = "C functions" if is_builtin(caller_file) else package_of(caller_file)
                totals[owner] = totals.get(owner, 0.0) + edge_time
        else:
            owner = "C functions" if is_builtin(filename) else package_of(filename)
            totals[owner] = totals.get(owner, 0.0) + own_time
    grand_total = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:limit]
    return [(owner, f"{100 * own / grand_total:.0f} %") for owner, own in ranked]


def top_functions(stats, calls, limit=8):
    """Rows (function, calls per run, share of the time) of the functions with most own time."""
    grand_total = sum(entry[2] for entry in stats.values())
    ranked = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:limit]
    rows = []
    for (filename, line, name), (_, ncalls, own_time, _, _) in ranked:
        folder_and_file = "/".join(Path(filename).parts[-2:])
        where = name if is_builtin(filename) else f"{folder_and_file}:{line} {name}"
        rows.append((f"`{where}`", ncalls // calls, f"{100 * own_time / grand_total:.0f} %"))
    return rows


# --- Requests to a served step, as a client behind the proxy -----------------------------------

# A request not answered by then counts as failed, at this time.
TIMEOUT = 30


def send(port, method, path, body=None, headers=None, address="192.0.2.1", timeout=TIMEOUT):
    """The checks' send(), but a request that fails or times out has the status "no answer"."""
    began = time.perf_counter()
    try:
        return servers.send(port, method, path, body, headers, address, timeout)
    except (OSError, http.client.HTTPException):
        return "no answer", {}, "", time.perf_counter() - began


def post_form(port, path, address, username, password):
    """Post the login or register form from address."""
    body = urlencode({"username": username, "password": password})
    return send(port, "POST", path, body, {"Content-Type": FORM}, address)


def wrong_login(port, client, number):
    """Post a wrong password from the client's number-th /64: (status, seconds)."""
    address = f"2001:db8:{client:x}:{number:x}::1"
    status, _, _, seconds = post_form(port, "/login", address, USERNAME, WRONG_PASSWORD)
    return status, seconds


@contextmanager
def looping(threads, send_one):
    """While the block runs, each of threads threads calls send_one(thread, number) without
    pause (number: 1, 2, ... of its calls); yield the list of their answers, filled meanwhile."""
    stop, answers, lock = threading.Event(), [], threading.Lock()

    def loop(thread):
        for number in itertools.count(1):
            if stop.is_set():
                return
            answer = send_one(thread, number)
            with lock:
                answers.append(answer)

    with ThreadPoolExecutor(threads) as pool:
        running = [pool.submit(loop, thread) for thread in range(threads)]
        try:
            yield answers
        finally:
            stop.set()
            # Each thread's last request is answered before the block's end counts as reached.
            for each in running:
                each.result()
