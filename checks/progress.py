"""Show, for each step a learner rebuilt in a folder, how far its technique and hardening are.

    python checks/progress.py my_work/

The folder holds one copy per step, named like the steps (my_work/03_encoder/, ...). Each is
checked as `pytest checks --step-dir my_work/03_encoder` would, browser checks left out, and
gets the lines learner mode ends with:

    03_encoder       not yet  technique 1/9 · hardening 4/4
                     first to fix: test_...: what is missing, and where to read about it

A report is not an error: the exit status is 0 whatever the checks say, and 1 only when there
is nothing to check.
"""

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from learner_report import PLUGIN_NAME, LearnerTally, report_lines

ROOT = Path(__file__).resolve().parents[1]
# Only the report is shown: no tracebacks to format (half the time of a failing run). One
# process: without the browser checks, pytest-xdist's workers cost more than they save.
PYTEST_OPTIONS = ["-q", "-q", "-p", "no:cacheprovider", "-m", "not browser", "--tb=no", "-n", "0"]


def is_step_folder(path):
    """Tell whether a folder is named like a step of the workshop (03_encoder)."""
    return (
        path.is_dir()
        and bool(re.match(r"\d\d_", path.name))
        and any(ROOT.glob(f"steps/{path.name[:2]}_*"))
    )


def check_one(folder, *pytest_args):
    """Run learner mode on one folder in this process; print its tally as JSON, last."""
    tally = LearnerTally(folder)
    # Registered under the name conftest.py looks for, so that it adds no second one.
    plugin = RegisterTally(tally)
    # All the checks, unless the arguments name some (checks/test_04_login.py::test_...).
    paths = [] if any(arg.startswith("checks") for arg in pytest_args) else ["checks"]
    options = [*paths, *PYTEST_OPTIONS, *pytest_args, "--step-dir", folder]
    pytest.main(options, plugins=[plugin])
    print(json.dumps(tally.as_dict()))


class RegisterTally:
    """A pytest plugin that registers a given tally under learner mode's name."""

    def __init__(self, tally):
        self.tally = tally

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config):
        """Register the tally before conftest.py looks for one."""
        config.pluginmanager.register(self.tally, PLUGIN_NAME)


def learner_run(folder, *pytest_args):
    """Run learner mode on a folder in a fresh process; return its tally, or None and why not."""
    # A fresh process per folder: every copy is imported on its own.
    result = subprocess.run(
        [sys.executable, __file__, "--one", str(Path(folder).resolve()), *pytest_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    if lines and lines[-1].startswith("{"):
        return json.loads(lines[-1]), None
    said = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-1]
    return None, said


def main(work_dir):
    """Print two lines per rebuilt step: where it stands, and the first thing to fix."""
    work_dir = Path(work_dir)
    if not work_dir.is_dir():
        print(f"No folder {work_dir}: make it, and copy a step into it (see WORKSHOP.md).")
        return 1
    folders = sorted(path for path in work_dir.iterdir() if is_step_folder(path))
    if not folders:
        print(f"No step folders in {work_dir}: copy one, e.g. steps/02_jsonify as 03_encoder.")
        return 1
    # The folders side by side, each in a process of its own; reported in order.
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        runs = list(pool.map(learner_run, folders))
    for folder, (tally, why_not) in zip(folders, runs, strict=True):
        if tally is None:
            print(f"{folder.name:16} could not be checked: {why_not}")
            continue
        for line in report_lines(tally):
            print(line)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        check_one(*sys.argv[2:])
    else:
        sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "my_work"))
