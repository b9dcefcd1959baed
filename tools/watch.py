"""Check one rebuilt step again each time one of its files is saved.

    python tools/watch.py my_work/04_auth

The folder is checked at once, then again after every save of one of its Python modules or
templates, as `make progress` checks it (browser checks left out: they take the longest and
`pytest checks --step-dir` runs them). Each run ends with the lines `make progress` prints:

    04_auth changed (auth.py): checking again…
    04_auth          not yet  technique 63/64 · hardening 146/146
                     first to fix: test_...: what is missing, and where to read about it

watchfiles does the watching and groups a burst of saves into one run. Ctrl+C stops it, and
so does deleting the folder, unless a copy is back in its place at once (`rm -rf … && cp -r …`,
a step started over), which is then watched instead. The exit status is 1 when there is nothing
to watch, as with `make progress`.
"""

import os
import sys
from pathlib import Path

from watchfiles import Change, PythonFilter, watch

# The checks' helpers, checks/harness/, as pytest finds them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "checks"))
from harness.report import report_lines
from progress import is_step_folder, learner_run

# A step is Python modules and Jinja templates. The filter also leaves out __pycache__ (the
# checks write it there), .pyc files and editors' swap, backup and lock files.
SOURCES = PythonFilter(extra_extensions=(".html",))
# Milliseconds: how soon the watcher, once it watches, lets the first run start.
FIRST_RUN_DELAY = 200


def check(folder):
    """Run learner mode on the folder once and print its report, or why it could not run."""
    tally, why_not = learner_run(folder)
    if tally is None:
        print(f"{folder.name:16} could not be checked: {why_not}")
        return
    for line in report_lines(tally):
        print(line)


def changed_files(changes, folder):
    """The files a set of changes names, relative to the folder: auth.py, templates/login.html."""
    return ", ".join(sorted({os.path.relpath(path, folder) for _, path in changes}))


def main(folder):
    """Check a step's folder, then again at every change until Ctrl+C or until it is deleted."""
    if not Path(folder).is_dir():
        print(f"No folder {folder}: copy a step into it first (see WORKSHOP.md).")
        return 1
    folder = Path(folder).resolve()
    if not is_step_folder(folder):
        print(
            f"{folder.name} is not named like a step with checks (04_auth):"
            " watch one step's folder, e.g. make watch DIR=my_work/04_auth."
        )
        return 1
    print(f"Checking {folder.name} (browser checks left out, as in make progress)…")
    watch_folder(folder)
    # A deleted folder is watched no more, even once a copy is back in its place: that copy
    # needs a watcher of its own.
    while folder.is_dir():
        print(f"\n{folder.name} was copied again: checking it…")
        watch_folder(folder)
    print(f"\n{folder.name} was deleted: make watch again once it is back.")
    return 1


def watch_folder(folder):
    """Check the folder now and at every change of its sources, until it is deleted."""

    deleted = (Change.deleted, str(folder))

    def wanted(change, path):
        """A change to a source file, or the folder's own deletion."""
        return (change, path) == deleted or SOURCES(change, path)

    # The watcher is started before the first run, so that a file saved while the checks run
    # is not missed; it says it is watching by yielding no changes after FIRST_RUN_DELAY.
    # Later empty yields mean nothing happened, and are skipped.
    checked = False
    for changes in watch(
        folder, watch_filter=wanted, rust_timeout=FIRST_RUN_DELAY, yield_on_timeout=True
    ):
        if deleted in changes:
            return
        if changes:
            print(f"\n{folder.name} changed ({changed_files(changes, folder)}): checking again…")
        elif checked:
            continue
        check(folder)
        checked = True
        print(f"Watching {folder.name}: save a file to check it again (Ctrl+C stops).")


if __name__ == "__main__":
    # Each line as soon as it is printed, also into a pipe or a file.
    sys.stdout.reconfigure(line_buffering=True)
    try:
        sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "my_work"))
    except KeyboardInterrupt:
        # Ctrl+C is how a learner ends it: no traceback.
        print()
        sys.exit(0)
