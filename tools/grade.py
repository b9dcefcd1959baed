"""Grade a class as its GitHub Classroom workflow does: each learner's points, step by step.

    python tools/grade.py class/          (make grade DIR=class/)

class/ holds one folder per learner, each holding their step folders (class/alice/05_methodview);
a folder of step folders (my_work/) is one learner. Each step folder is checked once, as learner
mode checks it, browser checks included: under CI=true they fail without a browser, as in the
workflow. A folder earns a grader's points of .github/workflows/classroom.yml when every check of
the grader's group passes, as the grader's exit status would say; a step with no folder earns
nothing. --json prints the same as JSON.
"""

import json
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from progress import learner_run, step_folders_in

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "classroom.yml"
GRADER = "classroom-resources/autograding-command-grader@v1"


def workflow_steps():
    """The workflow's steps, each as {key: value} of its lines (those under with: and env: too)."""
    text = WORKFLOW.read_text()
    steps = []
    for block in re.split(r"^      - ", text.partition("\n    steps:\n")[2], flags=re.MULTILINE):
        fields = {}
        for key, value in re.findall(r"^\s*([\w.-]+): *(.*)$", block, re.MULTILINE):
            fields[key] = value.strip().strip("'")
        if fields:
            steps.append(fields)
    return steps


def graders():
    """The grader steps of the workflow: {test-name: its fields}."""
    found = {}
    for step in workflow_steps():
        if step.get("uses") == GRADER:
            assert step["test-name"] not in found, f"two graders named {step['test-name']}"
            found[step["test-name"]] = step
    return found


def points_table():
    """{(step folder name, group): the grader's points}, from the graders' names: 05_methodview
    technique."""
    table = {}
    for name, grader in graders().items():
        folder, group = name.split()
        table[folder, group] = int(grader["max-score"])
    return table


def folder_points(tally, folder, table):
    """{group: the points a checked folder earns}: all of a grader's, or none."""
    return {
        group: points if tally and tally["counts"][group][0] == tally["counts"][group][1] else 0
        for (name, group), points in table.items()
        if name == folder
    }


def learner_grade(name, folders, runs, table):
    """One learner: their points for each step folder the workflow grades, and the total."""
    steps = {}
    for folder_name in sorted({folder for folder, _ in table}):
        folder = next((folder for folder in folders if folder.name == folder_name), None)
        tally, why_not = runs[folder] if folder else (None, None)
        steps[folder_name] = {
            "points": folder_points(tally, folder_name, table),
            "counts": tally["counts"] if tally else None,
            "error": why_not,
        }
    total = sum(sum(step["points"].values()) for step in steps.values())
    return {"name": name, "points": total, "out_of": sum(table.values()), "steps": steps}


def grade_lines(learner):
    """A learner's total and points per step (technique+hardening), then each folder not checked."""
    steps = " · ".join(
        f"{name[:2]} {'+'.join(str(points) for points in step['points'].values())}"
        if step["counts"]
        else f"{name[:2]} -"
        for name, step in learner["steps"].items()
    )
    total = f"{learner['points']}/{learner['out_of']}"
    lines = [f"{learner['name']:16} {total:>7}  {steps}"]
    for name, step in learner["steps"].items():
        if step["error"]:
            lines.append(f"{'':16} {name} could not be checked: {step['error']}")
    return lines


def learners_in(folder):
    """{learner's name: their step folders}: a class's learners, or the one whose folder it is."""
    if step_folders_in(folder):
        return {folder.resolve().name: step_folders_in(folder)}
    return {
        learner.name: step_folders_in(learner)
        for learner in sorted(folder.iterdir())
        if learner.is_dir() and step_folders_in(learner)
    }


def main(work_dir, as_json=False):
    """Print each learner's points, or say why there is nothing to grade."""
    work_dir = Path(work_dir)
    learners = learners_in(work_dir) if work_dir.is_dir() else {}
    if not learners:
        print(f"No step folders in {work_dir}, nor in folders of it: nothing to grade.")
        return 1
    # The workflow's graders run under CI=true: a missing browser fails its checks.
    os.environ["CI"] = "true"
    folders = [folder for steps in learners.values() for folder in steps]
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        tallies = pool.map(lambda folder: learner_run(folder, browser=True), folders)
        runs = dict(zip(folders, tallies, strict=True))
    table = points_table()
    grades = [learner_grade(name, steps, runs, table) for name, steps in learners.items()]
    if as_json:
        print(json.dumps({"learners": grades}))
    else:
        print(f"{'':16} {'points':>7}  each step: technique+hardening, - where there is no folder")
        for learner in grades:
            print("\n".join(grade_lines(learner)))
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    places = [argument for argument in arguments if argument != "--json"]
    sys.exit(main(places[0] if places else "my_work", "--json" in arguments))
