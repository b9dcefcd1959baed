"""Show, for each step a learner rebuilt in a folder, how far its technique and hardening are.

    python tools/progress.py my_work/

The folder holds one copy per step, named like the steps (my_work/03_encoder/, ...). Each is
checked as `pytest checks --step-dir my_work/03_encoder` would, browser checks left out, and
gets the lines learner mode ends with:

    03_encoder       not yet  technique 1/9 · hardening 4/4
                     first to fix: test_...: what is missing, and where to read about it

A folder of learners' folders is a class (`make progress DIR=class/`, class/alice/03_encoder/,
...): one line per learner, the steps done and the step in progress with its counts and the
first thing to fix, then how many learners are on each step. `--json` prints the same as JSON.

A report is not an error: the exit status is 0 whatever the checks say, and 1 only when there
is nothing to check.
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

# The checks' helpers, checks/harness/, as pytest finds them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "checks"))
from harness.report import PLUGIN_NAME, LearnerTally, report_lines
from harness.selection import copy_problem, has_checks
from harness.steps import ROOT, step_number

# Only the report is shown: no tracebacks to format (half the time of a failing run). One
# process: without the browser checks, pytest-xdist's workers cost more than they save.
PYTEST_OPTIONS = ["-q", "-q", "-p", "no:cacheprovider", "--tb=no", "-n", "0"]
# What make progress leaves out: a class's view in seconds, not minutes. Grading keeps them.
NO_BROWSER = ["-m", "not browser"]


def is_step_folder(path):
    """Tell whether a folder is named like a step of the workshop (03_encoder)."""
    number = step_number(path)
    return path.is_dir() and number is not None and has_checks(number)


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


def learner_run(folder, *pytest_args, browser=False):
    """Run learner mode on a folder in a fresh process; return its tally, or None and why not."""
    # Said at once: an empty folder, or a copy one folder down, has no app.py for any check.
    problem = copy_problem(folder, Path.cwd())
    if problem:
        return None, problem
    # A later -m in pytest_args takes the place of NO_BROWSER's.
    options = pytest_args if browser else (*NO_BROWSER, *pytest_args)
    # A fresh process per folder: every copy is imported on its own.
    result = subprocess.run(
        [sys.executable, __file__, "--one", str(Path(folder).resolve()), *options],
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


def step_folders_in(folder):
    """The step folders a learner's folder holds, in order."""
    return sorted(path for path in folder.iterdir() if is_step_folder(path))


def check_all(folders):
    """Run learner mode on every folder, side by side, each in a process of its own."""
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        return dict(zip(folders, pool.map(learner_run, folders), strict=True))


def is_done(tally):
    """Tell whether every check of a folder passed."""
    return tally is not None and all(passed == total for passed, total in tally["counts"].values())


def learner_summary(name, folders, runs):
    """One learner of a class: the steps done, the step in progress, its tally (None if done)."""
    done = [folder.name for folder in folders if is_done(runs[folder][0])]
    waiting = [folder for folder in folders if not is_done(runs[folder][0])]
    # The newest folder not done is the one the learner works on now.
    tally, why_not = runs[waiting[-1]] if waiting else (None, None)
    on = waiting[-1].name if waiting else None
    # Steps left behind, once the learner caught up from a reference folder.
    unfinished = [folder.name for folder in waiting[:-1]]
    return {
        "name": name,
        "done": done,
        "unfinished": unfinished,
        "on": on,
        "tally": tally,
        "error": why_not,
    }


def class_lines(learners):
    """Two lines per learner, then how many learners are on each step."""
    lines = []
    for learner in learners:
        done = " ".join(folder[:2] for folder in learner["done"]) or "none"
        if learner["unfinished"]:
            done += f" · unfinished {' '.join(folder[:2] for folder in learner['unfinished'])}"
        if learner["on"] is None:
            lines.append(f"{learner['name']:16} done {done} · no step in progress")
            continue
        if learner["tally"] is None:
            lines.append(f"{learner['name']:16} done {done} · on {learner['on']}, not checked:")
            lines.append(f"{'':16} {learner['error']}")
            continue
        report = report_lines(without_browser_note(learner["tally"]))
        figures = report[0][len(learner["on"]) :].strip().removeprefix("not yet").strip()
        lines.append(f"{learner['name']:16} done {done} · on {learner['on']}: {figures}")
        lines.extend(report[1:])
    on_each = {}
    for learner in learners:
        step = learner["on"] or "no step in progress"
        on_each[step] = on_each.get(step, 0) + 1
    counted = " · ".join(f"{step} {count}" for step, count in sorted(on_each.items()))
    lines.append(f"Learners on each step: {counted} (browser checks left out for all)")
    return lines


def class_view(class_dir):
    """Check every learner of a class; return their summaries, in the order of their names."""
    learners = {
        folder.name: step_folders_in(folder)
        for folder in sorted(class_dir.iterdir())
        if folder.is_dir() and step_folders_in(folder)
    }
    runs = check_all([folder for folders in learners.values() for folder in folders])
    return [learner_summary(name, folders, runs) for name, folders in learners.items()]


def main(work_dir, as_json=False):
    """Print two lines per rebuilt step: where it stands, and the first thing to fix."""
    work_dir = Path(work_dir)
    if not work_dir.is_dir():
        print(f"No folder {work_dir}: make it, and copy a step into it (see WORKSHOP.md).")
        return 1
    folders = step_folders_in(work_dir)
    if not folders and any(path.is_dir() and step_folders_in(path) for path in work_dir.iterdir()):
        learners = class_view(work_dir)
        print(json.dumps({"learners": learners}) if as_json else "\n".join(class_lines(learners)))
        return 0
    if not folders:
        print(f"No step folders in {work_dir}: copy one, e.g. steps/02_jsonify as 03_encoder.")
        return 1
    runs = check_all(folders)
    if as_json:
        print(json.dumps({"folders": [runs[folder][0] for folder in folders]}))
        return 0
    for folder in folders:
        tally, why_not = runs[folder]
        if tally is None:
            print(f"{folder.name:16} could not be checked: {why_not}")
            continue
        for line in report_lines(without_browser_note(tally)):
            print(line)
    left_out = sum(tally["browser_left_out"] for tally, _ in runs.values() if tally)
    if left_out:
        print(
            f"Left out, not counted: {left_out} browser checks"
            " (learner mode, --step-dir, runs them)."
        )
    return 0


def without_browser_note(tally):
    """A folder's tally without its count of browser checks left out: one line says it for all."""
    return {**tally, "browser_left_out": 0}


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--one"]:
        check_one(*arguments[1:])
    else:
        as_json = "--json" in arguments
        places = [argument for argument in arguments if argument != "--json"]
        sys.exit(main(places[0] if places else "my_work", as_json))
