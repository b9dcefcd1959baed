"""How long the checks take: the fast part without a browser, and all of them."""

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


def browser_check_count():
    """How many checks carry the browser marker (0 if there are none yet)."""
    result = subprocess.run(
        [*PYTEST, "--collect-only", "-m", "browser"],
        cwd=benchlib.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"(\d+)(?:/\d+)? tests? collected", result.stdout)
    return int(found.group(1)) if found else 0


def main():
    """Time the checks without and with the browser, once each, and print the table."""
    browser_checks = browser_check_count()
    fast_time, fast_result = run_pytest("-m", "not browser")
    rows = [('`pytest checks -m "not browser"`', f"{fast_time:.1f} s", fast_result)]
    if browser_checks:
        # The two runs together are exactly the full run, so it is not run a third time.
        browser_time, browser_result = run_pytest("-m", "browser")
        rows.append(("`pytest checks -m browser`", f"{browser_time:.1f} s", browser_result))
        rows.append(
            ("`pytest checks` (all: the two above)", f"{fast_time + browser_time:.1f} s", "")
        )
    benchlib.heading(
        "5a. Running the checks",
        "Wall clock of one run each from the repository root, with pytest's own summary.",
    )
    benchlib.table(["command", "time", "result"], rows)
    if browser_checks:
        print(f"- {browser_checks} browser checks (Chromium).\n")
    else:
        print("- There are no browser checks yet: `pytest checks` runs the same checks.\n")


if __name__ == "__main__":
    main()
