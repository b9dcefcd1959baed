"""Step folders and their names, and the patches under exercises/ applied to copies of them.

A step folder is named NN_name (03_encoder), a learner's copy too; step_number() is the one
reader of that name. Each patch is a unified diff relative to its step folder, applied with
`git apply` to a copy: a pitfall patch brings one of the article's pitfalls back, and the check
marked `@pytest.mark.pitfall(name)` must fail on it; an extension's reference solution makes the
exercise's checks (test_exercises.py) pass.
"""

import importlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEPS_DIR = ROOT / "steps"
CHECKS_DIR = ROOT / "checks"
EXERCISES_DIR = ROOT / "exercises"

# The extension exercise of each step: exercises/<step>/<name>.patch is its reference solution.
EXTENSIONS = {
    "02_jsonify": "count",
    "03_encoder": "more_types",
    "04_auth": "logout_everywhere",
    "05_methodview": "done_filter",
    "06_logins": "active_logins",
    "07_requests": "item_body_limit",
    "08_deploy": "health_check",
}
# The exercise copies made for this run: (step, patch name) -> folder.
EXERCISE_COPIES_KEY = pytest.StashKey[dict]()


def step_number(folder):
    """Return the step number a folder name starts with (03_encoder -> 3), or None."""
    match = re.match(r"(\d\d)_", Path(folder).name)
    return int(match.group(1)) if match else None


def step_folders(first=1, last=99):
    """The repository's step folders from step first to step last, in order."""
    return sorted(
        folder
        for folder in STEPS_DIR.iterdir()
        if folder.is_dir() and first <= (step_number(folder) or 0) <= last
    )


def check_files(number):
    """The check files of a step number's own: checks/test_NN_*.py."""
    return sorted(CHECKS_DIR.glob(f"test_{number:02d}_*.py"))


def extension_folder_name(step):
    """The folder name of a step's extension exercise, as WORKSHOP.md has it: 05_done_filter."""
    return f"{step[:2]}_{EXTENSIONS[step]}"


def patched_step(step, patch_name, folder):
    """Copy steps/<step> into folder, named like a learner's (05_done_filter), and patch it."""
    copy = folder / f"{step[:2]}_{patch_name}"
    shutil.copytree(STEPS_DIR / step, copy, ignore=shutil.ignore_patterns("__pycache__"))
    patch = EXERCISES_DIR / step / f"{patch_name}.patch"
    # The ceiling keeps git from taking a repository around the copy for the patch's root.
    environment = {**os.environ, "GIT_CEILING_DIRECTORIES": str(folder)}
    result = subprocess.run(
        ["git", "apply", str(patch)], cwd=copy, env=environment, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise pytest.UsageError(
            f"{patch.relative_to(ROOT)} no longer applies to its step: update it.\n" + result.stderr
        )
    return copy


def exercise_copy(config, step, patch_name):
    """Return a copy of steps/<step> with exercises/<step>/<patch_name>.patch applied, made once."""
    copies = config.stash.setdefault(EXERCISE_COPIES_KEY, {})
    if (step, patch_name) not in copies:
        folder = Path(tempfile.mkdtemp(prefix="exercise-"))
        copies[step, patch_name] = patched_step(step, patch_name, folder)
    return copies[step, patch_name]


def remove_exercise_copies(config):
    """Remove the copies exercise_copy made."""
    for copy in config.stash.get(EXERCISE_COPIES_KEY, {}).values():
        shutil.rmtree(copy.parent, ignore_errors=True)


def pitfall_step(marks):
    """The step folder a pitfall patch belongs to: the first its check applies to."""
    (first, _last) = next(mark.args for mark in marks if mark.name == "steps")
    return step_folders(first, first)[0].name


def as_list(marks):
    """A module's pytestmark as a list: pytest takes one mark or a list."""
    return marks if isinstance(marks, list) else [marks]


def declared_pitfalls():
    """{"05_methodview/pitfall_raw_objectid": ("test_05_methodview.py::test_…", case)}, read
    from the pitfall markers of every check file (imported, as pytest imports them)."""
    found = {}
    for path in sorted(CHECKS_DIR.glob("test_*.py")):
        module = importlib.import_module(path.stem)
        checks = {name: check for name, check in vars(module).items() if name.startswith("test_")}
        for name, check in checks.items():
            marks = [*getattr(check, "pytestmark", []), *as_list(getattr(module, "pytestmark", []))]
            for mark in (mark for mark in marks if mark.name == "pitfall"):
                patch = f"{pitfall_step(marks)}/{mark.args[0]}"
                found[patch] = (f"{path.name}::{name}", mark.kwargs.get("case", ""))
    return found
