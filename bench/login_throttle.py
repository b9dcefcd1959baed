"""The login throttle: memory under huge usernames, cost per failed login, concurrent guesses.

bcrypt is not what is measured: the app runs at cost 4 (about 1 ms a check) for the timings, so
the throttle's own work shows; the concurrency run uses the default cost 12, whose 0.2 s is the
window in which concurrent guesses used to slip through.
"""

import hashlib
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import bcrypt
import benchlib

from harness.apps import PASSWORD, USERNAME, WRONG_PASSWORD, store_user
from harness.servers import free_port, http_status, serving, started

HUGE_NAME_BYTES = 450_000
HUGE_LOGINS = 150
TRIED_BEFORE = 100_000
# mongomock reads every document of a collection for each query (and again for its TTL index),
# so a login with 100,000 windows open takes about a second there: fewer of them.
ROUNDS = 7 if benchlib.MONGO_URI else 3
LOGINS_PER_ROUND = 20 if benchlib.MONGO_URI else 2
CONCURRENT_GUESSES = 20
CONCURRENCY_TRIALS = 3


def resident_mib(pid):
    """The resident memory of a process, in MiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def post_login(port, username, password):
    """Post the login form to 127.0.0.1:port; return the status (a 302 is not followed)."""
    body = urllib.parse.urlencode({"username": username, "password": password}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/login", data=body)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(request, timeout=30).status
    except urllib.error.HTTPError as error:
        return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Leave redirects alone: a 302 is the answer to look at."""

    def redirect_request(self, *args, **kwargs):
        """Follow no redirect."""
        return None


def memory_growth(step):
    """Start a step's server on the embedded database; RSS before and after the huge logins."""
    port = free_port()
    command = [sys.executable, "-m", "flask", "--app", f"{step}/app.py", "run", "--port", str(port)]
    with started(command, cwd=benchlib.ROOT) as server:
        server.wait_for(lambda: http_status(port), "answering")
        # A few ordinary failures first, so that what is lazily made once is made.
        for _ in range(3):
            post_login(port, "warm-up", WRONG_PASSWORD)
        before = resident_mib(server.process.pid)
        statuses = {
            post_login(port, "x" * HUGE_NAME_BYTES, WRONG_PASSWORD) for _ in range(HUGE_LOGINS)
        }
        after = resident_mib(server.process.pid)
    return before, after, statuses


def app_with_attempts(count):
    """Step 06's app at bcrypt cost 4, with `count` windows of distinct names already open."""
    # Every timed login comes from one address: a budget far above the rounds' logins keeps the
    # per-address budget counting (its cost is part of a failed login) without refusing them.
    app = benchlib.make_app(benchlib.step_dir("06"), PASSWORD_TRIES_PER_ADDRESS=1_000_000)
    attempts = benchlib.database(app).login_attempts
    expires_at = datetime.now(UTC) + timedelta(minutes=15)
    # As `count` failed logins of distinct names from one address would leave them, inserted
    # straight: the same documents, without 100,000 requests. The TTL index is made again after
    # the load, as for any bulk load: mongomock would scan the whole collection at each insert.
    if count:
        attempts.drop_index("expires_at_1")
        attempts.insert_many(
            {
                "_id": hashlib.sha256(f"tried{number}\n127.0.0.1".encode()).hexdigest(),
                "attempts": 1,
                "expires_at": expires_at,
            }
            for number in range(count)
        )
        attempts.create_index("expires_at", expireAfterSeconds=0)
    return app


def failed_login_cost():
    """Time a failed login of a new name with no window open and with TRIED_BEFORE open."""
    apps = {0: app_with_attempts(0), TRIED_BEFORE: app_with_attempts(TRIED_BEFORE)}
    counters = dict.fromkeys(apps, 0)

    def failed_login(tried):
        """One failed login of a name never tried before, on the app with `tried` windows."""
        counters[tried] += 1
        client = apps[tried].test_client()
        data = {"username": f"new{counters[tried]}", "password": WRONG_PASSWORD}
        response = client.post("/login", data=data)
        assert response.status_code == 401, response.status_code

    cases = {tried: (lambda tried=tried: failed_login(tried)) for tried in apps}
    samples = benchlib.interleaved(cases, ROUNDS, number=LOGINS_PER_ROUND)
    return {tried: benchlib.median(series) for tried, series in samples.items()}


def concurrent_guesses():
    """20 wrong passwords at once to a threaded server at bcrypt cost 12; statuses and checks."""
    results = []
    real_checkpw = bcrypt.checkpw
    for _ in range(CONCURRENCY_TRIALS):
        app = benchlib.make_app(benchlib.step_dir("06"), BCRYPT_ROUNDS=12)
        store_user(benchlib.database(app), USERNAME, PASSWORD, rounds=12)
        checked, lock = [0], threading.Lock()

        def counted_checkpw(password, hashed_password, checked=checked, lock=lock):
            with lock:
                checked[0] += 1
            return real_checkpw(password, hashed_password)

        bcrypt.checkpw = counted_checkpw
        try:
            with serving(app) as url:
                port = int(url.rsplit(":", 1)[1])
                with ThreadPoolExecutor(CONCURRENT_GUESSES) as pool:
                    guesses = [port] * CONCURRENT_GUESSES
                    statuses = list(
                        pool.map(lambda port: post_login(port, USERNAME, WRONG_PASSWORD), guesses)
                    )
        finally:
            bcrypt.checkpw = real_checkpw
        results.append((statuses.count(401), statuses.count(429), checked[0]))
    return results


def main():
    """Measure the three and print them."""
    benchlib.heading(
        "6a. Server memory after 150 failed logins with 450 kB usernames",
        "`flask run` of each step on its embedded database, resident memory (VmRSS) of the server"
        " process after three ordinary failed logins and after the 150 huge ones.",
    )
    rows = []
    for step in ("06",):
        folder = benchlib.step_dir(step).relative_to(benchlib.ROOT)
        before, after, statuses = memory_growth(folder)
        rows.append(
            (
                folder.name,
                f"{before:.1f} MiB",
                f"{after:.1f} MiB",
                f"{after - before:+.1f} MiB",
                ", ".join(map(str, sorted(statuses))),
            )
        )
    benchlib.table(["step", "before", "after", "growth (goal < 5 MiB)", "statuses"], rows)

    costs = failed_login_cost()
    benchlib.heading(
        f"6b. One failed login with 0 and {TRIED_BEFORE:,} names tried before",
        f"Step 06 on {benchlib.ENGINE}, bcrypt cost 4 (the throttle is measured, not bcrypt);"
        f" each login a new name, {LOGINS_PER_ROUND} per round, {ROUNDS} interleaved rounds,"
        f" median. The {TRIED_BEFORE:,} open windows are inserted straight into login_attempts.",
    )
    zero, many = costs[0], costs[TRIED_BEFORE]
    benchlib.table(
        ["names tried before", "per failed login"],
        [("0", benchlib.ms(zero)), (f"{TRIED_BEFORE:,}", benchlib.ms(many))],
    )
    print(f"- {TRIED_BEFORE:,} against 0: x{many / zero:.2f}.\n")

    benchlib.heading(
        f"6c. {CONCURRENT_GUESSES} wrong passwords at once",
        f"Step 06 on {benchlib.ENGINE} behind a threaded werkzeug server, bcrypt cost 12, the"
        f" default limit of 5; {CONCURRENT_GUESSES} threads post at once. Checked: calls of"
        " bcrypt.checkpw.",
    )
    rows = [
        (trial + 1, answered_401, answered_429, checked)
        for trial, (answered_401, answered_429, checked) in enumerate(concurrent_guesses())
    ]
    benchlib.table(["trial", "401", "429", "passwords checked (goal ≤ 5)"], rows)


if __name__ == "__main__":
    main()
