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

import contextlib
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

from exercise_patches import EXTENSIONS, extension_folder_name, patched_step
from mongo_servers import MAKE_MONGO_URI, make_mongo_stand_in
from servers import http_status, run, serving, started
from support import (
    CONFIG_KEYS,
    FLASK_SETTINGS,
    INTERNALS,
    PASSWORD,
    ROOT,
    STEP_NAMES,
    checks_config,
    salts_of_cost_4,
    step_module,
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


def heading_anchors(path):
    """The anchors GitHub gives a Markdown file's headings: lower case, - for spaces, no marks."""
    anchors, seen = set(), {}
    for heading in re.findall(r"^#{1,6} (.+)$", FENCE.sub("", path.read_text()), re.MULTILINE):
        anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        # A second heading of the same name gets -1, a third -2 (each step's ### Contract).
        anchors.add(f"{anchor}-{seen[anchor]}" if anchor in seen else anchor)
        seen[anchor] = seen.get(anchor, 0) + 1
    return anchors


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
            served = f"--chdir {copy.parent}/"
            assert served in result.stdout, f"make serve DIR= serves the folder: {result.stdout}"
            assert f"'{copy.name}.app:create_app(production=True)'" in result.stdout, result.stdout
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


def test_config_keys_and_internals_the_checks_use_are_declared():
    # What required_of() counts on: every setting and internal the checks use is in support.py.
    keys, internals = set(), set()
    for text in (path.read_text() for path in (ROOT / "checks").glob("*.py")):
        keys |= set(re.findall(r'config(?:\[|\.get\()"([A-Z][A-Z0-9_]+)"', text))
        keys |= set(re.findall(r'setting\(\w+, "([A-Z][A-Z0-9_]+)"', text))
        for call in re.findall(r"make_app\(([^()]*)\)", text):
            keys |= set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", call))
        internals |= set(re.findall(r'extensions(?:\.get\(|\[)"(\w+)"', text))
    checks_config_keys = set(checks_config(None))
    assert keys | checks_config_keys <= set(CONFIG_KEYS) | FLASK_SETTINGS, (
        "a setting the checks use is missing from support.CONFIG_KEYS"
    )
    declared = {re.search(r'"(\w+)"', internal).group(1) for internal in INTERNALS}
    assert internals == declared, "an internal the checks reach is missing from support.INTERNALS"


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
