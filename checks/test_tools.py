"""The maintainers' tools for changes that span steps: tools/carry.py and tools/patches.py."""

import shutil
import subprocess

from carry import carry
from harness.steps import EXERCISES_DIR, STEPS_DIR
from patches import refresh

BASE_CASE = "        return super().default(o)\n"
# A line added to step 03's encoder, next to lines every later copy has too.
NEW_CASE = "        # Anything else is not JSON: the base class says so.\n" + BASE_CASE


def copy_of(folder, tmp_path):
    """A copy of a folder of the repository (steps/, exercises/) in tmp_path."""
    return shutil.copytree(
        folder, tmp_path / folder.name, ignore=shutil.ignore_patterns("__pycache__")
    )


def test_carry_takes_a_change_into_the_later_steps_that_hold_the_file(tmp_path):
    steps = copy_of(STEPS_DIR, tmp_path)
    encoder = steps / "03_encoder" / "encoder.py"
    old = encoder.read_text()
    encoder.write_text(old.replace(BASE_CASE, NEW_CASE))
    # One later copy whose lines around the change are its own: carried by hand.
    own = steps / "06_logins" / "encoder.py"
    own.write_text(own.read_text().replace(BASE_CASE, "        return None\n"))
    results = carry(encoder, old)
    assert sorted(copy.parent.name for copy in results) == [
        "04_auth",
        "05_methodview",
        "06_logins",
        "07_requests",
        "08_deploy",
    ], "every later step that holds encoder.py, and only those"
    for copy, why_not in results.items():
        if copy == own:
            assert why_not, "a copy without the change's context is named"
            assert NEW_CASE not in copy.read_text(), "and left as it was"
        else:
            assert why_not is None, f"{copy.parent.name}: {why_not}"
            assert NEW_CASE in copy.read_text(), f"{copy.parent.name} gets the change"


def test_patches_are_written_again_for_a_changed_step(tmp_path):
    steps, exercises = copy_of(STEPS_DIR, tmp_path), copy_of(EXERCISES_DIR, tmp_path)
    encoder = steps / "03_encoder" / "encoder.py"
    old = encoder.read_text()
    # Lines above every hunk, and a change inside the context of the fallback pitfall's hunk.
    changed = "# A first line.\n" + old.replace("so that is all the precision", "all the precision")
    encoder.write_text(changed)
    fallback = exercises / "03_encoder" / "pitfall_article_fallback.patch"
    before = fallback.read_text()
    stuck = refresh(steps, exercises, lambda _step, names: dict.fromkeys(names, old))
    assert stuck == [], "every patch is brought up to date"
    assert fallback.read_text() != before, "the pitfall's patch is written for the changed step"
    for patch in sorted((exercises / "03_encoder").glob("*.patch")):
        check = ["git", "apply", "--check", str(patch)]
        applies = subprocess.run(check, cwd=steps / "03_encoder", capture_output=True, text=True)
        assert applies.returncode == 0, (
            f"{patch.name} applies to the changed step: {applies.stderr}"
        )
    assert "+        return simplejson.JSONEncoder(self, o)\n" in fallback.read_text()
