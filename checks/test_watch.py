"""make watch: a learner's step is checked again after each save."""

import shutil

import pytest

from harness.servers import STOP_TIMEOUT, started
from harness.steps import ROOT
from watch import main

# Seconds to wait for the report a save brings: a few on a quiet machine (bench/checks_time.py
# measures it), the rest for a busy one.
REPORT_TIMEOUT = 60


@pytest.mark.slow
def test_watch_checks_the_step_again_after_a_save(tmp_path):
    # A learner who copied step 02 as 03 and has not written the encoder yet.
    folder = shutil.copytree(ROOT / "steps" / "02_jsonify", tmp_path / "03_encoder")
    with started(["make", "watch", f"DIR={folder}"], cwd=ROOT) as watching:
        watching.wait_for_output(r"^03_encoder +not yet +technique \d+/\d+ · hardening")
        watching.wait_for_output(r"^ +first to fix: test_encoder_writes_mongo_types: ")
        # The finished step saved: its encoder, and the app and API that use it.
        shutil.copytree(
            ROOT / "steps" / "03_encoder",
            folder,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        watching.wait_for_output(
            r"^03_encoder +done +technique (\d+)/\1 · hardening (\d+)/\2$", REPORT_TIMEOUT
        )
        output = watching.stdout()
    assert "03_encoder changed (" in output, f"a line says why it checks again:\n{output}"


@pytest.mark.slow
def test_watch_stops_when_the_folder_is_deleted(tmp_path):
    # A deleted folder cannot be watched any more: it says so rather than wait in silence.
    folder = shutil.copytree(ROOT / "steps" / "03_encoder", tmp_path / "03_encoder")
    with started(["make", "watch", f"DIR={folder}"], cwd=ROOT) as watching:
        watching.wait_for_output(r"^Watching 03_encoder")
        shutil.rmtree(folder)
        watching.wait_for_output(r"^03_encoder was deleted: make watch again", REPORT_TIMEOUT)
        watching.wait_for(lambda: watching.process.poll() is not None, "exiting", STOP_TIMEOUT)


# What make watch says of a folder it cannot check: (folder to make, the start of its line).
REFUSALS = {
    "no-such-folder": (None, "No folder "),
    "folder-not-named-like-a-step": ("my_step", "my_step is not named like a step"),
}


@pytest.mark.parametrize(("folder_name", "message"), REFUSALS.values(), ids=REFUSALS)
def test_watch_refuses_what_it_cannot_check_in_one_line(tmp_path, capsys, folder_name, message):
    folder = tmp_path / (folder_name or "04_auth")
    if folder_name:
        shutil.copytree(ROOT / "steps" / "04_auth", folder)
    assert main(folder) == 1, "nothing to watch is an error"
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(message), lines
