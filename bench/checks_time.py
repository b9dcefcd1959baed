"""How long the checks take: the fast part, the slow ones, the browser ones, and all of them."""

import re
import subprocess
import sys
import time

import benchlib

PYTEST = [sys.executable, "-m", "pytest", "checks", "-q", "-p", "no:cacheprovider"]


def run_pytest(*options):
    """Run pytest on the checks; return (wall-clock seconds, pytest's summary line)."""
    start = time.perf_counter()
    result = subprocess.run(
        [*PYTEST, *options], cwd=benchlib.ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    lines = result.stdout.strip().splitlines()
    summary = lines[-1].strip("= ") if lines else f"pytest exited with {result.returncode}"
    # "662 passed in 15.27s": the time is in its own column already.
    return elapsed, re.sub(r" in [\d.]+s.*$", "", summary)


# The three parts together are the full run, so it is not run a fourth time.
PARTS = [
    ("fast: no browser, no processes", "not browser and not slow"),
    ("slow: documented commands run for real", "slow and not browser"),
    ("browser: Chromium", "browser"),
]


def main():
    """Time each part of the checks once, and print the table."""
    rows, total = [], 0.0
    for name, marker in PARTS:
        elapsed, result = run_pytest("-m", marker)
        total += elapsed
        rows.append((f'{name}: `pytest checks -m "{marker}"`', f"{elapsed:.1f} s", result))
    rows.append(("`pytest checks` (all: the three above)", f"{total:.1f} s", ""))
    benchlib.heading(
        "5a. Running the checks",
        "Wall clock of one run each from the repository root, with pytest's own summary.",
    )
    benchlib.table(["command", "time", "result"], rows)


if __name__ == "__main__":
    main()
