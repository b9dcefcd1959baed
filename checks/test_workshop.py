"""WORKSHOP.md and README.md never drift from the code, nor the checks' pointers into them."""

# Conventions the documents follow (WORKSHOP.md explains them to readers in one line):
# - `<!-- excerpt: PATH -->` right before a fenced block: the block is verbatim lines of PATH. A
#   line `...` (or `# ...`, `// ...`) stands for lines left out; every code block has one.
# - `sh` blocks hold commands; each is run here, or is what `make test` runs in CI.
# - `<!-- curl: steps/NN_name -->` right before a `console` block: the `$ ` commands are run
#   against that step on the embedded database, and what they print must match what is shown
#   (ids and times may differ).
# - Every link and every path in backquotes exists, and so does every check named in them. A
#   link is relative to its document, as on GitHub, and its #anchor names a heading there; a path
#   in backquotes is relative to the repository root, in docs/ too.
# - `<!-- contract: steps/NN_name -->` right before a table, in a `### Contract` section of step
#   NN: each row `| group | kind | what the checks require |` names things the step has, and
#   together the boxes up to step NN name every name, setting and internal the checks read.

import ast
import contextlib
import itertools
import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import mongomock
import pytest

from harness.apps import PASSWORD, STEP_NAMES, checks_config, salts_of_cost_4, step_module
from harness.servers import MAKE_MONGO_URI, http_status, make_mongo_stand_in, run, serving, started
from harness.steps import (
    EXTENSIONS,
    ROOT,
    STEPS_DIR,
    extension_folder_name,
    patched_step,
    step_number,
)

# The front page, the walkthrough, and the reference pages it links to under docs/.
DOCUMENTS = [
    "README.md",
    "WORKSHOP.md",
    *sorted(f"docs/{page.name}" for page in ROOT.glob("docs/*.md")),
]
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


def links(document):
    """The targets of a document's Markdown links and images, code blocks left out."""
    return re.findall(r"\]\(([^)\s]+)", FENCE.sub("", (ROOT / document).read_text()))


def linked_file(document, target):
    """The file a link points at, relative to its document as GitHub reads it (None: a URL)."""
    if "://" in target:
        return None
    file = target.partition("#")[0]
    # normpath, not resolve(): docs/../WORKSHOP.md is WORKSHOP.md, and a symlink stays a link.
    return Path(os.path.normpath((ROOT / document).parent / file)) if file else ROOT / document


def anchored_headings(text):
    """[(level, heading, anchor)] of a Markdown text, in order, with the anchors GitHub gives."""
    headings, seen = [], {}
    for marks, heading in re.findall(r"^(#{1,6}) (.+)$", FENCE.sub("", text), re.MULTILINE):
        # Lower case, - for spaces, no marks.
        anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        # A second heading of the same name gets -1, a third -2 (each step's ### Contract).
        headings.append(
            (len(marks), heading, f"{anchor}-{seen[anchor]}" if anchor in seen else anchor)
        )
        seen[anchor] = seen.get(anchor, 0) + 1
    return headings


def heading_anchors(path):
    """The anchors GitHub gives a Markdown file's headings."""
    return {anchor for _, _, anchor in anchored_headings(path.read_text())}


def test_every_link_and_path_exists():
    # A path may be a pattern (`checks/test_04_*.py`): some file must match it.
    quoted_path = re.compile(r"`((?:steps|checks|frontend|bench|docs|exercises)/[\w./*-]*)`")
    missing = [
        f"{document}: {target}"
        for document in DOCUMENTS
        for target in links(document)
        if (file := linked_file(document, target)) is not None
        and not (file.is_relative_to(ROOT) and file.exists())
    ] + [
        f"{document}: {path}"
        for document in DOCUMENTS
        for path in quoted_path.findall((ROOT / document).read_text())
        if not any(ROOT.glob(path))
    ]
    assert missing == [], "a file was moved or renamed: say where it is now"


def test_every_anchor_names_a_heading():
    # A link to a heading that was renamed or moved lands at the top of the page, silently.
    wrong = [
        f"{document}: {target}"
        for document in DOCUMENTS
        for target in links(document)
        if "#" in target
        and (file := linked_file(document, target)) is not None
        and file.suffix == ".md"
        and target.partition("#")[2] not in heading_anchors(file)
    ]
    assert wrong == [], "a section was renamed or moved: link to its heading where it is now"


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
                    if MAKE_MONGO_URI in command:
                        # Run against the run's real server, standing in for make mongo's.
                        marks.append(pytest.mark.real_server)
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


def is_marker_expression(text):
    """Tell whether text is a -m expression of the checks' markers: "not browser and not slow"."""
    markers = re.findall(r'^\s*"(\w+)[:(]', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    names = set(re.findall(r"\w+", text)) - {"and", "or", "not"}
    return bool(names) and names <= set(markers)


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
    elif re.fullmatch(r"make (run|serve) DIR=my_work/(\d\d_\w+)", command):
        # A learner's own copy of a step: served from a copy of the reference step, there.
        copy = learner_copy(Path(words[-1].removeprefix("DIR=")).name, tmp_path)
        if words[1] == "run":
            assert_serves(f"make run DIR={copy} PORT=0")
        else:
            # It runs until Ctrl+C: test_08_serve.py runs make serve for real on a real server.
            result = run(["make", "-n", "serve", f"DIR={copy}"], cwd=ROOT)
            assert result.returncode == 0, result.stdout + result.stderr
            served = f"tools/serve.py {copy} "
            assert served in result.stdout, f"make serve DIR= serves the folder: {result.stdout}"
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
    elif re.fullmatch(r"make serve( STEP=\d\d)?( PORT=\d+)?", command):
        # It runs until Ctrl+C, with MONGO_URI and SECRET_KEY from the environment:
        # test_08_serve.py and test_production.py run it for real, on a real server.
        assert "\nserve:" in makefile_recipes(), "no serve target"
    elif re.fullmatch(r"make watch DIR=\S+", command):
        # It runs until Ctrl+C: test_watch.py runs it for real, on a copy of a step.
        assert "\nwatch:" in makefile_recipes(), "no watch target"
    elif re.fullmatch(r"make (test|setup|frontend|lint|format|bench|mongo)", command):
        assert f"\n{words[1]}:" in makefile_recipes(), f"no {words[1]} target"
    elif re.fullmatch(r"(\.venv/bin/)?pytest checks(/test_\w+\.py)? --step-dir \S+", command):
        # The checks it selects already run on the step (or the extension's solution) in this
        # run: that the command takes the folder and selects them is what is left to prove.
        copy = learner_copy(Path(words[-1]).name, tmp_path)
        pytest_command = [str(VENV_BIN / "pytest"), *words[1:-1], str(copy)]
        result = run([*pytest_command, "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=ROOT)
        assert result.returncode == 0, result.stdout + result.stderr
        assert re.search(r"^\d+(/\d+)? tests collected", result.stdout, re.MULTILINE), result.stdout
    elif words[0] in {"pytest", ".venv/bin/pytest"}:
        # The whole suite, a marker or one file: `make test` runs all of these in CI.
        assert all(
            (ROOT / word).exists() or word.startswith("-") or is_marker_expression(word)
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


@pytest.mark.slow
def test_setup_with_an_old_python_says_which_python_to_install(tmp_path):
    # macOS ships Python 3.9 as python3: pip would fail on the pins without saying why.
    old_python = tmp_path / "python3"
    old_python.write_text(
        '#!/bin/sh\n[ "$1" = --version ] && echo "Python 3.9.6" && exit 0\nexit 1\n'
    )
    old_python.chmod(0o755)
    venv = tmp_path / "venv"
    result = run(["make", f"PYTHON={old_python}", f"VENV={venv}", f"{venv}/.installed"], cwd=ROOT)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Python 3.11 or newer is needed" in result.stdout, result.stdout + result.stderr
    assert "Python 3.9.6" in result.stdout, "it names the Python it found"
    assert not venv.exists(), "and makes no environment with it"


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
@pytest.mark.parametrize("step", ["02", "03", "04", "05", "06", "07", "08"])
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


# --- Contract boxes -----------------------------------------------------------------------------

CONTRACT_MARKER = re.compile(r"^<!-- contract: (steps/\d\d_\w+) -->$", re.MULTILINE)
CONTRACT_COLUMNS = ["group", "kind", "what the checks require"]
CONTRACT_GROUPS = {"technique", "hardening"}
CONTRACT_KINDS = {
    "file",
    "route",
    "status",
    "config",
    "name",
    "field",
    "message",
    "header",
    "command",
}
# One or more items, each in backquotes, comma-separated.
CONTRACT_ITEMS = re.compile(r"\s*`[^`]+`(\s*,\s*`[^`]+`)*\s*")
# The steps whose section must have a box.
STEPS_WITH_CONTRACTS = ["02", "03", "04", "05", "06", "07", "08"]


@dataclass
class ContractRow:
    """One row of a contract box: its group, its kind, its items, and where it is."""

    group: str
    kind: str
    items: list
    where: str


def contract_boxes(text, document="WORKSHOP.md"):
    """Return ({step folder: [ContractRow]}, [problems]) for the contract boxes of a document."""
    lines = text.split("\n")
    boxes, problems = {}, []
    for match in CONTRACT_MARKER.finditer(text):
        folder = match.group(1)
        number = text.count("\n", 0, match.start())
        where = f"{document}:{number + 1}"
        headings = [line for line in lines[:number] if line.startswith(("## ", "### "))]
        section = next((line for line in reversed(headings) if line.startswith("## ")), "")
        if not section.startswith(f"## Step {folder[6:8]} · "):
            problems.append(f"{where}: the box for {folder} is not in the section of its step")
        if not headings or headings[-1] != "### Contract":
            problems.append(f"{where}: the box for {folder} is not right under ### Contract")
        table = []
        for line in lines[number + 1 :]:
            if not line.startswith("|"):
                break
            table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        if not table or table[0] != CONTRACT_COLUMNS:
            problems.append(f"{where}: the table's columns are | {' | '.join(CONTRACT_COLUMNS)} |")
            continue
        rows = boxes.setdefault(folder, [])
        for offset, cells in enumerate(table[2:], start=number + 4):
            row_where = f"{document}:{offset}"
            if len(cells) != 3:
                problems.append(f"{row_where}: a row has three cells")
                continue
            group, kind, items = cells
            if group not in CONTRACT_GROUPS:
                problems.append(f"{row_where}: the group is technique or hardening, not {group!r}")
            if kind not in CONTRACT_KINDS:
                problems.append(f"{row_where}: no kind {kind!r}; kinds: {sorted(CONTRACT_KINDS)}")
            if not CONTRACT_ITEMS.fullmatch(items):
                problems.append(f"{row_where}: each item in backquotes, comma-separated: {items}")
            rows.append(ContractRow(group, kind, re.findall(r"`([^`]+)`", items), row_where))
    return boxes, problems


def own_app(step_dir, monkeypatch):
    """A step's app with nothing but a database client given: its own settings, its own CLI."""
    # Its defaults hash at bcrypt's cost 12 (0.2 s a hash): cost 4 keeps this fast.
    salts_of_cost_4(monkeypatch)
    return step_module(step_dir, "app").create_app(
        {"MONGO_CLIENT": mongomock.MongoClient(tz_aware=True)}
    )


def source_text(step_dir, patterns):
    """The text of a step's files matching the glob patterns, joined."""
    return "\n".join(
        path.read_text() for pattern in patterns for path in sorted(Path(step_dir).glob(pattern))
    )


def item_holds(kind, item, step_dir, app):
    """Tell whether one item of a contract box is true of the step folder and its app."""
    if kind == "file":
        return (Path(step_dir) / item).exists()
    if kind == "route":
        method, _, path = item.partition(" ")
        return any(
            rule.rule == path and method in rule.methods for rule in app.url_map.iter_rules()
        )
    if kind == "status":
        return item.isdigit() and int(item) in {status.value for status in HTTPStatus}
    if kind == "config":
        return item in app.config
    if kind == "name":
        return name_holds(item, step_dir, app)
    if kind == "field":
        field = item.partition(".")[2]
        text = source_text(step_dir, ["*.py"])
        return bool(field) and (f'"{field}"' in text or f"'{field}'" in text)
    if kind == "message":
        return item in source_text(step_dir, ["*.py", "templates/*"])
    if kind == "header":
        return item in source_text(step_dir, ["*.py"])
    if kind == "command":
        words = item.split()
        if words[:1] == ["make"]:
            return len(words) == 2 and f"\n{words[1]}:" in makefile_recipes()
        return len(words) > 1 and words[0] == "flask" and words[1] in app.cli.commands
    return False


def name_holds(item, step_dir, app):
    """A module-level name (module.NAME), or an object the app keeps in app.extensions."""
    internal = re.fullmatch(r'app\.extensions\["(\w+)"\](?:\.(\w+))?', item)
    if internal:
        kept = app.extensions.get(internal.group(1))
        return kept is not None and (not internal.group(2) or hasattr(kept, internal.group(2)))
    module, _, name = item.partition(".")
    if not name or not (Path(step_dir) / f"{module}.py").is_file():
        return False
    return getattr(step_module(step_dir, module), name, None) is not None


def required_of(step_dir, app):
    """What the checks read from a step, as contract items: names, settings and internals."""
    number = step_number(step_dir)
    names = {
        f"{module}.{name}"
        for module, module_names in STEP_NAMES.items()
        for name in module_names
        if name_holds(f"{module}.{name}", step_dir, app)
    }
    settings = {key for key, first in CONFIG_KEYS.items() if first <= number}
    internals = {item for item, first in INTERNALS.items() if first <= number}
    return names | settings | internals


def workshop_contracts():
    """The contract boxes of WORKSHOP.md, and what is wrong with their form."""
    return contract_boxes((ROOT / "WORKSHOP.md").read_text())


def test_every_step_section_has_a_contract_box():
    boxes, problems = workshop_contracts()
    assert problems == [], "contract boxes in the form test_workshop.py reads"
    missing = [step for step in STEPS_WITH_CONTRACTS if not any(f"/{step}_" in f for f in boxes)]
    assert missing == [], (
        "each step section has a ### Contract box, <!-- contract: steps/NN_name --> then a"
        f" table: steps {missing} have none"
    )


def step_box(step):
    """The folder of a step and the rows of its contract box; skip if it has none yet."""
    folder = next((ROOT / "steps").glob(f"{step}_*"))
    boxes, _ = workshop_contracts()
    rows = boxes.get(f"steps/{folder.name}")
    if not rows:
        pytest.skip(f"step {step} has no contract box (test_every_step_section_has_a_contract_box)")
    return folder, rows, boxes


@pytest.mark.parametrize("step", STEPS_WITH_CONTRACTS)
def test_contract_boxes_name_only_what_the_step_has(step, monkeypatch):
    folder, rows, _ = step_box(step)
    app = own_app(folder, monkeypatch)
    wrong = [
        f"{row.where}: {row.kind} `{item}`"
        for row in rows
        for item in row.items
        if not item_holds(row.kind, item, folder, app)
    ]
    assert wrong == [], f"items that {folder.name} does not have"


@pytest.mark.parametrize("step", STEPS_WITH_CONTRACTS)
def test_contract_boxes_name_everything_the_checks_read(step, monkeypatch):
    folder, _, boxes = step_box(step)
    app = own_app(folder, monkeypatch)
    # A step's box, or the box of a step before it: the checks of those run on it too.
    named = {
        item
        for box_folder, rows in boxes.items()
        if step_number(box_folder) <= step_number(folder)
        for row in rows
        for item in row.items
    }
    missing = sorted(required_of(folder, app) - named)
    assert missing == [], f"the checks read these from {folder.name}; no box up to it names them"


# The settings the checks set or read, and the first step whose own create_app has each: a
# step's contract box in WORKSHOP.md names them from that step on.
CONFIG_KEYS = {
    "FRONTEND_PUBLIC": 1,
    "MONGO_URI": 2,
    "MONGO_DBNAME": 2,
    "MONGO_TIMEOUT_MS": 2,
    "MONGO_CLIENT": 2,
    "BCRYPT_ROUNDS": 4,
    "SECRET_KEY": 4,
    "SESSION_COOKIE_HTTPONLY": 4,
    "SESSION_COOKIE_SAMESITE": 4,
    "LOGIN_MAX_FAILURES": 6,
    "LOGIN_WINDOW_SECONDS": 6,
    "LOGIN_LIFETIME_SECONDS": 6,
    "PASSWORD_TRIES_PER_ADDRESS": 6,
    "PASSWORD_TRIES_WINDOW_SECONDS": 6,
    "PASSWORD_POSTS_AT_ONCE": 6,
    "MAX_CONTENT_LENGTH": 7,
    "TRUSTED_HOSTS": 7,
    "SESSION_COOKIE_SECURE": 8,
    "TRUSTED_PROXIES": 8,
}
# Flask's own settings, which the checks set for themselves or read as Flask keeps them.
FLASK_SETTINGS = {"TESTING", "PROPAGATE_EXCEPTIONS", "SESSION_COOKIE_NAME"}
# What the checks reach inside a step's app that no HTTP request, setting or command shows, and
# the first step that has it. Each is named in the step's contract box.
INTERNALS = {'app.extensions["login_throttle"].clock': 6}


def test_config_keys_and_internals_the_checks_use_are_declared():
    # What required_of() counts on: every setting and internal the checks use is declared above.
    keys, internals = set(), set()
    for text in (path.read_text() for path in (ROOT / "checks").rglob("*.py")):
        keys |= set(re.findall(r'config(?:\[|\.get\()"([A-Z][A-Z0-9_]+)"', text))
        keys |= set(re.findall(r'setting\(\w+, "([A-Z][A-Z0-9_]+)"', text))
        for call in re.findall(r"make_app\(([^()]*)\)", text):
            keys |= set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", call))
        internals |= set(re.findall(r'extensions(?:\.get\(|\[)"(\w+)"', text))
    checks_config_keys = set(checks_config(None))
    assert keys | checks_config_keys <= set(CONFIG_KEYS) | FLASK_SETTINGS, (
        "a setting the checks use is missing from CONFIG_KEYS"
    )
    declared = {re.search(r'"(\w+)"', internal).group(1) for internal in INTERNALS}
    assert internals == declared, "an internal the checks reach is missing from INTERNALS"


SAMPLE_CONTRACT = """\
## Step 06 · Logins that end, guesses that are slow

### Contract

<!-- contract: steps/06_logins -->
| group | kind | what the checks require |
|---|---|---|
| technique | file | `passwords.py`, `templates/login.html` |
| technique | route | `POST /login`, `GET /api/me`, `DELETE /api/me` |
| technique | status | `401`, `299` |
| technique | config | `BCRYPT_ROUNDS`, `NO_SUCH_SETTING` |
| technique | name | `passwords.check_password`, `auth.no_such_name` |
| technique | field | `users.password_hash` |
| technique | message | `That username is taken.` |
| hardening | header | `Retry-After` |
| hardening | command | `flask create-user USERNAME`, `flask delete-user USERNAME` |
| hardening | name | `app.extensions["login_throttle"].clock` |
| hardening | colour | `red` |
"""


def test_contract_parser_reads_a_sample_box(tmp_path, monkeypatch):
    sample = tmp_path / "SAMPLE.md"
    sample.write_text(SAMPLE_CONTRACT)
    boxes, problems = contract_boxes(sample.read_text(), "SAMPLE.md")
    assert problems == ["SAMPLE.md:18: no kind 'colour'; " + f"kinds: {sorted(CONTRACT_KINDS)}"]
    rows = boxes["steps/06_logins"]
    assert [(row.group, row.kind) for row in rows[:2]] == [
        ("technique", "file"),
        ("technique", "route"),
    ]
    assert rows[1].items == ["POST /login", "GET /api/me", "DELETE /api/me"]
    assert rows[0].where == "SAMPLE.md:8"
    folder = ROOT / "steps" / "06_logins"
    app = own_app(folder, monkeypatch)
    wrong = [
        item for row in rows for item in row.items if not item_holds(row.kind, item, folder, app)
    ]
    assert wrong == [
        "DELETE /api/me",
        "299",
        "NO_SUCH_SETTING",
        "auth.no_such_name",
        "flask delete-user USERNAME",
        "red",
    ]
    assert 'app.extensions["login_throttle"].clock' in required_of(folder, app)


def test_contract_parser_finds_a_box_out_of_place(tmp_path):
    misplaced = SAMPLE_CONTRACT.replace("## Step 06 ·", "## Step 05 ·").replace(
        "### Contract", "### Notes"
    )
    _, problems = contract_boxes(misplaced, "SAMPLE.md")
    assert problems[:2] == [
        "SAMPLE.md:5: the box for steps/06_logins is not in the section of its step",
        "SAMPLE.md:5: the box for steps/06_logins is not right under ### Contract",
    ]


# --- Each step's time, objectives and key points, and the instructor's guide -------------------
#
# A step section opens, right after its **Goal:** paragraph, with
#     **Time:** 10 min teaching · 20 min exercises.
#     **Objectives.** After this step you can:
#     - three to five bullets, each linking to a ### section of the same step that teaches it
# and ends with `### Key points`, after its Exercises: three to six bullets of one line each.
# The minutes come from docs/instructors.md: its table after <!-- minutes --> holds each step's
# figures and the minutes they give, and its schedules (<!-- schedule: two-day, day 1 -->, ...)
# add up to them.

GUIDE = "docs/instructors.md"
STEP_HEADING = re.compile(r"^## Step (\d\d) · ", re.MULTILINE)
TIME_LINE = re.compile(r"\*\*Time:\*\* (\d+) min teaching · (\d+) min exercises\.")
OBJECTIVES_LINE = "**Objectives.** After this step you can:"
KEY_POINT_WIDTH = 100
# The guide's estimate, which it states in words: the section taught at 120 words a minute
# (read, explained, shown); the lines its make diff adds rebuilt at 4 a minute, and 5 minutes a
# pitfall exercise; each rounded to the nearest 5 minutes.
WORDS_PER_MINUTE = 120
LINES_PER_MINUTE = 4
MINUTES_PER_PITFALL = 5
# How far a step may grow or shrink from the guide's figures before its minutes are estimated
# again.
DRIFT = 0.10
# A class day: six and a half hours, breaks included.
DAY_MINUTES = 390
MINUTES_TABLE = ["step", "words", "lines added", "pitfalls", "teaching", "exercises"]
SCHEDULE_MARKER = re.compile(r"^<!-- schedule: (one-day|two-day), day (\d) -->$", re.MULTILINE)
SCHEDULE_TABLE = ["start", "min", "what"]
# A schedule row of a step: "[Step 05](...) · ..." or "Step 05 (demo) · ..."
SCHEDULE_STEP = re.compile(r"\[?Step (\d\d)\b")


def step_sections():
    """{"01": WORKSHOP.md's section of step 01, from its heading to the next step's, ...}."""
    text = (ROOT / "WORKSHOP.md").read_text()
    starts = [(match.group(1), match.start()) for match in STEP_HEADING.finditer(text)]
    ends = [start for _, start in starts[1:]] + [len(text)]
    return {step: text[start:end] for (step, start), end in zip(starts, ends, strict=True)}


def bullet_list(paragraph):
    """The bullets of a Markdown list, each with its continuation lines joined; None if not one."""
    items = []
    for line in paragraph.strip("\n").split("\n"):
        if line.startswith("- "):
            items.append(line[2:])
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
        else:
            return None
    return items


def section_headings():
    """{"01": [(heading, anchor)] of the ### sections of step 01, in order, ...}."""
    found, step = {}, None
    for level, heading, anchor in anchored_headings((ROOT / "WORKSHOP.md").read_text()):
        if level == 2:
            match = re.match(r"Step (\d\d) · ", heading)
            step = match.group(1) if match else None
        elif level == 3 and step:
            found.setdefault(step, []).append((heading, anchor))
    return found


def time_of(section):
    """A step section's (teaching, exercises) minutes from its Time line; None if it has none."""
    match = TIME_LINE.search(section)
    return (int(match.group(1)), int(match.group(2))) if match else None


def opening_problems(step, section):
    """What is wrong with the opening of a step section: Goal, Time, Objectives, 3-5 bullets."""
    paragraphs = section.split("\n\n")
    where = f"Step {step}"
    if len(paragraphs) < 5 or not paragraphs[1].startswith("**Goal:** "):
        return [f"{where}: the section opens with its **Goal:** paragraph"]
    problems = []
    if not TIME_LINE.fullmatch(paragraphs[2]):
        problems.append(
            f"{where}: after the Goal, a line **Time:** N min teaching · N min exercises."
        )
    if paragraphs[3] != OBJECTIVES_LINE:
        problems.append(f"{where}: then the line {OBJECTIVES_LINE}")
    objectives = bullet_list(paragraphs[4])
    if objectives is None or not 3 <= len(objectives) <= 5:
        problems.append(f"{where}: then three to five objectives, a bullet each")
    return problems


def objectives_of(section):
    """The objective bullets of a step section, as opening_problems() finds them."""
    return bullet_list(section.split("\n\n")[4]) or []


def key_point_problems(step, section):
    """What is wrong with a step's ending: ### Key points last, after Exercises, 3-6 bullets."""
    where = f"Step {step}"
    headings = re.findall(r"^### (.+)$", FENCE.sub("", section), re.MULTILINE)
    if not headings or headings[-1] != "Key points" or headings.count("Key points") > 1:
        return [f"{where}: the section ends with ### Key points, its only one"]
    problems = []
    if "Exercises" not in headings[:-1]:
        problems.append(f"{where}: ### Key points comes after ### Exercises")
    points = bullet_list(section.split("### Key points\n\n", 1)[1])
    if points is None or not 3 <= len(points) <= 6:
        return [*problems, f"{where}: ### Key points holds three to six bullets and nothing else"]
    lines = section.split("### Key points\n\n", 1)[1].strip("\n").split("\n")
    problems += [
        f"{where}: each key point is one line of at most {KEY_POINT_WIDTH} characters: {line}"
        for line in lines
        if not line.startswith("- ") or len(line) > KEY_POINT_WIDTH
    ]
    return problems


def test_every_step_opens_with_its_time_and_objectives_and_ends_with_key_points():
    sections = step_sections()
    assert sorted(sections) == [f"{number:02d}" for number in range(1, len(sections) + 1)]
    problems = [
        problem
        for step, section in sections.items()
        for problem in opening_problems(step, section) + key_point_problems(step, section)
    ]
    assert problems == [], "each step section in the shape test_workshop.py reads"


def test_every_objective_links_to_a_section_of_its_step():
    headings = section_headings()
    wrong = []
    for step, section in step_sections().items():
        own = {anchor: heading for heading, anchor in headings.get(step, [])}
        for objective in objectives_of(section):
            anchors = re.findall(r"\]\(#([^)\s]+)\)", objective)
            if not anchors or any(anchor not in own for anchor in anchors):
                wrong.append(f"Step {step}: {objective}")
    assert wrong == [], (
        "each objective links to the ### section of its own step that teaches it: (#anchor)"
    )


def marked_tables(text, marker, columns):
    """[(the marker's match, [rows of cells])] for each table right after a marker line."""
    lines = text.split("\n")
    tables = []
    for match in marker.finditer(text):
        number = text.count("\n", 0, match.start())
        table = []
        for line in lines[number + 1 :]:
            if not line.startswith("|"):
                break
            table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        assert table[:1] == [columns], (
            f"{GUIDE}:{number + 1}: a table of columns | {' | '.join(columns)} | follows"
        )
        tables.append((match, table[2:]))
    return tables


def guide_minutes():
    """{"01": {"words", "lines added", "pitfalls", "teaching", "exercises"}, ...} of the guide."""
    marker = re.compile(r"^<!-- minutes -->$", re.MULTILINE)
    tables = marked_tables((ROOT / GUIDE).read_text(), marker, MINUTES_TABLE)
    assert len(tables) == 1, f"{GUIDE} has one <!-- minutes --> table"
    return {
        row[0]: {
            column: int(cell.replace(",", ""))
            for column, cell in zip(MINUTES_TABLE[1:], row[1:], strict=True)
        }
        for row in tables[0][1]
    }


def nearest_five(minutes):
    """Minutes rounded to the nearest 5, as a schedule gives them."""
    return 5 * int(minutes / 5 + 0.5)


def estimate(words, lines_added, pitfalls):
    """The guide's (teaching, exercises) minutes for a step of these figures."""
    return (
        nearest_five(words / WORDS_PER_MINUTE),
        nearest_five(lines_added / LINES_PER_MINUTE + MINUTES_PER_PITFALL * pitfalls),
    )


def lines_added(step, empty_folder):
    """The lines a step's make diff adds, `make diff STEP=NN | grep -c '^+'`; step 01's all."""
    folders = sorted(folder for folder in STEPS_DIR.iterdir() if step_number(folder))
    folder = folders[int(step) - 1]
    previous = folders[int(step) - 2] if int(step) > 1 else empty_folder
    result = run(["diff", "-ruN", "--exclude=__pycache__", str(previous), str(folder)])
    return sum(line.startswith("+") for line in result.stdout.split("\n"))


def figures_now(step, section, empty_folder):
    """A step's figures as the repository has them now: words, lines added, pitfalls."""
    pitfalls = len(list(ROOT.glob(f"exercises/{step}_*/pitfall_*.patch")))
    return len(section.split()), lines_added(step, empty_folder), pitfalls


def test_step_minutes_are_the_guides_estimate_from_figures_that_still_hold(tmp_path):
    sections = step_sections()
    table = guide_minutes()
    assert sorted(table) == sorted(sections), f"{GUIDE}'s <!-- minutes --> table: every step"
    wrong = []
    for step, row in table.items():
        words, lines, pitfalls = figures_now(step, sections[step], tmp_path)
        minutes = estimate(row["words"], row["lines added"], row["pitfalls"])
        if (row["teaching"], row["exercises"]) != minutes:
            wrong.append(f"step {step}: its figures give {minutes[0]} and {minutes[1]} minutes")
        if time_of(sections[step]) != (row["teaching"], row["exercises"]):
            wrong.append(f"step {step}: WORKSHOP.md's Time line says {time_of(sections[step])}")
        drifted = abs(words - row["words"]) > DRIFT * row["words"] or (
            abs(lines - row["lines added"]) > DRIFT * row["lines added"]
        )
        if drifted or pitfalls != row["pitfalls"]:
            teaching, exercises = estimate(words, lines, pitfalls)
            wrong.append(
                f"step {step} has drifted from its figures: write its row of the <!-- minutes -->"
                f" table as | {step} | {words:,} | {lines} | {pitfalls} | {teaching} |"
                f" {exercises} |, WORKSHOP.md's Time line as **Time:** {teaching} min teaching ·"
                f" {exercises} min exercises., and its rows of the schedules to match"
            )
    assert wrong == [], (
        f"each step's minutes, in {GUIDE} and WORKSHOP.md, as the guide estimates: "
        + "; ".join(wrong)
    )


def schedule_rows(kind):
    """{day: [(start in minutes, minutes, what)]} of the guide's one-day or two-day schedule."""
    days = {}
    for match, rows in marked_tables((ROOT / GUIDE).read_text(), SCHEDULE_MARKER, SCHEDULE_TABLE):
        if match.group(1) == kind:
            days[int(match.group(2))] = [
                (int(start[:2]) * 60 + int(start[3:]), int(length), what)
                for start, length, what in rows
            ]
    return days


def minutes_per_step(days, demos):
    """{"05": minutes the schedule gives step 05, ...}: its rows that are (or are not) demos."""
    given = {}
    for rows in days.values():
        for _, length, what in rows:
            step = SCHEDULE_STEP.match(what)
            if step and ("(demo)" in what) == demos:
                given[step.group(1)] = given.get(step.group(1), 0) + length
    return given


def test_schedules_follow_the_clock_and_fit_a_day():
    wrong = []
    for kind in ["one-day", "two-day"]:
        days = schedule_rows(kind)
        assert days, f"{GUIDE} has a {kind} schedule"
        for day, rows in days.items():
            for (start, length, what), (next_start, _, _) in itertools.pairwise(rows):
                if start + length != next_start:
                    wrong.append(f"{kind}, day {day}: {what} ends when the next row starts")
            if rows[-1][0] + rows[-1][1] - rows[0][0] > DAY_MINUTES:
                wrong.append(f"{kind}, day {day}: longer than {DAY_MINUTES} minutes")
    assert wrong == [], "each schedule's rows follow each other, and a day is 6.5 hours"


def test_schedules_give_each_step_its_minutes():
    sections, table = step_sections(), guide_minutes()
    # In class the instructor shows the pitfalls (a patch, its check failing): the learners'
    # exercise is the rebuild. Alone, a learner takes the Time line's minutes.
    in_class = {
        step: sum(time_of(section) or (0, 0)) - MINUTES_PER_PITFALL * table[step]["pitfalls"]
        for step, section in sections.items()
    }
    wrong = []
    for kind in ["one-day", "two-day"]:
        days = schedule_rows(kind)
        taught, shown = minutes_per_step(days, demos=False), minutes_per_step(days, demos=True)
        wrong += [
            f"{kind}: step {step} gets {minutes} minutes, not {in_class.get(step)}"
            for step, minutes in taught.items()
            if minutes != in_class.get(step)
        ]
        missing = sorted(set(sections) - set(taught) - set(shown))
        if missing:
            wrong.append(f"{kind}: steps {missing} are neither taught nor shown")
        if kind == "two-day" and shown:
            wrong.append(f"two-day: every step is taught, not only shown: {sorted(shown)}")
    assert wrong == [], "the schedules give each step its Time line's minutes, less the pitfalls"


def questions(text):
    """The questions a Markdown text asks in its prose: from the clause's start to its "?"."""
    prose = " ".join(FENCE.sub("", text).split())
    # Punctuation inside `code` (request.max_content_length, ?limit=) ends no clause.
    hidden = str.maketrans(".;:!?", "\0\1\2\3\4")
    prose = re.sub(r"`[^`]*`", lambda span: span.group(0).translate(hidden), prose)
    shown = str.maketrans("\0\1\2\3\4", ".;:!?")
    return [clause.strip().translate(shown) for clause in re.findall(r"[^.;:!?]+\?", prose)]


def test_the_guide_answers_every_question_the_workshop_asks():
    workshop_questions = questions((ROOT / "WORKSHOP.md").read_text())
    assert workshop_questions, "WORKSHOP.md asks the learner questions; the guide answers them"
    guide = " ".join(re.sub(r"^> ?", "", (ROOT / GUIDE).read_text(), flags=re.MULTILINE).split())
    unanswered = [question for question in workshop_questions if question not in guide]
    assert unanswered == [], f"{GUIDE} quotes each question of WORKSHOP.md, then answers it"


def steps_marker(node):
    """(first, last) of a @pytest.mark.steps(first, last) in a decorator or pytestmark; or None."""
    for call in ast.walk(node):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "steps"
        ):
            return tuple(argument.value for argument in call.args)
    return None


def check_steps():
    """{"test_name": (first, last)}: the steps each check of checks/test_*.py applies to."""
    ranges = {}
    for path in sorted((ROOT / "checks").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        marks = [node for node in tree.body if isinstance(node, ast.Assign)]
        module_range = next(
            (steps_marker(node) for node in marks if "pytestmark" in ast.unparse(node.targets[0])),
            None,
        )
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                own = [steps_marker(decorator) for decorator in node.decorator_list]
                ranges[node.name] = next((r for r in own if r), module_range)
    return ranges


def test_the_guides_stuck_points_name_checks_of_their_step():
    # Under "### Step NN" of the guide's stuck points, each check named runs on step NN.
    text = (ROOT / GUIDE).read_text()
    stuck = text.split("## Where learners get stuck", 1)[1].split("\n## ", 1)[0]
    ranges = check_steps()
    wrong = [
        f"Step {step}: {name} runs on steps {ranges.get(name)}"
        for step, body in re.findall(r"^### Step (\d\d)\n(.*?)(?=^### |\Z)", stuck, re.S | re.M)
        for name in re.findall(r"`(test_\w+)`", body)
        if not (ranges.get(name) and ranges[name][0] <= int(step) <= ranges[name][1])
    ]
    assert wrong == [], f"{GUIDE}: a stuck point names a check that does not run on its step"
