"""Which step folders each check runs on: its steps marker, pitfall copies, learner mode; and
what the run's last lines name."""

from pathlib import Path
from shlex import quote

import pytest

from harness.steps import (
    EXTENSIONS,
    STEPS_DIR,
    check_files,
    exercise_copy,
    extension_folder_name,
    pitfall_step,
    step_folders,
    step_number,
)

# What the run's last lines name: the screenshots' folders, the checks left out for want of a
# real server. pytest-xdist's workers send theirs to the main process (conftest.py).
SUMMARY_KEY = pytest.StashKey[dict]()
SCREENSHOTS = "screenshots"
REAL_SERVER_LEFT_OUT = "real_server_left_out"


def step_range(node):
    """Return the (first, last) steps a check applies to, from its steps marker."""
    marker = node.get_closest_marker("steps")
    if marker is None:
        raise pytest.UsageError(f"{node.nodeid}: mark it with @pytest.mark.steps(first, last)")
    return marker.args


def has_checks(number):
    """Tell whether a step number has checks of its own: checks/test_NN_*.py."""
    # Not the reference folder: a learner's copy is checked whether or not steps/NN_* is there.
    return bool(check_files(number))


def carried_marks(folder, folders):
    """Mark `carried` a folder between the first a check applies to and the newest."""
    # Each later step carries the code of the one before: the fast part and the real-server
    # pass run a check where it is taught and on the newest step; make test's first pass runs
    # it on every step in between too, but for the browser checks.
    return [pytest.mark.carried] if folder not in (folders[0], folders[-1]) else []


def pitfall_params(metafunc):
    """The step copies with a pitfall brought back on which this check must fail."""
    marks = list(metafunc.definition.iter_markers())
    params = []
    for mark in (mark for mark in marks if mark.name == "pitfall"):
        step, patch = pitfall_step(marks), mark.args[0]
        reason = f"{step}/{patch}.patch brings the pitfall back"
        copy = exercise_copy(metafunc.config, step, patch)
        params.append(
            pytest.param(
                copy, id=f"{step}+{patch}", marks=pytest.mark.xfail(strict=True, reason=reason)
            )
        )
    return params


def pitfall_of(item):
    """The pitfall marker of a check that runs on its patched copy; None on a step folder."""
    folder = step_dir_of(item)
    marks = item.iter_markers("pitfall") if folder else []
    return next((mark for mark in marks if folder.name.endswith(mark.args[0])), None)


def step_dir_of(item):
    """The step folder a collected check runs on; None for a check of the repository itself."""
    return item.callspec.params.get("step_dir") if hasattr(item, "callspec") else None


def group_of(keywords):
    """The group of a check, from its markers: hardening, or else technique."""
    return "hardening" if "hardening" in keywords else "technique"


def junit_properties(item):
    """A step check's group and the step folder it runs on, for --junitxml; none for another."""
    folder = step_dir_of(item)
    if folder is None:
        return []
    return [("group", group_of(item.keywords)), ("step", folder.name)]


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


def is_wanted(item, real_server):
    """A pitfall copy runs only the case its marker names, and once: on mongomock, not again on
    a real server (its patch changes the step's code, not what the database does)."""
    mark = pitfall_of(item)
    if mark is None:
        return True
    return not real_server and mark.kwargs.get("case", "") in item.callspec.id


def remember_for_summary(config, name, values):
    """Keep names for the run's last lines; in a pytest-xdist worker, for the main process too."""
    kept = config.stash.setdefault(SUMMARY_KEY, {})
    kept[name] = sorted({*kept.get(name, []), *values})
    if hasattr(config, "workeroutput"):
        config.workeroutput[name] = kept[name]


def has_real_server(config):
    """Tell whether this run checks on a real MongoDB server (--mongo-uri or --mongo=secantus)."""
    return bool(config.getoption("--mongo-uri")) or config.getoption("--mongo") != "mongomock"


def real_server_note(names):
    """Name the checks left out for want of a real MongoDB server, and say how to run them."""
    return (
        f"Left out, for want of a real MongoDB server: {', '.join(names)}. Add --mongo=secantus"
        " to this command to run them on a fresh SecantusDB server (pip install -r"
        " requirements-secantus.txt, which make mongo and make test do), or --mongo-uri=URI for"
        " a MongoDB of your own. make test runs them in its second pass."
    )


def learners_checks(config, folder, items):
    """The checks learner mode runs on a folder; a usage error if none, or a file, is not its."""
    wanted = [item for item in items if is_learners(item, folder)]
    for path in sorted(named_check_files(config)):
        of_file = [item for item in items if item.path == path and step_dir_of(item)]
        if of_file and not any(item.path == path for item in wanted):
            raise pytest.UsageError(not_this_folders_checks(path, of_file, folder))
    # None of them after -m (step 01 has no hardening): a report of 0/0, not an error.
    return wanted


def no_check_applies(folder):
    """Say that no check applies to a folder, and which folders checks apply to."""
    return (
        f"No check here applies to {folder.name}: a step's checks run on a folder named like"
        " the step (04_auth), an extension exercise's on one named like it"
        " (04_logout_everywhere)."
    )


def start_of_step(folder):
    """The reference folder a learner's folder starts as a copy of: the step before it, or for an
    extension exercise its own step; None for step 01, which starts empty."""
    extensions = {extension_folder_name(step): step for step in EXTENSIONS}
    if folder.name in extensions:
        return STEPS_DIR / extensions[folder.name]
    number = step_number(folder)
    before = step_folders(number - 1, number - 1) if number else []
    return before[0] if before else None


def shown_path(path, cwd):
    """A path as the learner would type it: relative to where the command runs, if under it."""
    path = Path(path).absolute()
    return quote(str(path.relative_to(cwd) if path.is_relative_to(cwd) else path))


def copy_problem(folder, cwd):
    """What to do with a step folder that holds no app.py: the copy of a step inside it (what
    `cp -r` makes when the folder exists), or nothing at all; None if neither."""
    folder = Path(folder)
    if (folder / "app.py").is_file():
        return None
    shown = shown_path(folder, cwd)
    inner = [path for path in sorted(folder.iterdir()) if (path / "app.py").is_file()]
    if inner:
        nested = shown_path(inner[0], cwd)
        return (
            f"{shown} holds its copy of a step one folder down, in {nested}: cp -r puts it there"
            f" when {shown} exists already. Move its content up: mv {nested}/* {shown}/ &&"
            f" rmdir {nested}"
        )
    start = start_of_step(folder)
    contents = list(folder.iterdir())
    if start is None or any(not path.name.startswith(".") for path in contents):
        return None
    if contents:
        # Only hidden files (a .DS_Store, say): rmdir would refuse, so copy the step's content.
        command = f"cp -r {shown_path(start, cwd)}/. {shown}"
    else:
        command = f"rmdir {shown} && cp -r {shown_path(start, cwd)} {shown}"
    return f"{shown} is empty: copy the step it starts from into it: {command}"


def named_check_files(config):
    """The check files the command line names (checks/test_03_encoder.py), as full paths."""
    paths = [arg.split("::")[0] for arg in config.args]
    return {
        (config.invocation_params.dir / path).resolve() for path in paths if path.endswith(".py")
    }


def not_this_folders_checks(path, items, folder):
    """Say which folders a check file is for, and which files are for this one."""
    number = step_number(folder)
    if any("solution" in item.fixturenames for item in items):
        exercises = [
            extension_folder_name(step) for step in EXTENSIONS if step_number(step) == number
        ]
        return (
            f"{path.name} checks each extension exercise on a folder named after it"
            f" ({', '.join(exercises) or 'none for this step'}), and {folder.name} is not one:"
            f" copy your step as such a folder, or run all of checks/ on {folder.name} for its"
            " step's own checks."
        )
    first, last = step_range(items[0])
    own = " or ".join(f"checks/{found.name}" for found in check_files(number))
    return (
        f"{path.name} checks steps {first:02d} to {last:02d}, and {folder.name} is a step"
        f" {number:02d} folder (its name says so): run all of checks/ on it, or {own or 'checks/'}."
    )
