"""A login flood from many networks against make serve: how fast the rest of the site answers.

64 clients post wrong passwords to /login without pause, each post from an IPv6 /64 of its own
(X-Forwarded-For, TRUSTED_PROXIES=1), so that no budget per address stops any of them. Meanwhile
one client times GET /app.js, a logged-in user's GET /api/me, and a real login. make serve runs
on a SecantusDB server of its own. With a step folder as argument (a copy of step 08 from another
commit, in a tree of the same layout), the same is measured on it: before and after.
"""

import http.client
import os
import secrets
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import benchlib

from harness.apps import PASSWORD, USERNAME, WRONG_PASSWORD
from harness.servers import MAKE_SERVE, make_serve, secantus_server

FLOODERS = 64
# Samples of each timed request, idle and under the flood.
SAMPLES = 15
REAL_LOGINS = 5
# A request not answered by then counts as failed, at this time.
TIMEOUT = 30
FORM = "application/x-www-form-urlencoded"


def send(port, method, path, body=None, headers=None, address="192.0.2.1"):
    """One request on a connection of its own from address; return (status, headers, seconds).

    A request that fails or times out has the status "no answer".
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    headers = {"X-Forwarded-For": address, **(headers or {})}
    began = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.headers, time.perf_counter() - began
    except OSError:
        return "no answer", {}, time.perf_counter() - began
    finally:
        connection.close()


def post_form(port, path, address, username, password):
    """Post the login or register form from address."""
    body = urlencode({"username": username, "password": password})
    return send(port, "POST", path, body, {"Content-Type": FORM}, address)


def timings(port, cookie):
    """Timings of /app.js, /api/me and real logins: {what: [(status, seconds), ...]}."""
    found = {"GET /app.js": [], "GET /api/me": [], "a real login": []}
    for number in range(SAMPLES):
        status, _, seconds = send(port, "GET", "/app.js", address="203.0.113.20")
        found["GET /app.js"].append((status, seconds))
        headers = {"Cookie": cookie}
        status, _, seconds = send(port, "GET", "/api/me", headers=headers, address="203.0.113.20")
        found["GET /api/me"].append((status, seconds))
        if number % (SAMPLES // REAL_LOGINS) == 0:
            # Each from an address of its own, so that its budget is never what refuses it.
            address = f"198.51.100.{number + 1}"
            status, _, seconds = post_form(port, "/login", address, USERNAME, PASSWORD)
            found["a real login"].append((status, seconds))
        time.sleep(0.05)
    return found


def flood(port, stop, answers, lock, client):
    """Post wrong passwords without pause, each from a fresh /64, until stop is set."""
    number = 0
    while not stop.is_set():
        number += 1
        address = f"2001:db8:{client:x}:{number:x}::1"
        status, _, seconds = post_form(port, "/login", address, USERNAME, WRONG_PASSWORD)
        with lock:
            answers.append((status, seconds))


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
            status, headers, _ = post_form(port, "/register", "203.0.113.21", USERNAME, PASSWORD)
            assert status == 302, status
            cookie = headers["Set-Cookie"].split(";")[0]
            idle = timings(port, cookie)
            stop, answers, lock = threading.Event(), [], threading.Lock()
            with ThreadPoolExecutor(FLOODERS) as pool:
                floods = [
                    pool.submit(flood, port, stop, answers, lock, client)
                    for client in range(FLOODERS)
                ]
                # Let the flood fill every queue before the first sample.
                time.sleep(2)
                try:
                    flooded = timings(port, cookie)
                finally:
                    stop.set()
                for running in floods:
                    running.result()
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
