"""WORKSHOP.md and README.md never drift from the code, nor the checks' pointers into them."""

# Conventions the documents follow (WORKSHOP.md explains them to readers in one line):
# - `<!-- excerpt: PATH -->` right before a fenced block: the block is verbatim lines of PATH. A
#   line `...` (or `# ...`, `// ...`) stands for lines left out; every code block has one.
# - `sh` blocks hold commands; each is run here, or is what `make test` runs in CI.
# - `<!-- curl: steps/NN_name -->` right before a `console` block: the `$ ` commands are run
#   against that step on the embedded database, and what they print must match what is shown
#   (ids and times may differ).
# - Every link and every path in backquotes exists, and so does every check named in them.

import contextlib
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from exercise_patches import EXTENSIONS, extension_folder_name, patched_step
from mongo_servers import MAKE_MONGO_URI, make_mongo_stand_in
from servers import http_status, run, serving, started
from support import PASSWORD, ROOT, checks_config, step_module

DOCUMENTS = ["README.md", "WORKSHOP.md"]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"<!-- (excerpt|curl): (\S+) -->\n$")
UNCHECKED_LANGUAGES = {"sh", "console", "mermaid", "text", ""}
ELISION = re.compile(r"^\s*(#|//)?\s*\.\.\.\s*$")
SHOWN_SERVER = "http://127.0.0.1:5000"
VENV_BIN = Path(sys.executable).parent


def blocks(document):
    """Yield (language, body, marker kind, marker path, line number) for each fenced block."""
    text = (ROOT / document).read_text()
    for match in FENCE.finditer(text):
        before = text[: match.start()]
        marker = MARKER.search(before[-300:])
        kind, path = marker.groups() if marker else (None, None)
        yield match.group(1), match.group(2), kind, path, before.count("\n") + 1


def all_blocks():
    """Every fenced block of the documents, with an id naming its place."""
    return [
        pytest.param(document, *block, id=f"{document}:{block[4]}")
        for document in DOCUMENTS
        if (ROOT / document).exists()
        for block in blocks(document)
    ]


def code_blocks():
    """The blocks that show code from the repository."""
    return [block for block in all_blocks() if block.values[1] not in UNCHECKED_LANGUAGES]


def chunks(body):
    """Split an excerpt at its elision lines into runs of consecutive lines."""
    run = []
    for line in body.rstrip("\n").split("\n"):
        if ELISION.match(line):
            yield run
            run = []
        else:
            run.append(line.rstrip())
    yield run


@pytest.mark.parametrize(("document", "language", "body", "kind", "path", "line"), code_blocks())
def test_code_excerpts_are_verbatim_from_their_file(document, language, body, kind, path, line):
    assert kind == "excerpt", f"{document}:{line}: add <!-- excerpt: PATH --> before the block"
    source = [source_line.rstrip() for source_line in (ROOT / path).read_text().split("\n")]
    position = 0
    for lines in chunks(body):
        found = next(
            (
                start
                for start in range(position, len(source) - len(lines) + 1)
                if source[start : start + len(lines)] == lines
            ),
            None,
        )
        assert found is not None, (
            f"{document}:{line}: these lines are not in {path}:\n" + "\n".join(lines)
        )
        position = found + len(lines)


def test_every_link_and_path_exists():
    link = re.compile(r"\]\(([^)#\s]+)")
    # A path may be a pattern (`checks/test_04_*.py`): some file must match it.
    quoted_path = re.compile(r"`((?:steps|checks|frontend|bench|docs|exercises)/[\w./*-]*)`")
    missing = [
        f"{document}: {target}"
        for document in DOCUMENTS
        for target in link.findall((ROOT / document).read_text())
        + quoted_path.findall((ROOT / document).read_text())
        if "://" not in target and not any(ROOT.glob(target))
    ]
    assert missing == [], "a file was moved or renamed: say where it is now"


def test_every_check_named_exists():
    checks = "\n".join(path.read_text() for path in (ROOT / "checks").glob("test_*.py"))
    missing = [
        f"{document}: {name}"
        for document in DOCUMENTS
        for name in re.findall(r"`(test_\w+)`", (ROOT / document).read_text())
        if f"def {name}(" not in checks
    ]
    assert missing == [], "a check was renamed: say its new name in the document"


def test_checks_point_at_sections_that_exist():
    # A check's message says where to read on: (WORKSHOP.md, <step heading> · <its section>).
    headings = re.findall(r"^#+ (.+)$", (ROOT / "WORKSHOP.md").read_text(), re.MULTILINE)
    sections, step = set(), None
    for heading in headings:
        step = heading.split(" · ")[0] if heading.startswith("Step ") else step
        sections.add(f"{step} · {heading}" if step and not heading.startswith("Step ") else heading)
    pointers = {
        f"{path.name}: {pointer}"
        for path in (ROOT / "checks").glob("*.py")
        for pointer in re.findall(r"WORKSHOP\.md, (Step [^)\"]+)", path.read_text())
        if pointer not in sections
    }
    assert pointers == set(), "each pointer names a heading of WORKSHOP.md under its step"


# --- Shell commands -------------------------------------------------------------------------


# Commands that start a server or a whole pytest run: real processes, so `slow` checks.
STARTS_PROCESSES = re.compile(
    r"(\S+=\S+ )*(make (run|progress)|(\.venv/bin/)?flask |(\.venv/bin/)?pytest .*--step-dir)"
)


def commands():
    """Every distinct command of the documents' sh blocks, continuation lines joined."""
    found = {}
    for document in DOCUMENTS:
        for language, body, _kind, _path, line in blocks(document):
            if language != "sh":
                continue
            for command in body.replace("\\\n", " ").split("\n"):
                command = command.split(" # ")[0].strip()
                if command and not command.startswith("#") and command not in found:
                    marks = [pytest.mark.slow] if STARTS_PROCESSES.match(command) else []
                    found[command] = pytest.param(
                        command, id=f"{document}:{line}:{command[:40]}", marks=marks
                    )
    return list(found.values())


def assert_serves(command):
    """Start a server command on a port of its choosing; it must answer GET / there."""
    with started(command, shell=True, cwd=ROOT, env=venv_environment()) as server:
        port = server.wait_for_output(r"Running on http://127\.0\.0\.1:(\d+)").group(1)
        # The port is open before the app is loaded (the reloader's server): wait for an answer.
        status = server.wait_for(lambda: http_status(port), "answering HTTP")
        # 302: steps 04 and 05 send a visitor to the login form.
        assert status in {200, 302}, f"{command} answered GET / with {status}:\n{server.output()}"


def venv_environment():
    """The environment with the checks' .venv/bin first on PATH, as the documents assume."""
    return {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}


def makefile_recipes():
    """The text of the Makefile, whose recipes `make test` runs in CI, variables filled in."""
    text = (ROOT / "Makefile").read_text()
    for variable, value in {
        "$(PYTHON)": "python3",
        "$(VENV)": ".venv",
        "$(BIN)": ".venv/bin",
    }.items():
        text = text.replace(variable, value)
    return text


def learner_copy(folder_name, tmp_path):
    """Make the learner's folder a learner-mode command names, from the repository's files."""
    # my_work/04_auth is a copy of the step; my_work/05_done_filter is the step with the
    # extension's reference solution applied.
    extensions = {extension_folder_name(step): step for step in EXTENSIONS}
    if folder_name in extensions:
        step = extensions[folder_name]
        return patched_step(step, EXTENSIONS[step], tmp_path)
    assert (ROOT / "steps" / folder_name).is_dir(), f"{folder_name} names no step folder"
    return shutil.copytree(ROOT / "steps" / folder_name, tmp_path / folder_name)


def check_command(command, tmp_path):
    """Run or account for one documented command; fail with the reason if it does not hold."""
    words = shlex.split(command)
    if command.startswith(f"MONGO_URI={MAKE_MONGO_URI} "):
        # For make mongo's server: the run's real server stands in, with a database of its own.
        with make_mongo_stand_in():
            check_command(command.removeprefix(f"MONGO_URI={MAKE_MONGO_URI} "), tmp_path)
    elif re.fullmatch(
        r"(\S+=\S+ )*(\.venv/bin/)?flask --app steps/\d\d_\w+/app\.py run( --debug)?", command
    ):
        # Port 0: the server takes a free port and says which; no other process can take it.
        assert_serves(f"{command} --port 0")
    elif re.fullmatch(r"(\S+=\S+ )*make run( STEP=\d\d)?", command):
        assert_serves(f"{command} PORT=0")
    elif re.fullmatch(r"make diff STEP=\d\d", command):
        result = run(words, cwd=ROOT)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "+++ steps/" in result.stdout, "make diff shows a step's changes"
    elif re.fullmatch(r"make progress( DIR=\S+)?", command):
        work = tmp_path / "my_work"
        shutil.copytree(ROOT / "steps" / "01_index", work / "01_index")
        result = run(["make", "progress", f"DIR={work}"], cwd=ROOT)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "01_index" in result.stdout, "make progress names the folder"
    elif re.fullmatch(
        r"(\.venv/bin/)?flask --app steps/\d\d_\w+/app\.py (init-db|create-user)\b.*", command
    ):
        # create-user asks for the password twice.
        typed = f"printf '%s\\n' '{PASSWORD}' '{PASSWORD}' | {command}"
        result = run(typed, shell=True, cwd=ROOT, env=venv_environment())
        assert result.returncode == 0, result.stdout + result.stderr
    elif re.fullmatch(r"make (test|setup|frontend|lint|format|bench|mongo)", command):
        assert f"\n{words[1]}:" in makefile_recipes(), f"no {words[1]} target"
    elif re.fullmatch(r"(\.venv/bin/)?pytest checks(/test_\w+\.py)? --step-dir \S+", command):
        copy = learner_copy(Path(words[-1]).name, tmp_path)
        pytest_command = [str(VENV_BIN / "pytest"), *words[1:-1], str(copy)]
        result = run([*pytest_command, "-q", "-p", "no:cacheprovider"], cwd=ROOT)
        assert result.returncode == 0, result.stdout + result.stderr
    elif words[0] in {"pytest", ".venv/bin/pytest"}:
        # The whole suite, a marker or one file: `make test` runs all of these in CI.
        assert all(
            (ROOT / word).exists() or word.startswith("-") or word in {"browser", "not browser"}
            for word in words[1:]
        ), command
    elif command.startswith(("python3 -m venv", ".venv/bin/pip install", "(cd frontend")):
        # The plain set-up commands must be the Makefile's, which CI runs.
        for part in re.split(r" && |[()]", command.replace("cd frontend", "")):
            assert part.strip() in makefile_recipes(), part
    elif words[:2] in (["cp", "-r"], ["mkdir", "-p"]):
        assert words[0] != "cp" or (ROOT / words[2]).exists(), command
    else:
        pytest.fail(f"no check runs this documented command: {command}")


@pytest.mark.parametrize("command", commands())
def test_documented_commands_run(command, tmp_path):
    check_command(command, tmp_path)


# --- curl sessions --------------------------------------------------------------------------

ID = re.compile(r"\b[0-9a-f]{24}\b")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")


def curl_sessions():
    """The console blocks that run curl against a step, with the step folder they name."""
    return [
        block
        for block in all_blocks()
        if block.values[1] == "console" and block.values[3] == "curl"
    ]


def session_steps(body):
    """Split a console block into (command, shown output) pairs."""
    steps = []
    for line in body.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            steps.append([line[2:], []])
        else:
            steps[-1][1].append(line)
    return [(command, "\n".join(output)) for command, output in steps]


@pytest.fixture
def live_step():
    """Serve a step, as `flask run` would with no MONGO_URI, on a free port; yield its URL."""
    with contextlib.ExitStack() as servers:

        def start(step_path):
            # The embedded database, as `flask run` has it; bcrypt's cheapest cost keeps it fast.
            app = step_module(ROOT / step_path, "app").create_app(checks_config(None))
            return servers.enter_context(serving(app))

        yield start


@pytest.mark.parametrize(("document", "language", "body", "kind", "path", "line"), curl_sessions())
def test_curl_examples_print_what_is_shown(
    document, language, body, kind, path, line, live_step, tmp_path
):
    url = live_step(path)
    live_ids = {}
    for command, shown in session_steps(body):
        for shown_id, live_id in live_ids.items():
            command = command.replace(shown_id, live_id)
        result = run(command.replace(SHOWN_SERVER, url), timeout=30, shell=True, cwd=tmp_path)
        printed = result.stdout.rstrip("\n").replace(url, SHOWN_SERVER)
        # Pair the ids shown with the ids printed, in order, for the commands that follow.
        live_ids.update(zip(ID.findall(shown), ID.findall(printed), strict=False))
        assert TIME.sub("<time>", ID.sub("<id>", printed)) == TIME.sub(
            "<time>", ID.sub("<id>", shown)
        ), f"{document}:{line}: {command}"


# --- make diff ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("step", ["02", "03", "04", "05"])
def test_make_diff_shows_the_files_a_step_adds(step):
    folder = next((ROOT / "steps").glob(f"{step}_*"))
    previous = next((ROOT / "steps").glob(f"{int(step) - 1:02d}_*"))
    added = [
        path.relative_to(folder)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and not (previous / path.relative_to(folder)).exists()
    ]
    assert added, f"step {step} adds no file: what does it teach?"
    result = run(["make", "diff", f"STEP={step}"], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in added:
        content = "".join(f"+{line}\n" for line in (folder / name).read_text().splitlines())
        assert f"+++ steps/{folder.name}/{name}" in result.stdout, f"make diff STEP={step}: {name}?"
        assert content in result.stdout, (
            f"make diff STEP={step} should show {name}, new in this step, line by line (diff -N)"
        )
