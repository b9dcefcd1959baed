"""Learner mode: `--step-dir` runs a step's checks against a learner's own copy of the step."""

import re
import shutil
import subprocess
import sys

from conftest import ROOT


def run_checks(check_file, step_dir):
    """Run one check file against a step folder in a fresh pytest; return (exit code, output)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", check_file, "--step-dir", str(step_dir), "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout


def test_a_copy_without_the_technique_fails_with_a_plain_message(tmp_path):
    # A learner who copied step 02 and has not written the encoder yet.
    copy = shutil.copytree(ROOT / "steps" / "02_jsonify", tmp_path / "03_encoder")
    code, output = run_checks("checks/test_03_encoder.py", copy)
    assert code == 1, output
    assert "has no encoder.py, which this step needs" in output
    assert "Flask's JSON provider cannot encode ObjectId" in output


def test_progress_shows_each_rebuilt_step_and_what_to_fix_first(tmp_path):
    shutil.copytree(ROOT / "steps" / "01_index", tmp_path / "01_index")
    shutil.copytree(ROOT / "steps" / "02_jsonify", tmp_path / "03_encoder")
    result = subprocess.run(
        [sys.executable, "checks/progress.py", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.fullmatch(r"01_index +done +(\d+)/\1 checks pass", lines[0]), lines
    assert re.fullmatch(r"03_encoder +not yet +\d+/\d+ checks pass", lines[1]), lines
    assert "first to fix: " in lines[2]
    assert "has no encoder.py, which this step needs" in lines[2]
