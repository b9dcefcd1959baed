"""Learner mode: `--step-dir` runs a step's checks against a learner's own copy of the step."""

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


def test_a_faithful_copy_passes(tmp_path):
    copy = shutil.copytree(ROOT / "steps" / "03_encoder", tmp_path / "03_encoder")
    code, output = run_checks("checks/test_03_encoder.py", copy)
    assert code == 0, output
    assert "passed" in output


def test_a_copy_without_the_technique_fails_with_a_plain_message(tmp_path):
    # A learner who copied step 02 and has not written the encoder yet.
    copy = shutil.copytree(ROOT / "steps" / "02_jsonify", tmp_path / "03_encoder")
    code, output = run_checks("checks/test_03_encoder.py", copy)
    assert code == 1, output
    assert "has no encoder.py, which this step needs" in output
    assert "Flask's JSON provider cannot encode ObjectId" in output
