"""Encode 10,000 MongoDB documents to JSON: the step's encoders against json_util and orjson.

Usage: python bench/encoding.py [STEP_DIR ...]   (default: steps/05_methodview; more folders,
such as a copy with a changed encoder.py, are timed in the same run for comparison)
"""

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import benchlib
from bson import ObjectId, json_util
from flask import jsonify

try:
    import orjson
except ImportError:  # orjson is a benchmark-only extra: without it, its rows are left out.
    orjson = None

DOCUMENTS = 10_000
ROUNDS = 15
# The goals for the served path: at least 2x faster than json_util, at most 2.5x orjson's time.
FASTER_THAN_JSON_UTIL = 2.0
ORJSON_TIME_AT_MOST = 2.5
SERVED = "served: `app.json.dumps` (simplejson, `MongoDocumentEncoder`)"
BSON = "`bson.json_util.dumps` (Flask-PyMongo's way)"
ORJSON = "orjson, same output (`MongoDocumentEncoder.default` as hook)"


def documents(app):
    """Store 10,000 items and read them back, so they hold what the steps serve (tz-aware UTC)."""
    now = datetime.now(UTC)
    items = benchlib.database(app).bench_items
    items.insert_many(
        {
            "_id": ObjectId(),
            "created_at": now - timedelta(seconds=number),
            "title": f"Item number {number}",
            "done": number % 3 == 0,
            "priority": number % 5,
            "notes": "Bring the receipt",
        }
        for number in range(DOCUMENTS)
    )
    return list(items.find())


def main(step_dirs):
    """Time every encoder on the same documents, interleaved, and print the table."""
    apps = {Path(folder).name: benchlib.make_app(folder) for folder in step_dirs}
    app = next(iter(apps.values()))
    encoder = benchlib.step_module(step_dirs[0], "encoder")
    payload = {"items": documents(app)}
    # The step's conversion as a `default=` hook for the other libraries: it raises TypeError
    # for anything else, as they expect.
    hook = encoder.MongoDocumentEncoder().default
    cases = {
        "served response: `jsonify` (compact)": lambda: jsonify(payload).get_data(),
        SERVED: lambda: app.json.dumps(payload),
        "stdlib `json.dumps(default=…)`, unsorted": lambda: json.dumps(payload, default=hook),
        BSON: lambda: json_util.dumps(payload),
    }
    for name, other in list(apps.items())[1:]:
        cases[f"served by {name}"] = lambda other=other: other.json.dumps(payload)
    if orjson:
        same = orjson.OPT_PASSTHROUGH_DATETIME
        cases[ORJSON] = lambda: orjson.dumps(payload, default=hook, option=same)
        cases["orjson, its own datetimes (microseconds: not the same output)"] = lambda: (
            orjson.dumps(payload, default=str)
        )
    with app.app_context():
        served = json.loads(cases[SERVED]())
        for name in cases:
            if name != BSON and "not the same" not in name:
                assert json.loads(cases[name]()) == served, f"{name} differs from the served JSON"
        samples = benchlib.interleaved(cases, ROUNDS)

    benchlib.heading(
        f"1. Encoding {DOCUMENTS:,} Mongo documents",
        f"Each: ObjectId `_id`, a tz-aware datetime, four plain fields, as mongomock returns them."
        f" CPU time, median of {ROUNDS} interleaved rounds after a warm-up.",
    )
    baseline = samples[BSON]
    floor = samples[ORJSON] if orjson else None
    rows = []
    for name, times in samples.items():
        row = [name, benchlib.ms(benchlib.median(times)), f"{benchlib.ratio(baseline, times):.2f}x"]
        if floor:
            row.append(f"{benchlib.ratio(times, floor):.1f}x")
        rows.append(row)
    headers = ["encoder", "time", "faster than json_util"]
    benchlib.table(headers + (["time vs orjson"] if floor else []), rows)

    speedup = benchlib.ratio(baseline, samples[SERVED])
    verdict = "met" if speedup >= FASTER_THAN_JSON_UTIL else "missed"
    goal = f"goal ≥ {FASTER_THAN_JSON_UTIL:g}x"
    print(f"- Served path vs `bson.json_util`: {speedup:.2f}x faster ({goal}: {verdict}).")
    if floor:
        slower = benchlib.ratio(samples[SERVED], floor)
        verdict = "met" if slower <= ORJSON_TIME_AT_MOST else "missed"
        goal = f"goal ≤ {ORJSON_TIME_AT_MOST:g}x"
        print(f"- Served path vs orjson, same output: {slower:.2f}x its time ({goal}: {verdict}).")
    print()

    stats = benchlib.profile(lambda: app.json.dumps(payload), 3)
    print("Profile of the served path (cProfile, own time):\n")
    benchlib.table(["function", "calls per encode", "share"], benchlib.top_functions(stats, 3))


if __name__ == "__main__":
    main(sys.argv[1:] or [benchlib.step_dir("05")])
