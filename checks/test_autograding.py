"""Autograding: JUnit XML that names each check's group and step, and the GitHub Classroom
workflow that grades each step folder a learner commits (docs/autograding.md)."""

import json
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ElementTree

import pytest

from grade import WORKFLOW, graders, points_table, workflow_steps
from harness.servers import run
from harness.steps import ROOT, STEPS_DIR, step_number

RECIPE = ROOT / "docs" / "autograding.md"
# What each grader runs, for one step folder and one group: learner mode, its exit status the
# grade. CI=true: without a browser, the browser checks fail rather than skip.
COMMANDS = {
    "technique": 'CI=true .venv/bin/pytest checks --step-dir my_work/{step} -m "not hardening"',
    "hardening": "CI=true .venv/bin/pytest checks --step-dir my_work/{step} -m hardening",
}
REPORTER = "classroom-resources/autograding-grading-reporter@v1"


def step_folder_names():
    """The names of the repository's step folders: 01_index, ..."""
    return sorted(folder.name for folder in STEPS_DIR.iterdir() if step_number(folder) is not None)


def test_junit_xml_names_each_checks_group_and_step(tmp_path):
    # Learner mode on a copy of a step, one check file (one process, a second or two): step
    # 02's checks on step 03 are both technique and hardening.
    folder = shutil.copytree(STEPS_DIR / "03_encoder", tmp_path / "03_encoder")
    report = tmp_path / "report.xml"
    command = ["checks/test_02_jsonify.py", "--step-dir", str(folder), "-m", "not browser"]
    options = ["--junitxml", str(report), "-p", "no:cacheprovider"]
    result = run([sys.executable, "-m", "pytest", *command, *options], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    cases = list(ElementTree.parse(report).getroot().iter("testcase"))
    properties = [
        {prop.get("name"): prop.get("value") for prop in case.iter("property")} for case in cases
    ]
    assert cases, "the XML has a test case per check"
    assert all(found.get("step") == "03_encoder" for found in properties), (
        f"each test case names its step folder in its <properties>: {properties[:3]}"
    )
    groups = [found.get("group") for found in properties]
    counts = re.search(r"technique (\d+)/\d+ · hardening (\d+)/\d+", result.stdout)
    assert counts, result.stdout
    assert [groups.count("technique"), groups.count("hardening")] == [
        int(counts[1]),
        int(counts[2]),
    ], f"the XML's groups are the report's counts: {groups}\n{result.stdout}"


def test_the_classroom_workflow_grades_each_step_twice():
    found = graders()
    expected = {
        f"{step} {group}": COMMANDS[group].format(step=step)
        for step in step_folder_names()
        for group in COMMANDS
    }
    assert {name: grader["command"] for name, grader in found.items()} == expected, (
        f"{WORKFLOW.name}: one grader per step folder and group, running the documented command"
    )
    for name, grader in found.items():
        assert re.fullmatch(r"\d+", grader["max-score"]), f"{name}: max-score is whole points"
        assert re.fullmatch(r"\d+(\.\d+)?", grader["timeout"]), f"{name}: timeout in minutes"
        # Set up once, before the graders: the step does it for all of them.
        assert "setup-command" not in grader, f"{name}: make setup runs once, as a step"


def test_the_classroom_reporter_reads_every_grader():
    ids = [grader["id"] for grader in graders().values()]
    assert len(set(ids)) == len(ids), f"each grader has an id of its own: {ids}"
    reporters = [step for step in workflow_steps() if step.get("uses") == REPORTER]
    assert len(reporters) == 1, f"{WORKFLOW.name} ends with one reporter: {REPORTER}"
    reporter = reporters[0]
    assert reporter["runners"].split(",") == ids, "the reporter lists every grader, in order"
    for step_id in ids:
        # The reporter reads each grader's result from <ID>_RESULTS, upper case.
        assert reporter.get(f"{step_id.upper()}_RESULTS") == (
            f'"${{{{steps.{step_id}.outputs.result}}}}"'
        ), f"the reporter's env has no {step_id.upper()}_RESULTS"


def test_the_classroom_workflow_runs_on_learners_work_only():
    text = WORKFLOW.read_text()
    # In the workshop's own repository, a push of anything but my_work/ grades nothing.
    on = re.search(r"^on:\n((?:  .*\n)+)", text, re.MULTILINE)
    assert on, f"{WORKFLOW.name} has no on: section"
    assert on[1] == "  push:\n    paths: ['my_work/**']\n  workflow_dispatch:\n", on[1]
    assert "make setup" in [step.get("run") for step in workflow_steps()], "set-up is make setup"


@pytest.mark.slow
def test_a_graders_command_passes_a_reference_step_and_gives_nothing_without_its_folder(tmp_path):
    # As the command grader runs it: in a shell from the repository root, with only PATH and
    # HOME. my_work/ is a folder of this check's own, holding a copy of step 02 only.
    work = tmp_path / "my_work"
    shutil.copytree(STEPS_DIR / "02_jsonify", work / "02_jsonify")
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    found = graders()

    def grade(name):
        command = found[name]["command"].replace(" my_work/", f" {work}/")
        return run(command, shell=True, cwd=ROOT, env=environment)

    graded = grade("02_jsonify hardening")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert re.search(
        r"^02_jsonify +passed +technique not run · hardening (\d+)/\1$", graded.stdout, re.MULTILINE
    ), graded.stdout
    missing = grade("03_encoder technique")
    assert missing.returncode != 0, "no folder, no points"
    said = [line for line in (missing.stdout + missing.stderr).splitlines() if line.strip()]
    assert said == [f"ERROR: --step-dir {work}/03_encoder: there is no such folder."], said


def test_the_recipe_shows_the_workflows_commands_points_and_timeouts():
    text = RECIPE.read_text()
    found = graders()
    for name in ["05_methodview technique", "05_methodview hardening"]:
        assert found[name]["command"] in text, f"{RECIPE.name} shows the command of {name}"
    rows = re.findall(
        r"^\| `(\d\d_\w+)` \| (\d+) points, (\S+) min \| (\d+) points, (\S+) min \|$",
        text,
        re.MULTILINE,
    )
    table = {
        f"{step} {group}": (points, minutes)
        for step, *cells in rows
        for group, points, minutes in [("technique", *cells[:2]), ("hardening", *cells[2:])]
    }
    assert table == {
        name: (grader["max-score"], grader["timeout"]) for name, grader in found.items()
    }, f"{RECIPE.name}'s table of points and timeouts is the workflow's"
    total = sum(int(grader["max-score"]) for grader in found.values())
    assert f"{total} points in all" in text, f"{RECIPE.name} says the total: {total} points"


@pytest.mark.slow
def test_make_grade_gives_a_class_the_workflows_points(tmp_path):
    # ana rebuilt step 01, and copied it as 02 without changing it yet.
    shutil.copytree(STEPS_DIR / "01_index", tmp_path / "ana" / "01_index")
    shutil.copytree(STEPS_DIR / "01_index", tmp_path / "ana" / "02_jsonify")
    result = run([sys.executable, "tools/grade.py", "--json", str(tmp_path)], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    (ana,) = json.loads(result.stdout)["learners"]
    table = points_table()
    assert ana["out_of"] == sum(table.values()), ana
    assert ana["steps"]["01_index"]["points"] == {
        "technique": table["01_index", "technique"],
        "hardening": table["01_index", "hardening"],
    }, "a reference step 01 earns all its points"
    assert ana["steps"]["02_jsonify"]["points"] == {"technique": 0, "hardening": 0}, (
        "a copy of step 01 earns none of step 02's"
    )
    assert ana["steps"]["03_encoder"]["counts"] is None, "a step with no folder is not checked"
    assert ana["points"] == table["01_index", "technique"] + table["01_index", "hardening"], ana
