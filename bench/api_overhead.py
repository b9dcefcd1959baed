"""What step 05's API layer costs: its list and item requests against a bare Flask endpoint.

Both apps read the same mongomock collection with the same query and the same JSON provider;
the bare one has no login check, no validation, no pagination and no MethodView.

Usage: python bench/api_overhead.py [STEP_DIR]   (default: steps/05_methodview)
"""

import contextlib
import http.client
import logging
import sys
import threading
import time
from urllib.parse import urlsplit

import benchlib
from bson import ObjectId
from flask import Flask
from pymongo import DESCENDING

from harness.apps import create_item
from harness.servers import serving

ITEMS = 500
PAGE = 100
ROUNDS = 11
# Requests per timed sample: an item request is about ten times quicker than a page.
REQUESTS_PER_SAMPLE = {"list": 10, "item": 100}
# The threaded server: clients in parallel, a fixed number of requests, and a time cap.
CLIENTS = 4
SERVER_REQUESTS = {"list": 80, "item": 400}
SERVER_ROUNDS = 5
TIME_CAP_SECONDS = 10
NEWEST_FIRST = [("created_at", DESCENDING), ("_id", DESCENDING)]


def hide_owner():
    """The projection without owner_id: a new dict per query, as mongomock changes the one given."""
    return {"owner_id": False}


def step_app_with_items(folder):
    """A step's app with a logged-in test client and ITEMS items of that user."""
    app = benchlib.make_app(folder)
    client, owner_id = benchlib.logged_in_client(app)
    for number in range(ITEMS):
        create_item(client, title=f"Item {number}")
    return app, client, owner_id


def bare_app(step_app, owner_id):
    """A minimal Flask app: the same find and the same JSON encoding, nothing else."""
    app = Flask(__name__)
    app.json = type(step_app.json)(app)
    items = benchlib.database(step_app).items

    @app.get("/items/")
    def list_items():
        """A page of the user's items, newest first."""
        cursor = items.find({"owner_id": owner_id}, hide_owner()).sort(NEWEST_FIRST)
        return {"items": list(cursor.limit(PAGE))}

    @app.get("/items/<item_id>")
    def get_item(item_id):
        """One item."""
        return items.find_one({"_id": ObjectId(item_id), "owner_id": owner_id}, hide_owner())

    return app


def requester(client, url):
    """A function that makes one request and checks it succeeded."""

    def request():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    return request


def goal_row(kind, step_cells, bare_cells, relative):
    """A row of a comparison table: the step's cells, the bare endpoint's, the goal's verdict."""
    verdict = f"{relative:.2f}x ({'met' if relative >= 0.8 else 'missed'})"
    return (kind, *step_cells, *bare_cells, verdict)


def load(port, path, cookie, requests):
    """Send requests from CLIENTS threads; return (answers with 200 per second, other answers)."""
    per_client = requests // CLIENTS
    deadline = time.perf_counter() + TIME_CAP_SECONDS
    statuses = []

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIME_CAP_SECONDS)
        for _ in range(per_client):
            if time.perf_counter() > deadline:
                break
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return statuses.count(200) / elapsed, len(statuses) - statuses.count(200)


def load_servers(urls, paths, cookie):
    """Load the servers in turn; return each (kind, server)'s rates and its failed answers."""
    cases = {
        (kind, name): (urlsplit(url).port, paths[name][index])
        for index, kind in enumerate(("list", "item"))
        for name, url in urls.items()
    }
    rates = {case: [] for case in cases}
    errors = dict.fromkeys(cases, 0)
    # Failed requests are counted, not logged one traceback at a time.
    logging.disable(logging.CRITICAL)
    order = list(cases)
    for round_number in range(SERVER_ROUNDS):
        # As benchlib.interleaved does: every case in turn, starting one further each round.
        shift = round_number % len(order)
        for case in order[shift:] + order[:shift]:
            port, path = cases[case]
            rate, failed = load(port, path, cookie, SERVER_REQUESTS[case[0]])
            rates[case].append(rate)
            errors[case] += failed
    logging.disable(logging.WARNING)
    return rates, errors


def main(folder):
    """Time both apps in the test client, then under a threaded server, and print the tables."""
    step, client, owner_id = step_app_with_items(folder)
    bare = bare_app(step, owner_id)
    bare_client = bare.test_client()
    item_id = client.get("/api/items/?limit=1").get_json()["items"][0]["_id"]
    paths = {
        "step": (f"/api/items/?limit={PAGE}", f"/api/items/{item_id}"),
        "bare": ("/items/", f"/items/{item_id}"),
    }
    step_page = client.get(paths["step"][0]).get_json()["items"]
    assert step_page == bare_client.get(paths["bare"][0]).get_json()["items"]
    samples = {}
    for index, kind in enumerate(("list", "item")):
        cases = {
            (kind, "step"): requester(client, paths["step"][index]),
            (kind, "bare"): requester(bare_client, paths["bare"][index]),
        }
        samples |= benchlib.interleaved(cases, ROUNDS, number=REQUESTS_PER_SAMPLE[kind])

    benchlib.heading(
        "2. API overhead: step 05 against a bare endpoint (test client)",
        f"{ITEMS} items of the logged-in user; list = `GET /api/items/?limit={PAGE}`, item ="
        f" `GET /api/items/<id>`. CPU time per request, median of {ROUNDS} interleaved rounds of"
        f" {REQUESTS_PER_SAMPLE['list']} list or {REQUESTS_PER_SAMPLE['item']} item requests.",
    )
    rows = []
    for kind in ("list", "item"):
        times = {name: benchlib.median(samples[(kind, name)]) for name in ("step", "bare")}
        cells = {name: (benchlib.ms(times[name]), f"{1 / times[name]:,.0f}") for name in times}
        relative = benchlib.ratio(samples[(kind, "bare")], samples[(kind, "step")])
        rows.append(goal_row(kind, cells["step"], cells["bare"], relative))
    headers = ["request", "step 05", "req/s", "bare", "req/s", "step / bare (goal ≥ 0.8x)"]
    benchlib.table(headers, rows)

    cookie = f"session={client.get_cookie('session').value}"
    with contextlib.ExitStack() as running:
        apps = {"step": step, "bare": bare}
        urls = {name: running.enter_context(serving(app)) for name, app in apps.items()}
        rates, errors = load_servers(urls, paths, cookie)

    benchlib.heading(
        "API overhead under a threaded server (werkzeug, loopback)",
        f"{CLIENTS} client threads with keep-alive connections, {SERVER_REQUESTS['list']} list or"
        f" {SERVER_REQUESTS['item']} item requests per run (capped at {TIME_CAP_SECONDS} s),"
        f" median of {SERVER_ROUNDS} interleaved runs; wall-clock answers with status 200 per"
        " second; failed = answers with any other status, all runs. Clients and server share"
        " this process.",
    )
    rows = []
    for kind in ("list", "item"):
        cells = {
            name: (f"{benchlib.median(rates[(kind, name)]):,.0f}", errors[(kind, name)])
            for name in ("step", "bare")
        }
        relative = benchlib.ratio(rates[(kind, "step")], rates[(kind, "bare")])
        rows.append(goal_row(kind, cells["step"], cells["bare"], relative))
    headers = ["request", "step 05 req/s", "failed", "bare req/s", "failed"]
    benchlib.table([*headers, "step / bare (goal ≥ 0.8x)"], rows)

    for kind, index in (("list", 0), ("item", 1)):
        stats = benchlib.profile(requester(client, paths["step"][index]), 50)
        print(f"Where step 05's {kind} request spends its time (cProfile; C functions count for")
        print("the package that calls them):\n")
        benchlib.table(["owner", "share"], benchlib.time_by_package(stats, limit=6))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else benchlib.step_dir("05"))
