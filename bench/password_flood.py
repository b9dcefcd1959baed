"""A login flood from many networks against make serve: how fast the rest of the site answers.

64 clients post wrong passwords to /login without pause, each post from an IPv6 /64 of its own
(X-Forwarded-For, TRUSTED_PROXIES=1), so that no budget per address stops any of them. Meanwhile
one client times GET /app.js, a logged-in user's GET /api/me, and a real login. make serve runs
on a SecantusDB server of its own. With a step folder as argument (a copy of step 08 from another
commit, in a tree of the same layout), the same is measured on it: before and after.
"""

import os
import secrets
import statistics
import sys
import time
from pathlib import Path

import benchlib
from benchlib import looping, post_form, send, wrong_login

from harness.apps import PASSWORD, USERNAME
from harness.servers import MAKE_SERVE, make_serve, secantus_server

FLOODERS = 64
# Samples of each timed request, idle and under the flood.
SAMPLES = 15
REAL_LOGINS = 5


def timings(port, cookie):
    """Timings of /app.js, /api/me and real logins: {what: [(status, seconds), ...]}."""
    found = {"GET /app.js": [], "GET /api/me": [], "a real login": []}
    for number in range(SAMPLES):
        status, _, _, seconds = send(port, "GET", "/app.js", address="203.0.113.20")
        found["GET /app.js"].append((status, seconds))
        headers = {"Cookie": cookie}
        status, _, _, seconds = send(
            port, "GET", "/api/me", headers=headers, address="203.0.113.20"
        )
        found["GET /api/me"].append((status, seconds))
        if number % (SAMPLES // REAL_LOGINS) == 0:
            # Each from an address of its own, so that its budget is never what refuses it.
            address = f"198.51.100.{number + 1}"
            status, _, _, seconds = post_form(port, "/login", address, USERNAME, PASSWORD)
            found["a real login"].append((status, seconds))
        time.sleep(0.05)
    return found


def measure(step_dir):
    """Idle and flooded timings of make serve running step_dir, and the flood's statuses."""
    with secantus_server() as (uri, _database):
        environment = {
            **os.environ,
            "SECRET_KEY": secrets.token_hex(32),
            "MONGO_URI": uri,
            "MONGO_DBNAME": "password_flood",
            "TRUSTED_PROXIES": "1",
            "DIR": str(step_dir),
        }
        environment.pop("TRUSTED_HOSTS", None)
        with make_serve(environment, benchlib.ROOT) as (_server, port):
            status, headers, _, _ = post_form(port, "/register", "203.0.113.21", USERNAME, PASSWORD)
            assert status == 302, status
            cookie = headers["Set-Cookie"].split(";")[0]
            idle = timings(port, cookie)
            flood = looping(FLOODERS, lambda client, number: wrong_login(port, client, number))
            with flood as answers:
                # Let the flood fill every queue before the first sample.
                time.sleep(2)
                flooded = timings(port, cookie)
    return idle, flooded, answers


def summary(samples):
    """Median and worst of (status, seconds) samples, and their statuses."""
    seconds = [taken for _, taken in samples]
    statuses = ", ".join(f"{status}: {count}" for status, count in counted(samples))
    return benchlib.ms(statistics.median(seconds)), benchlib.ms(max(seconds)), statuses


def counted(samples):
    """(status, how many) of samples, by status."""
    statuses = [str(status) for status, _ in samples]
    return [(status, statuses.count(status)) for status in sorted(set(statuses))]


def main():
    """Measure the step folder given (or step 08) and print the table."""
    step_dir = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else benchlib.step_dir("08")
    idle, flooded, answers = measure(step_dir)
    benchlib.heading(
        f"8. A login flood from {FLOODERS} networks: {step_dir.name}",
        f"`{' '.join(MAKE_SERVE)}` on a SecantusDB server of its own; {FLOODERS} clients post"
        f" wrong passwords without pause, each post from a fresh IPv6 /64; {SAMPLES} samples"
        f" of each request idle and under the flood, {REAL_LOGINS} real logins.",
    )
    rows = []
    for what in idle:
        rows.append((what, "idle", *summary(idle[what])))
        rows.append((what, "flood", *summary(flooded[what])))
    benchlib.table(["request", "when", "median", "worst", "statuses"], rows)
    statuses = ", ".join(f"{status}: {count}" for status, count in counted(answers))
    seconds = [taken for _, taken in answers]
    print(
        f"- The flood: {len(answers)} posts ({statuses}); median"
        f" {benchlib.ms(statistics.median(seconds))}, worst {benchlib.ms(max(seconds))}.\n"
    )


if __name__ == "__main__":
    main()
