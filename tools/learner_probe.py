"""How each failure reads to a learner: every step started from a copy of the one before it.

    python tools/learner_probe.py [-v]

For each step from 02 on, the previous step's folder is copied as the learner's start
(steps/01_index as 02_jsonify, ...) and checked in learner mode, browser checks left out; and
each pitfall patch is applied to a copy of its step, whose named check must then fail. Every
failure is "plain" if its message says in words what is missing or wrong and names where to
read in WORKSHOP.md, else "bare": a bare comparison, an exception out of the
learner's code, no pointer. -v lists the bare ones.
"""

import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# The checks' helpers, checks/harness/, as pytest finds them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "checks"))
from harness.report import is_plain
from harness.steps import declared_pitfalls, patched_step, step_folders, step_number
from progress import learner_run


def steps():
    """The step folders of the repository, in order."""
    return step_folders()


def start_of(step, work_dir):
    """A learner's start on step: a copy of the step before it, named like step."""
    previous = [folder for folder in steps() if step_number(folder) == step_number(step) - 1]
    return shutil.copytree(
        previous[0], work_dir / step.name, ignore=shutil.ignore_patterns("__pycache__")
    )


def scenarios(work_dir):
    """Yield (name, folder, pytest arguments, case) for every start and every pitfall."""
    for step in steps()[1:]:
        yield f"start of {step.name}", start_of(step, work_dir), [], ""
    for patch, (check, case) in declared_pitfalls().items():
        step, patch_name = patch.split("/")
        folder = patched_step(step, patch_name, Path(tempfile.mkdtemp(dir=work_dir)))
        yield f"pitfall {patch}", folder, [f"checks/{check}"], case


def outcome(name, folder, pytest_args, case):
    """Return (plain failures, bare failures, whether it ran, the counts) for one scenario."""
    # One process per scenario (learner_run's), and the scenarios side by side.
    tally, why_not = learner_run(folder, *pytest_args)
    if tally is None:
        return [], [{"nodeid": name, "error": "", "message": why_not}], False, None
    failures = [failure for failure in tally["failures"] if case in failure["nodeid"]]
    plain = [failure for failure in failures if is_plain(failure)]
    bare = [failure for failure in failures if not is_plain(failure)]
    return plain, bare, bool(failures), tally["counts"]


def probe(work_dir):
    """Return {scenario: (plain failures, bare failures, whether it ran)} for every scenario."""
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        running = {scenario[0]: pool.submit(outcome, *scenario) for scenario in scenarios(work_dir)}
        return {name: future.result() for name, future in running.items()}


def main(verbose):
    """Print, for each scenario, how many failures are plain; with -v, each bare one."""
    with tempfile.TemporaryDirectory() as work_dir:
        found = probe(Path(work_dir))
    for name, (plain, bare, failed, _) in found.items():
        total = len(plain) + len(bare)
        note = "" if failed else "  (no failure: a pitfall's check must fail)"
        print(f"{name:48} plain {len(plain):3} of {total:3}{note}")
        if verbose:
            for failure in bare:
                message = failure["message"].strip().replace("\n", " | ")[:300]
                print(f"    {failure['nodeid']}\n        {failure['error']}: {message}")
    plain_total = sum(len(plain) for plain, *_ in found.values())
    total = sum(len(plain) + len(bare) for plain, bare, *_ in found.values())
    print(f"{'all':48} plain {plain_total:3} of {total:3}")
    return 0 if plain_total == total and all(failed for _, _, failed, _ in found.values()) else 1


if __name__ == "__main__":
    sys.exit(main("-v" in sys.argv[1:]))
