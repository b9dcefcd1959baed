"""Learner mode: `--step-dir` runs a step's checks against a learner's own copy of the step."""

import re
import shutil
import sys

import pytest

from servers import run
from support import ROOT


@pytest.mark.slow
def test_progress_shows_each_rebuilt_step_and_what_to_fix_first(tmp_path):
    # A learner who rebuilt step 01, and copied step 02 as 03 but has not written the encoder.
    shutil.copytree(ROOT / "steps" / "01_index", tmp_path / "01_index")
    shutil.copytree(ROOT / "steps" / "02_jsonify", tmp_path / "03_encoder")
    result = run([sys.executable, "checks/progress.py", str(tmp_path)], cwd=ROOT)
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.fullmatch(r"01_index +done +(\d+)/\1 checks pass", lines[0]), lines
    assert re.fullmatch(r"03_encoder +not yet +\d+/\d+ checks pass", lines[1]), lines
    assert "first to fix: " in lines[2], "the first failure is said"
    assert "has no encoder.py, which this step needs" in lines[2], "in plain words"
