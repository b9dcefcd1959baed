"""How long people wait on the checks: make test's two passes, the fast part, learner mode, watch.

Usage: python bench/checks_time.py [--no-suite]   (--no-suite: learner mode and watch only)
"""

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

from harness.servers import started

PYTEST = [sys.executable, "-m", "pytest", "checks", "-q", "-p", "no:cacheprovider"]
# make test's two passes, and the fast part the README promises under ten seconds.
SUITE = [
    ("fast part", ["-m", "not browser and not slow and not carried"]),
    ("make test, first pass (mongomock, browser included)", []),
    (
        "make test, second pass (SecantusDB)",
        ["-m", "not browser and not probe and not carried", "--mongo=secantus"],
    ),
]
WATCH_TIMEOUT = 120


def run_pytest(*options):
    """Run pytest on the checks; return (wall-clock seconds, pytest's summary or last line)."""
    start = time.perf_counter()
    result = subprocess.run(
        [*PYTEST, *options], cwd=benchlib.ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    summaries = [
        line for line in result.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)
    ]
    summary = summaries[-1] if summaries else f"pytest exited with {result.returncode}"
    # "662 passed in 15.27s": the time is in its own column already.
    return elapsed, re.sub(r" in [\d.]+s.*$", "", summary.strip("= "))


def suite_rows():
    """Time the fast part and make test's two passes, once each."""
    return [
        (f"{name}: `pytest checks {' '.join(options)}`".replace("  ", " "), *timed(options))
        for name, options in SUITE
    ]


def timed(options):
    """(time, result) columns of one pytest run."""
    elapsed, result = run_pytest(*options)
    return f"{elapsed:.1f} s", result


def learner_rows(work_dir):
    """Time learner mode on a copy of each finished step, whole and technique alone."""
    rows = []
    for step in sorted(path for path in benchlib.STEPS_DIR.iterdir() if path.is_dir()):
        copy = shutil.copytree(
            step, work_dir / step.name, ignore=shutil.ignore_patterns("__pycache__")
        )
        whole = run_pytest("--step-dir", str(copy))
        technique = run_pytest("--step-dir", str(copy), "-m", "not hardening")
        rows.append((f"`{step.name}`", f"{whole[0]:.1f} s", f"{technique[0]:.1f} s", whole[1]))
    return rows


def watch_latency(work_dir):
    """Seconds from saving step 03's files into a copy of step 02 to make watch's new report."""
    folder = shutil.copytree(benchlib.STEPS_DIR / "02_jsonify", work_dir / "03_encoder")
    command = [sys.executable, "tools/watch.py", str(folder)]
    with started(command, cwd=benchlib.ROOT) as watcher:
        watcher.wait_for_output(r"first to fix: ", timeout=WATCH_TIMEOUT)
        saved = time.perf_counter()
        for path in (benchlib.STEPS_DIR / "03_encoder").glob("*.py"):
            shutil.copy(path, folder / path.name)
        watcher.wait_for_output(r"03_encoder +done ", timeout=WATCH_TIMEOUT)
        return time.perf_counter() - saved


def main(with_suite):
    """Time every part, and print the tables."""
    if with_suite:
        benchlib.heading(
            "5a. Running the checks",
            "Wall clock of one run each from the repository root, pytest on every core"
            " (pytest-xdist), with pytest's own summary.",
        )
        benchlib.table(["command", "time", "result"], suite_rows())
    with tempfile.TemporaryDirectory() as work_dir:
        benchlib.heading(
            "5c. Learner mode on a finished step",
            "`pytest checks --step-dir my_work/NN_name` on a copy of the reference step, whole"
            ' and with `-m "not hardening"` (the technique alone); wall clock of one run each.',
        )
        rows = learner_rows(Path(work_dir) / "copies")
        benchlib.table(["step", "whole", "technique", "result (whole)"], rows)
        latency = watch_latency(Path(work_dir))
        print(
            f"`make watch` on a copy of step 02 named `03_encoder`: its report says `done`"
            f" {latency:.1f} s after step 03's files are saved into it.\n"
        )


if __name__ == "__main__":
    main("--no-suite" not in sys.argv[1:])
