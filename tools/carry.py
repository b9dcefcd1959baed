"""Carry a change of one step's file into the later steps that hold the same file.

    python tools/carry.py steps/03_encoder/encoder.py [REV]      (make carry FILE=...)

The change is the file as it is now against REV (HEAD by default). Each later step folder with
a file of that name gets the same change, as a patch (git apply): a copy that no longer has the
changed lines' context is named and left as it was, to change by hand. Then run
tools/patches.py, which brings the exercises' patches up to date.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

# The checks' helpers, checks/harness/, as pytest finds them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "checks"))
from harness.steps import ROOT, step_number


def unified_diff(old, new, name):
    """A patch from old to new text, as the exercises' patches are written: --- a/name."""
    # GNU diff, whose choice among equal alignments the patches were written with.
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / "old", Path(folder) / "new"]
        for path, text in zip(paths, (old, new), strict=True):
            path.write_text(text)
        labels = ["--label", f"a/{name}", "--label", f"b/{name}"]
        command = ["diff", "-u", *labels, *map(str, paths)]
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout


def git_apply(patch, folder):
    """Apply a patch in folder (paths relative to it); return git's complaint, or None."""
    # The ceiling keeps git from taking a repository around the folder for the patch's root.
    environment = {**os.environ, "GIT_CEILING_DIRECTORIES": str(folder.parent)}
    result = subprocess.run(
        ["git", "apply", "-"],
        input=patch,
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stderr.strip() if result.returncode else None


def later_copies(path):
    """The same file in each later step folder that holds one: steps/04_auth/encoder.py, ..."""
    number = step_number(path.parent)
    later = [
        other / path.name
        for other in sorted(path.parent.parent.iterdir())
        if (step_number(other) or 0) > number
    ]
    return [copy for copy in later if copy.is_file()]


def carry(path, old):
    """Carry path's change since old into later steps; return {later copy: None or why not}."""
    patch = unified_diff(old, path.read_text(), path.name)
    if not patch:
        return {}
    return {copy: git_apply(patch, copy.parent) for copy in later_copies(path)}


def committed(path, revision):
    """A file's text at a revision of the repository."""
    relative = path.resolve().relative_to(ROOT)
    command = ["git", "show", f"{revision}:{relative}"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def main(file, revision="HEAD"):
    """Carry the file's change and say, for each later step, whether it took."""
    path = Path(file)
    if not path.is_file() or step_number(path.parent) is None:
        print(f"{file} is not a file of a step folder (steps/03_encoder/encoder.py).")
        return 1
    results = carry(path, committed(path, revision))
    if not results:
        print(f"{file}: no change since {revision}, or no later step holds it.")
    for copy, why_not in results.items():
        print(
            f"{copy}: " + (f"not carried, change it by hand: {why_not}" if why_not else "carried")
        )
    return 1 if any(results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]) if sys.argv[1:] else main(""))
