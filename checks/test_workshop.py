"""WORKSHOP.md and README.md never drift from the code.

Conventions the documents follow (WORKSHOP.md explains them to readers in one line):
- ``<!-- excerpt: PATH -->`` right before a fenced block: the block is verbatim lines of PATH. A
  line ``...`` (or ``# ...``, ``// ...``) stands for lines left out; every code block has one.
- ``sh`` blocks hold commands; each is run here, or is what ``make test`` runs in CI.
- ``<!-- curl: steps/NN_name -->`` right before a ``console`` block: the ``$ `` commands are run
  against that step on the embedded database, and what they print must match what is shown
  (ids and times may differ).
- Every link and every path in backquotes exists.
"""

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from conftest import EXTENSIONS, FRONTEND_PUBLIC, ROOT, patched_step, step_module

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
    for run in chunks(body):
        found = next(
            (
                start
                for start in range(position, len(source) - len(run) + 1)
                if source[start : start + len(run)] == run
            ),
            None,
        )
        assert found is not None, (
            f"{document}:{line}: these lines are not in {path}:\n" + "\n".join(run)
        )
        position = found + len(run)


def test_every_link_and_path_exists():
    link = re.compile(r"\]\(([^)#\s]+)")
    quoted_path = re.compile(r"`((?:steps|checks|frontend|bench|docs|exercises)/[\w./-]*)`")
    missing = [
        f"{document}: {target}"
        for document in DOCUMENTS
        for target in link.findall((ROOT / document).read_text())
        + quoted_path.findall((ROOT / document).read_text())
        if "://" not in target and not (ROOT / target).exists()
    ]
    assert missing == []


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


def free_port():
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serves(command, port):
    """Start a server command, wait until it answers on port, stop it; return True if it did."""
    environment = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    environment.pop("MONGO_URI", None)
    server = subprocess.Popen(
        command,
        shell=True,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                    return True
            except OSError:
                if server.poll() is not None:
                    return False
                time.sleep(0.1)
        return False
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)


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


def check_command(command, tmp_path):
    """Run or account for one documented command; fail with the reason if it does not hold."""
    words = shlex.split(command)
    if re.fullmatch(
        r"(\S+=\S+ )*(\.venv/bin/)?flask --app steps/\d\d_\w+/app\.py run( --debug)?", command
    ):
        port = free_port()
        assert serves(f"{command} --port {port}", port), f"{command} did not start"
    elif re.fullmatch(r"(\S+=\S+ )*make run( STEP=\d\d)?", command):
        port = free_port()
        assert serves(f"{command} PORT={port}", port), f"{command} did not start"
    elif re.fullmatch(r"make diff STEP=\d\d", command):
        result = subprocess.run(command.split(), cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "+++ steps/" in result.stdout
    elif re.fullmatch(r"make progress( DIR=\S+)?", command):
        work = tmp_path / "my_work"
        shutil.copytree(ROOT / "steps" / "01_index", work / "01_index")
        result = subprocess.run(
            ["make", "progress", f"DIR={work}"], cwd=ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "01_index" in result.stdout
    elif re.fullmatch(r"make (test|setup|frontend|lint|format|bench)", command):
        assert f"\n{words[1]}:" in makefile_recipes(), f"no {words[1]} target"
    elif re.fullmatch(r"(\.venv/bin/)?pytest checks/test_\d\d_\w+\.py --step-dir (\S+)", command):
        step = re.search(r"test_(\d\d_\w+)\.py", command).group(1)
        copy = shutil.copytree(ROOT / "steps" / step, tmp_path / step)
        run = [str(VENV_BIN / "pytest"), *words[1:-1], str(copy), "-q", "-p", "no:cacheprovider"]
        result = subprocess.run(run, cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
    elif re.fullmatch(r"(\.venv/bin/)?pytest checks/test_exercises\.py --step-dir (\S+)", command):
        # An extension exercise, run on its reference solution: my_work/05_done_filter is
        # steps/05_* with exercises/05_*/done_filter.patch applied.
        folder = Path(words[-1]).name
        names = {f"{step[:2]}_{name}": (step, name) for step, name in EXTENSIONS.items()}
        assert folder in names, f"{folder} names no extension exercise: one of {sorted(names)}"
        copy = patched_step(*names[folder], tmp_path)
        run = [str(VENV_BIN / "pytest"), *words[1:-1], str(copy), "-q", "-p", "no:cacheprovider"]
        result = subprocess.run(run, cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
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
    servers = []

    def start(step_path):
        module = step_module(ROOT / step_path, "app")
        # The embedded database, as `flask run` has it; bcrypt's cheapest cost keeps this fast.
        config = {"MONGO_URI": None, "FRONTEND_PUBLIC": str(FRONTEND_PUBLIC), "BCRYPT_ROUNDS": 4}
        app = module.create_app(config)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        # A short poll interval: shutdown() waits for the next poll (0.5 s by default).
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(("document", "language", "body", "kind", "path", "line"), curl_sessions())
def test_curl_examples_print_what_is_shown(
    document, language, body, kind, path, line, live_step, tmp_path
):
    url = live_step(path)
    live_ids = {}
    for command, shown in session_steps(body):
        for shown_id, live_id in live_ids.items():
            command = command.replace(shown_id, live_id)
        result = subprocess.run(
            command.replace(SHOWN_SERVER, url),
            shell=True,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
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
    result = subprocess.run(
        ["make", "diff", f"STEP={step}"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in added:
        content = "".join(f"+{line}\n" for line in (folder / name).read_text().splitlines())
        assert f"+++ steps/{folder.name}/{name}" in result.stdout, f"make diff STEP={step}: {name}?"
        assert content in result.stdout, (
            f"make diff STEP={step} should show {name}, new in this step, line by line (diff -N)"
        )
