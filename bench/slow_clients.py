"""Slow and silent connections against `make serve`, on a SecantusDB server of its own.

The recipe is started exactly as WORKSHOP.md starts it (the checks' `make serve PORT=0`), with
SECRET_KEY and MONGO_URI in the environment. Each scenario opens its connections, waits for
them to be in, then times a visitor's requests one after another: a static file, a page, and a
logged-in user's `/api/me`. A request that gets no answer in REQUEST_TIMEOUT seconds counts as
that long and as failed.
"""

import http.client
import os
import secrets
import socket
import statistics
import time
from contextlib import ExitStack
from urllib.parse import urlencode

import benchlib

from harness.apps import PASSWORD
from harness.servers import FORM, make_serve, secantus_installed, secantus_server
from harness.steps import ROOT

DATABASE_NAME = "bench_slow_clients"
REQUEST_TIMEOUT = 10
SAMPLES = 12
# Seconds the attackers' connections get to be accepted before the visitor starts.
SETTLE = 1.5
# What each attacking connection sends, and then nothing more: the first byte of a request
# line; nothing at all; the headers but their last blank line; the headers of a 100-byte body
# and its first byte.
ONE_BYTE = b"G"
NOTHING = b""
SLOW_HEADERS = b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
SLOW_BODY = (
    b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + FORM.encode() + b"\r\n"
    b"Content-Length: 100\r\n\r\nu"
)
SCENARIOS = [
    ("idle", []),
    ("100 one-byte + 30 silent", [(100, ONE_BYTE), (30, NOTHING)]),
    ("500 one-byte", [(500, ONE_BYTE)]),
    ("60 slow headers", [(60, SLOW_HEADERS)]),
    ("60 slow bodies", [(60, SLOW_BODY)]),
]
PATHS = ["/app.js", "/login", "/api/me"]


def timed(port, path, cookie):
    """GET path once on a connection of its own: (seconds, answered with 200)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    started = time.perf_counter()
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        return time.perf_counter() - started, response.status == 200
    except (OSError, http.client.HTTPException):
        return max(time.perf_counter() - started, REQUEST_TIMEOUT), False
    finally:
        connection.close()


def register(port):
    """Register a visitor through the form; return the session cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    body = urlencode({"username": "visitor", "password": PASSWORD})
    connection.request("POST", "/register", body, {"Content-Type": FORM})
    response = connection.getresponse()
    assert response.status == 302, response.status
    return response.headers["Set-Cookie"].split(";")[0]


def hold(stack, port, count, first_bytes):
    """Open count connections that send first_bytes and then nothing; closed with the stack."""
    for _ in range(count):
        connection = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
        if first_bytes:
            connection.sendall(first_bytes)


def measure(port, cookie, attackers):
    """Time SAMPLES requests to each path while the attackers' connections are held."""
    with ExitStack() as stack:
        for count, first_bytes in attackers:
            hold(stack, port, count, first_bytes)
        time.sleep(SETTLE if attackers else 0)
        results = {path: [] for path in PATHS}
        for _ in range(SAMPLES):
            for path in PATHS:
                results[path].append(timed(port, path, cookie))
    return results


def duration(seconds):
    """Milliseconds under a second, seconds from one up."""
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.1f} s"


def cell(samples):
    """Median and worst time of a path's samples, and how many failed."""
    times = [seconds for seconds, _ in samples]
    failed = sum(not answered for _, answered in samples)
    text = f"{duration(statistics.median(times))} / {duration(max(times))}"
    return text + (f" ({failed} failed)" if failed else "")


def main():
    """Print the table of one recipe: make serve as the Makefile has it now."""
    if not secantus_installed():
        # make bench goes on with the other sections.
        print("7a. left out: SecantusDB is not installed: pip install -r requirements-secantus.txt")
        return
    with secantus_server() as (uri, _database):
        environment = {
            **os.environ,
            "SECRET_KEY": secrets.token_hex(32),
            "MONGO_URI": uri,
            "MONGO_DBNAME": DATABASE_NAME,
        }
        environment.pop("TRUSTED_PROXIES", None)
        with make_serve(environment, ROOT) as (_server, port):
            cookie = register(port)
            rows = []
            for name, attackers in SCENARIOS:
                results = measure(port, cookie, attackers)
                rows.append((name, *(cell(results[path]) for path in PATHS)))
    benchlib.heading(
        "7a. Slow and silent connections against make serve",
        f"`make serve` on SecantusDB; each row holds its connections open while a visitor sends"
        f" {SAMPLES} rounds of {', '.join(PATHS)} one after another (median / worst; a request"
        f" unanswered in {REQUEST_TIMEOUT} s counts {REQUEST_TIMEOUT} s and failed).",
    )
    benchlib.table(["connections held", *(f"`GET {path}`" for path in PATHS)], rows)


if __name__ == "__main__":
    main()
