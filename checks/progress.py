"""Show, for each step a learner rebuilt in a folder, whether that step's checks pass.

    python checks/progress.py my_work/

The folder holds one copy per step, named like the steps (my_work/03_encoder/, ...). Each is
checked as `pytest checks --step-dir my_work/03_encoder` would, browser checks left out.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class Tally:
    """A pytest plugin that counts results and keeps the first failure in plain words."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.first_failure = None

    def pytest_runtest_logreport(self, report):
        """Count each check once, and remember what the first failing one said."""
        if report.passed and report.when == "call":
            self.passed += 1
        elif report.failed:
            self.fail(report.head_line.split("[")[0], report)

    def pytest_collectreport(self, report):
        """A check file that cannot even be loaded counts as a failure too."""
        if report.failed:
            self.fail(Path(report.nodeid).name, report)

    def fail(self, name, report):
        """Count a failure; keep the first one's message."""
        self.failed += 1
        if self.first_failure is None:
            self.first_failure = f"{name}: {plain_message(report)}"


def plain_message(report):
    """Return the first line of what a failing check said, without the exception's name."""
    crash = getattr(report.longrepr, "reprcrash", None)
    lines = (crash.message if crash else report.longreprtext).strip().splitlines()
    # A check that failed on purpose (pytest.fail) puts its message last, after any traceback.
    line = lines[0] if crash else lines[-1]
    return re.sub(r"^(AssertionError|Failed): ", "", line)


def is_step_folder(path):
    """Tell whether a folder is named like a step (03_encoder) that has checks."""
    return (
        path.is_dir()
        and bool(re.match(r"\d\d_", path.name))
        and any(ROOT.glob(f"checks/test_{path.name[:2]}_*.py"))
    )


def check_one(folder):
    """Run a step's checks but the browser's on one folder, in this process; print the tally."""
    tally = Tally()
    options = ["-q", "-q", "-p", "no:cacheprovider", "-m", "not browser", "--step-dir", folder]
    pytest.main(["checks", *options], plugins=[tally])
    print(json.dumps(vars(tally)))


def main(work_dir):
    """Print one line per rebuilt step, and the first thing to fix where checks fail."""
    folders = sorted(path for path in Path(work_dir).iterdir() if is_step_folder(path))
    if not folders:
        print(f"No step folders in {work_dir}: copy one, e.g. steps/02_jsonify as 03_encoder.")
        return 1
    all_done = True
    for folder in folders:
        # One fresh process per folder: every copy is imported on its own.
        result = subprocess.run(
            [sys.executable, __file__, "--one", str(folder.resolve())],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        tally = json.loads(result.stdout.strip().splitlines()[-1])
        total = tally["passed"] + tally["failed"]
        if tally["failed"] == 0:
            print(f"{folder.name:16} done     {tally['passed']}/{total} checks pass")
        else:
            all_done = False
            print(f"{folder.name:16} not yet  {tally['passed']}/{total} checks pass")
            print(f"{'':16} first to fix: {tally['first_failure']}")
    return 0 if all_done else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        check_one(sys.argv[2])
    else:
        sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "my_work"))
