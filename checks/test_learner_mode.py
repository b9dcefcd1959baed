"""Learner mode: `--step-dir` runs a step's checks against a learner's own copy of the step."""

import json
import os
import re
import shutil
import sys

import pytest
from flask import Flask

import progress
from harness.answers import CheckedClient, expect_status, said
from harness.apps import step_module
from harness.items import COLLECTION
from harness.report import POINTER, LearnerTally
from harness.sections import PAGES, TEMPLATES, WRAPS
from harness.selection import copy_problem
from harness.servers import run
from harness.steps import ROOT, STEPS_DIR, check_files, exercise_copy, step_number
from learner_probe import outcome, start_of, steps

INSTRUCTORS = ROOT / "docs" / "instructors.md"
REPORT = r"{folder} +{status} +technique (\d+)/(\d+) · hardening (\d+)/(\d+)"


@pytest.mark.slow
def test_progress_shows_each_rebuilt_step_and_what_to_fix_first(tmp_path):
    # A learner who rebuilt step 01, and copied step 02 as 03 but has not written the encoder.
    shutil.copytree(ROOT / "steps" / "01_index", tmp_path / "01_index")
    shutil.copytree(ROOT / "steps" / "02_jsonify", tmp_path / "03_encoder")
    result = run([sys.executable, "tools/progress.py", str(tmp_path)], cwd=ROOT)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, "a report is not an error:\n" + result.stdout + result.stderr
    done = re.fullmatch(REPORT.format(folder="01_index", status="done"), lines[0])
    assert done, lines
    assert done[1] == done[2], "every technique check of step 01 passes"
    not_yet = re.fullmatch(REPORT.format(folder="03_encoder", status="not yet"), lines[1])
    assert not_yet, lines
    assert not_yet[1] != not_yet[2], "step 03's technique is not done"
    assert "first to fix: test_encoder_writes_mongo_types: " in lines[2], "the first failure"
    assert "has no encoder.py, which this step needs" in lines[2], "in plain words"
    assert POINTER.search(lines[2]), "with where to read"
    left_out = re.fullmatch(r"Left out, not counted: (\d+) browser checks \(.+\)\.", lines[3])
    assert left_out, f"the browser checks are named as left out: {lines}"
    assert int(left_out[1]) > 0, lines


@pytest.mark.slow
def test_learner_mode_ends_with_the_same_report(tmp_path):
    shutil.copytree(ROOT / "steps" / "02_jsonify", tmp_path / "03_encoder")
    command = ["checks/test_03_encoder.py", "--step-dir", str(tmp_path / "03_encoder")]
    result = run([sys.executable, "-m", "pytest", *command, "-p", "no:cacheprovider"], cwd=ROOT)
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.fullmatch(REPORT.format(folder="03_encoder", status="not yet"), lines[-2]), lines
    assert "first to fix: test_encoder_writes_mongo_types: " in lines[-1], lines


# What learner mode says when it cannot check a folder: (folder to make, command, its message).
TRAPS = {
    "extension-checks-on-a-step-folder": (
        "04_auth",
        ["checks/test_exercises.py"],
        "test_exercises.py checks each extension exercise on a folder named after it"
        " (04_logout_everywhere), and 04_auth is not one",
    ),
    "another-steps-check-file": (
        "03_encoder",
        ["checks/test_04_login.py"],
        "test_04_login.py checks steps 04 to 08, and 03_encoder is a step 03 folder",
    ),
    "folder-not-named-like-a-step": (
        "my_step",
        ["checks"],
        "the folder's name says which step it is, NN_name (04_auth), and my_step does not",
    ),
    "no-such-folder": (None, ["checks"], "there is no such folder"),
}


@pytest.mark.slow
@pytest.mark.parametrize(("folder_name", "command", "message"), TRAPS.values(), ids=TRAPS)
def test_learner_mode_refuses_what_it_cannot_check_in_one_message(
    tmp_path, folder_name, command, message
):
    folder = tmp_path / (folder_name or "04_auth")
    if folder_name:
        shutil.copytree(ROOT / "steps" / "03_encoder", folder)
    options = ["--step-dir", str(folder), "-p", "no:cacheprovider"]
    result = run([sys.executable, "-m", "pytest", *command, *options], cwd=ROOT)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, f"one error, not a run of failures:\n{result.stdout}{result.stderr}"
    assert message in errors[0], errors[0]
    assert " passed" not in result.stdout, "no check ran"


@pytest.mark.slow
def test_a_selection_with_no_check_of_the_folder_is_a_report_of_0_of_0(tmp_path):
    # Autograding asks each step for its hardening; step 01 has none.
    folder = shutil.copytree(ROOT / "steps" / "01_index", tmp_path / "01_index")
    options = ["--step-dir", str(folder), "-m", "hardening", "-p", "no:cacheprovider"]
    result = run([sys.executable, "-m", "pytest", "checks", *options], cwd=ROOT)
    assert result.returncode == 0, f"0 of 0 is a report, not an error:\n{result.stdout}"
    assert re.search(r"01_index +passed +technique not run · hardening 0/0", result.stdout), (
        result.stdout
    )
    assert "INTERNALERROR" not in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.slow
def test_skipped_browser_checks_are_named_in_the_report(tmp_path):
    # Without Chromium the browser checks skip: counts then differ from a learner who has it.
    folder = shutil.copytree(ROOT / "steps" / "01_index", tmp_path / "01_index")
    options = ["--step-dir", str(folder), "-p", "no:cacheprovider"]
    environment = {**os.environ, "CHROMIUM": str(tmp_path / "no-chromium"), "CI": ""}
    result = run([sys.executable, "-m", "pytest", "checks", *options], cwd=ROOT, env=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"skipped, not counted: \d+ checks? \(CHROMIUM=", result.stdout), (
        "the report says how many checks were skipped, and why:\n" + result.stdout
    )


@pytest.mark.slow
def test_progress_shows_a_class_one_line_per_learner(tmp_path):
    # A class of three: one on step 02 (a copy of 01), one on 03 who left 02 unfinished and
    # caught up from the reference, one with step 01 done only.
    learners = {
        "alice": {"01_index": "01_index", "02_jsonify": "01_index"},
        "bob": {"01_index": "01_index", "02_jsonify": "01_index", "03_encoder": "02_jsonify"},
        "carol": {"01_index": "01_index"},
    }
    for name, folders in learners.items():
        for folder, copy_of in folders.items():
            shutil.copytree(ROOT / "steps" / copy_of, tmp_path / name / folder)
    (tmp_path / "notes").mkdir()
    # What is checked is the class's layout and its report, the same on any database: mongomock.
    environment = {name: value for name, value in os.environ.items() if name != "CHECKS_MONGO_URI"}
    result = run([sys.executable, "tools/progress.py", str(tmp_path)], cwd=ROOT, env=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    learner_lines = [line for line in lines if not line.startswith((" ", "Learners"))]
    assert [line.split()[0] for line in learner_lines] == ["alice", "bob", "carol"], lines
    assert re.match(r"alice +done 01 · on 02_jsonify: technique \d+/\d+", learner_lines[0]), lines
    assert re.match(r"bob +done 01 · unfinished 02 · on 03_encoder: technique", learner_lines[1]), (
        lines
    )
    assert learner_lines[2].split()[1:] == ["done", "01", "·", "no", "step", "in", "progress"], (
        result.stdout + result.stderr
    )
    assert lines[-1].startswith(
        "Learners on each step: 02_jsonify 1 · 03_encoder 1 · no step in progress 1"
    ), lines
    as_json = run(
        [sys.executable, "tools/progress.py", "--json", str(tmp_path)], cwd=ROOT, env=environment
    )
    summary = {
        learner["name"]: (learner["done"], learner["unfinished"], learner["on"])
        for learner in json.loads(as_json.stdout)["learners"]
    }
    assert summary == {
        "alice": (["01_index"], [], "02_jsonify"),
        "bob": (["01_index"], ["02_jsonify"], "03_encoder"),
        "carol": (["01_index"], [], None),
    }


@pytest.mark.slow
@pytest.mark.probe
@pytest.mark.parametrize("step", [folder.name for folder in steps()[1:]])
def test_every_failure_a_learner_meets_says_what_and_where_to_read(step, tmp_path):
    # Each step started from a copy of the one before: every failure says in words what is
    # wrong and names its section of WORKSHOP.md. Each pitfall's check says so in-process
    # (conftest.py, pytest_runtest_makereport).
    name = f"start of {step}"
    _plain, bare, failed, counts = outcome(name, start_of(STEPS_DIR / step, tmp_path), [], "")
    assert [
        f"{failure['nodeid']}: {failure['error']}: {failure['message']}" for failure in bare
    ] == [], f"{name}: failures without words or without a pointer (tools/learner_probe.py -v)"
    assert failed, f"{name}: a copy of the step before fails this step's checks"
    # The instructor's guide says what a learner's start of each step shows.
    shown = " · ".join(f"{group} {passed}/{total}" for group, (passed, total) in counts.items())
    guide = INSTRUCTORS.read_text()
    section = re.search(rf"^### Step {step[:2]}\n(.+?)(?=^##)", guide, re.MULTILINE | re.DOTALL)
    assert section, f"{INSTRUCTORS.name} has a section ### Step {step[:2]}"
    assert f"`{shown}`" in " ".join(section[1].split()), (
        f"{INSTRUCTORS.name}, ### Step {step[:2]}, says what make progress shows at the start of"
        f" the step: `{shown}`"
    )


# The first thing to fix at the start of each step whose own checks include technique ones: what
# make progress shows a learner who copied the step before (WORKSHOP.md, Progress at a glance;
# docs/instructors.md). From step 06 on, the only technique check a start fails is the step
# number (the probe's counts say so).
FIRST_TO_FIX = {
    "02_jsonify": "test_items_are_listed_newest_first_under_an_items_key",
    "03_encoder": "test_encoder_writes_mongo_types",
    "04_auth": "test_index_sends_visitors_to_login_with_next",
    "05_methodview": "test_step_features_offer_editing",
}


@pytest.mark.probe
@pytest.mark.parametrize("step", FIRST_TO_FIX)
def test_the_first_to_fix_at_the_start_of_a_step_stays_the_same(step, pytester, monkeypatch):
    # A step's own technique failures come first in the report: its own check files, without
    # the other steps', are enough to know the first to fix. Run in this process by pytester,
    # on mongomock (the order does not depend on the engine): under a second for each step.
    monkeypatch.delenv("CHECKS_MONGO_URI", raising=False)
    start = start_of(STEPS_DIR / step, pytester.path)
    tally = LearnerTally(start)
    pytester.runpytest_inprocess(
        *check_files(step_number(step)),
        *progress.PYTEST_OPTIONS,
        *("-m", "not hardening and not browser", "--step-dir", start),
        *("--rootdir", ROOT, "-c", ROOT / "pyproject.toml"),
        plugins=[progress.RegisterTally(tally)],
    )
    first = tally.failures()[0]["name"] if tally.failures() else None
    assert first == FIRST_TO_FIX[step], (
        f"the first to fix at the start of {step} is now {first}, not {FIRST_TO_FIX[step]}: a"
        " check moved above another, or a new one fails first. If that is meant, say so in"
        " FIRST_TO_FIX and in the guides' examples (WORKSHOP.md, docs/instructors.md)"
    )


@pytest.fixture
def step_app_module(request, step_dir):
    """The app of a copy of the step with the article's decorators: no functools.wraps."""
    folder = exercise_copy(request.config, step_dir.name, "pitfall_no_wraps")
    return step_module(folder, "app")


@pytest.mark.steps(4, 4)
def test_a_500_from_a_decorator_without_wraps_names_that_pitfall(auth):
    # register's url_for("index") fails: the pitfall's own section, not only the check's.
    answer = auth.register()
    assert answer.status_code == 500, said(answer)
    assert "BuildError" in said(answer, TEMPLATES), said(answer, TEMPLATES)
    assert WRAPS in said(answer, TEMPLATES), said(answer, TEMPLATES)


# A step folder a learner made that holds no step: (what it holds, what the message names).
NO_STEP_HERE = {
    "empty": (None, "my_work/04_auth is empty: copy the step it starts from into it: "),
    "nested": ("03_encoder", "my_work/04_auth holds its copy of a step one folder down, in"),
}


def make_no_step_folder(work_dir, inner):
    """my_work/04_auth in work_dir, empty, or with steps/<inner> copied inside it as cp -r does."""
    folder = work_dir / "my_work" / "04_auth"
    folder.mkdir(parents=True)
    if inner:
        shutil.copytree(STEPS_DIR / inner, folder / inner)
    return folder


@pytest.mark.parametrize(("inner", "message"), NO_STEP_HERE.values(), ids=NO_STEP_HERE)
def test_progress_says_what_to_copy_where_in_a_folder_with_no_step(
    tmp_path, monkeypatch, capsys, inner, message
):
    monkeypatch.chdir(tmp_path)
    folder = make_no_step_folder(tmp_path, inner)
    assert progress.main("my_work") == 0, "a report is not an error"
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("04_auth          could not be checked: " + message), line
    assert "Step 01" not in line, f"no pointer to step 01, which this folder is not: {line}"
    # The command it ends with, run as a learner would paste it, makes the folder a step's.
    command = line.rpartition(": ")[2]
    result = run(command, shell=True, cwd=tmp_path)
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    assert (folder / "app.py").is_file(), f"{command} puts the step's files in {folder}"
    assert copy_problem(folder, tmp_path) is None


def test_an_empty_step_01_folder_is_where_step_01_starts(tmp_path):
    # Step 01 is written from nothing: its checks run, and say what is missing.
    folder = tmp_path / "01_index"
    folder.mkdir()
    assert copy_problem(folder, tmp_path) is None


@pytest.mark.slow
@pytest.mark.parametrize(("inner", "message"), NO_STEP_HERE.values(), ids=NO_STEP_HERE)
def test_learner_mode_says_what_to_copy_where_in_a_folder_with_no_step(tmp_path, inner, message):
    make_no_step_folder(tmp_path, inner)
    options = ["--step-dir", "my_work/04_auth", "-p", "no:cacheprovider"]
    result = run([sys.executable, "-m", "pytest", str(ROOT / "checks"), *options], cwd=tmp_path)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, result.stderr
    assert message in errors[0], result.stderr
    assert " passed" not in result.stdout, "no check ran"


def test_a_long_url_is_shortened_in_a_message():
    # A list that refuses a 5,000-digit limit, as step 05's does: a check that wanted a page
    # says so, the URL shortened.
    app = Flask(__name__)
    app.test_client_class = CheckedClient
    app.get(COLLECTION)(lambda: ({"error": "limit must be a whole number."}, 400))
    url = f"{COLLECTION}?limit={'9' * 5000}"
    with pytest.raises(AssertionError) as failed:
        expect_status(app.test_client().get(url), 200, f"GET {url}", PAGES)
    message = str(failed.value)
    assert f"GET {url[:60]}… ({len(url):,} characters) should answer 200" in message, message
    assert len(message) < 500, f"the URL is shortened, not printed whole: {len(message)} characters"


def test_a_long_answer_is_shortened_in_a_message():
    # A list of many items where an object was expected: the message shows its start and length.
    app = Flask(__name__)
    app.test_client_class = CheckedClient
    items = [{"title": f"item {number}"} for number in range(100)]
    app.get(COLLECTION)(lambda: (json.dumps(items), 200, {"Content-Type": "application/json"}))
    with pytest.raises(AssertionError) as failed:
        expect_status(app.test_client().get(COLLECTION), 201, f"GET {COLLECTION}", PAGES)
    message = str(failed.value)
    body = json.dumps(items)
    assert f"it answered 200 {body[:100]}" in message, message
    assert f"… ({len(body):,} characters)" in message, f"the answer is shortened: {message}"
