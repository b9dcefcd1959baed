"""How a list page of step 05 scales with the collection: time and peak memory, 1k to 100k items.

mongomock has no real indexes and sorts in Python, so the same find, sort and limit on the
collection alone is timed as the baseline: the difference is what the API itself adds.
"""

import gc
import tracemalloc
from datetime import UTC, datetime, timedelta

import benchlib
from pymongo import DESCENDING

SIZES = (1_000, 10_000, 100_000)
# A 100,000-item page takes seconds in mongomock: fewer rounds there, and no warm-up.
ROUNDS = {1_000: 7, 10_000: 5, 100_000: 2}
# tracemalloc slows mongomock's copying about fivefold: the query alone is traced up to here.
TRACE_QUERY_UP_TO = 10_000
PAGE = 50
NEWEST_FIRST = [("created_at", DESCENDING), ("_id", DESCENDING)]


def app_with_items(count):
    """Step 05's app, a logged-in test client, and `count` items of that user in the database."""
    app = benchlib.make_app(benchlib.step_dir("05"))
    client, owner_id = benchlib.logged_in_client(app)
    items = benchlib.database(app).items
    start = datetime(2024, 1, 1, tzinfo=UTC)
    items.insert_many(
        {
            "title": f"Item number {number}",
            "done": number % 3 == 0,
            "owner_id": owner_id,
            "created_at": start + timedelta(minutes=number),
            "updated_at": start + timedelta(minutes=number, seconds=30),
        }
        for number in range(count)
    )
    return client, items, owner_id


def peak_memory(function):
    """The most memory function had allocated at any one time, in bytes (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def measure(count):
    """Time and peak memory of an API page and of the bare query, for one collection size."""
    client, items, owner_id = app_with_items(count)

    def api_page():
        response = client.get("/api/items/")
        assert response.status_code == 200, response.status_code
        return response

    def query_alone():
        cursor = items.find({"owner_id": owner_id}, {"owner_id": False}).sort(NEWEST_FIRST)
        return list(cursor.limit(PAGE))

    assert len(api_page().get_json()["items"]) == len(query_alone()) == PAGE
    cases = {"api": api_page, "query": query_alone}
    samples = benchlib.interleaved(cases, ROUNDS[count], warmup=int(count < max(SIZES)))
    api, query = benchlib.median(samples["api"]), benchlib.median(samples["query"])
    traced = count <= TRACE_QUERY_UP_TO
    return {
        "api": api,
        "query": query,
        "ratio": benchlib.ratio(samples["api"], samples["query"]),
        "api_memory": peak_memory(api_page),
        "query_memory": peak_memory(query_alone) if traced else None,
    }


def mib(size):
    """Bytes as MiB, for a table."""
    return "not traced" if size is None else f"{size / 2**20:.1f} MiB"


def main():
    """Measure every size and print the table and the growth from the smallest to the largest."""
    results = {count: measure(count) for count in SIZES}
    benchlib.heading(
        f"3. List page (`GET /api/items/`, {PAGE} items) as the collection grows",
        f"All items belong to the logged-in user, on {benchlib.ENGINE}."
        f" {'Wall' if benchlib.MONGO_URI else 'CPU'} time, median of interleaved rounds"
        f" ({', '.join(str(ROUNDS[count]) for count in SIZES)}); peak memory by tracemalloc during"
        f' one request. "Query alone" is `find(...).sort(...).limit({PAGE})` on the same'
        f" collection; it is traced up to {TRACE_QUERY_UP_TO:,} items (tracemalloc makes mongomock"
        " about five times slower).",
    )
    rows = [
        (
            f"{count:,}",
            benchlib.ms(result["api"]),
            benchlib.ms(result["query"]),
            f"{result['ratio']:.2f}x",
            mib(result["api_memory"]),
            mib(result["query_memory"]),
        )
        for count, result in results.items()
    ]
    headers = ["items", "API page", "query alone", "API / query", "API peak", "query peak"]
    benchlib.table(headers, rows)
    small, large = results[SIZES[0]], results[SIZES[-1]]
    growth = large["api"] / small["api"]
    verdict = "met" if growth <= 3 else "missed"
    sizes = f"{SIZES[0]:,} → {SIZES[-1]:,} items"
    print(f"- API page time, {sizes}: x{growth:.0f} (goal ≤ x3: {verdict}).")
    print(f"- Query alone ({benchlib.ENGINE}): x{large['query'] / small['query']:.0f}.")
    memory_growth = large["api_memory"] / small["api_memory"]
    print(f"- Peak memory of the API page: x{memory_growth:.0f}.\n")


if __name__ == "__main__":
    main()
