"""Which step folders each check runs on: its steps marker, pitfall copies, learner mode."""

from pathlib import Path

import pytest

from exercise_patches import EXTENSIONS, PITFALLS, exercise_copy, extension_folder_name
from support import STEPS_DIR, step_number


def step_range(node):
    """Return the (first, last) steps a check applies to, from its steps marker."""
    marker = node.get_closest_marker("steps")
    if marker is None:
        raise pytest.UsageError(f"{node.nodeid}: mark it with @pytest.mark.steps(first, last)")
    return marker.args


def step_folders(first, last):
    """The repository's step folders from step first to step last."""
    return sorted(
        folder
        for folder in STEPS_DIR.iterdir()
        if folder.is_dir() and first <= (step_number(folder) or 0) <= last
    )


def pitfall_params(metafunc):
    """The step copies with a pitfall brought back on which this check must fail."""
    check = f"{Path(metafunc.definition.fspath).name}::{metafunc.definition.name}"
    return [
        pytest.param(
            exercise_copy(metafunc.config, *patch.split("/")),
            id=patch.replace("/", "+"),
            marks=pytest.mark.xfail(strict=True, reason=f"{patch}.patch brings the pitfall back"),
        )
        for patch, pitfall_check in PITFALLS.items()
        if pitfall_check.split("[")[0] == check
    ]


def step_dir_of(item):
    """The step folder a collected check runs on; None for a check of the repository itself."""
    return item.callspec.params.get("step_dir") if hasattr(item, "callspec") else None


def is_learners(item, folder):
    """Learner mode: the checks of the folder's step; an extension's only on a folder named so."""
    if step_dir_of(item) is None:
        # A check of the repository itself (its documents, its patches), not of a step.
        return False
    number = step_number(folder)
    first, last = step_range(item)
    if "solution" in item.fixturenames:
        extensions = {extension_folder_name(step) for step in EXTENSIONS}
        return folder.name in extensions and first <= number <= last
    return first <= number <= last


def is_wanted(item):
    """A pitfall copy runs only the case of a parametrized check that its [case] names."""
    for patch, check in PITFALLS.items():
        case = check.partition("[")[2]
        if case and step_dir_of(item) == exercise_copy(item.config, *patch.split("/")):
            return case.rstrip("]") in item.callspec.id
    return True
