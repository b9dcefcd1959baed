"""Bring the patches under exercises/ up to date with their steps, from their solutions.

    python tools/patches.py [REV]      (make patches)

A patch's solution is its step with the patch applied. A patch that still applies is written
again from its solution, its line numbers those of the step now. One that no longer applies is
applied to its step as it was at REV (HEAD by default), and its solution merged into the step
as it is now (git merge-file): the patch is written from that, or, on a conflict, left as it was
and named, to change by hand.
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from carry import ROOT, git_apply, unified_diff

EXERCISES = ROOT / "exercises"


def patched_names(patch):
    """The files a patch changes, in its order: ["api.py", "auth.py"]."""
    return re.findall(r"^\+\+\+ b/(\S+)", patch, re.MULTILINE)


def solution(files, patch):
    """{name: text} of files once the patch is applied to them; None if it does not apply."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder) / "step"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
        if git_apply(patch, folder):
            return None
        return {name: (folder / name).read_text() for name in files}


def merged(current, base, solved):
    """current with the change from base to solved merged in; None on a conflict."""
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / name for name in ("current", "base", "solved")]
        for path, text in zip(paths, (current, base, solved), strict=True):
            path.write_text(text)
        command = ["git", "merge-file", "-p", *map(str, paths)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        return result.stdout if result.returncode == 0 else None


def refreshed(step, patch, old_files):
    """The patch written again for the step as it is now; None if it cannot be."""
    names = patched_names(patch)
    current = {name: (step / name).read_text() for name in names}
    solved = solution(current, patch)
    if solved is None:
        base = old_files(names)
        old_solution = solution(base, patch)
        if old_solution is None:
            return None
        solved = {name: merged(current[name], base[name], old_solution[name]) for name in names}
        if None in solved.values():
            return None
    return "".join(unified_diff(current[name], solved[name], name) for name in names)


def refresh(steps_dir, exercises_dir, old_files_of):
    """Write every patch again; return the patches that could not be, relative to exercises/."""
    stuck = []
    for path in sorted(exercises_dir.glob("*/*.patch")):
        step = steps_dir / path.parent.name
        patch = refreshed(step, path.read_text(), lambda names, s=step: old_files_of(s, names))
        if patch is None:
            stuck.append(str(path.relative_to(exercises_dir)))
        elif patch != path.read_text():
            path.write_text(patch)
    return stuck


def main(revision="HEAD"):
    """Refresh every patch of the repository; name those left for a hand."""

    def old_files_of(step, names):
        """The files of a step at the revision."""
        relative = step.relative_to(ROOT)
        return {
            name: subprocess.run(
                ["git", "show", f"{revision}:{relative}/{name}"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for name in names
        }

    stuck = refresh(ROOT / "steps", EXERCISES, old_files_of)
    for name in stuck:
        print(f"exercises/{name} could not be brought up to date: change it by hand.")
    return 1 if stuck else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
