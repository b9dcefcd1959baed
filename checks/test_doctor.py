"""make doctor: one line per requirement, the fix for what is missing, and a fitting exit status.

Each check runs tools/doctor.py on a machine of stand-ins: programs that print a version, a
venv, a free port. Nothing is installed and nothing leaves the machine.
"""

import ast
import importlib.util
import os
import platform
import re
import socket
import subprocess
import sys

import pytest

from harness.servers import RUN_TIMEOUT, free_port
from harness.steps import ROOT

DOCTOR = ROOT / "tools" / "doctor.py"
# What each stand-in prints, on a machine that has everything. The Python stand-in answers
# doctor's question: its version, and whether it can make a venv.
READY = {
    "python3": "3.12.1 venv",
    "node": "v20.11.0",
    "npm": "10.2.4",
    "make": "GNU Make 4.3",
    "git": "git version 2.43.0",
}
CHROME = "Chromium 131.0.6778.85"


class Machine:
    """A machine made of stand-ins for the programs doctor asks, with a venv and a free port."""

    def __init__(self, folder):
        self.folder = folder
        self.bin = folder / "bin"
        self.bin.mkdir()
        for program, version in READY.items():
            self.install(program, version)
        self.chrome = self.program(folder / "chrome", CHROME)
        self.environment = {"PATH": str(self.bin), "CHROMIUM": str(self.chrome)}
        self.venv = folder / "venv"
        (self.venv / "lib" / "python3.12" / "site-packages" / "secantusdb-0.7.0b3.dist-info").mkdir(
            parents=True
        )
        self.port = free_port()

    def program(self, path, prints, status=0):
        """Write a program that prints one line and exits with this status."""
        path.write_text(f"#!/bin/sh\necho '{prints}'\nexit {status}\n")
        path.chmod(0o755)
        return path

    def install(self, program, prints):
        """Put a program on the machine's PATH, in place of the one there."""
        self.program(self.bin / program, prints)

    def remove(self, program):
        """Take a program off the machine's PATH."""
        (self.bin / program).unlink()

    def doctor(self):
        """Run make doctor's script here; return its exit status and its lines."""
        command = [sys.executable, str(DOCTOR), "--port", str(self.port), "--venv", str(self.venv)]
        result = subprocess.run(
            command, env=self.environment, capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
        assert result.stderr == "", f"doctor prints no error of its own:\n{result.stderr}"
        return result.returncode, result.stdout


@pytest.fixture
def machine(tmp_path):
    """A machine with everything the workshop needs."""
    return Machine(tmp_path)


def test_a_ready_machine_gets_ok_on_every_line(machine):
    status, output = machine.doctor()
    expected = {
        "Python": rf"ok +3\.12\.1 \({re.escape(str(machine.bin))}/python3\)",
        "Node": rf"ok +v20\.11\.0 \({re.escape(str(machine.bin))}/node\)",
        "npm": r"ok +10\.2\.4 ",
        "make": r"ok +GNU Make 4\.3 ",
        "git": r"ok +git version 2\.43\.0 ",
        "Chromium": rf"ok +{re.escape(CHROME)} \({re.escape(str(machine.chrome))}\)",
        f"port {machine.port}": r"ok +free for make run",
        "SecantusDB": rf"ok +0\.7\.0b3 in {re.escape(str(machine.venv))}$",
    }
    for label, found in expected.items():
        assert re.search(f"^{label} +{found}", output, re.MULTILINE), (
            f"doctor should print a line '{label}  {found}' (as a pattern); it printed:\n{output}"
        )
    assert output.splitlines()[-1] == "Ready for the workshop.", output
    assert status == 0, f"doctor should exit 0 when all is there; it exited {status}"


def python_too_old(machine):
    machine.install("python3", "3.9.6 venv")


def python_too_old_but_venv_made(machine):
    # macOS: python3 is Apple's 3.9; make setup PYTHON=python3.13 made the venv.
    python_too_old(machine)
    (machine.venv / "bin").mkdir()
    machine.program(machine.venv / "bin" / "python", "3.13.1 venv")


def python_without_venv(machine):
    machine.install("python3", "3.11.2 no-venv")


def no_python(machine):
    machine.remove("python3")


def node_too_old(machine):
    machine.install("node", "v16.20.2")


def no_node(machine):
    machine.remove("node")


def no_npm(machine):
    machine.remove("npm")


def no_make(machine):
    machine.remove("make")


def no_git(machine):
    machine.remove("git")


def chromium_named_but_missing(machine):
    machine.environment["CHROMIUM"] = str(machine.folder / "no-chrome-here")


def chromium_that_does_not_run(machine):
    machine.program(machine.chrome, "Trace/breakpoint trap", status=133)


def secantus_not_installed(machine):
    for info in machine.venv.glob("lib/*/site-packages/secantusdb-*"):
        info.rmdir()


def python_newer_than_secantus_builds(machine):
    secantus_not_installed(machine)
    machine.install("python3", "3.14.0 venv")


# One thing wrong on a ready machine: (the line doctor prints for it, as a pattern, and whether
# doctor fails). Python, Node, npm, make and git are required; the rest is optional.
PROBLEMS = {
    python_too_old: (r"Python +missing +3\.9\.6 \(.*\): the workshop needs 3\.11 or newer\. ", 1),
    python_too_old_but_venv_made: (
        r"Python +ok +3\.13\.1 in .*venv, which make setup made with another Python",
        0,
    ),
    python_without_venv: (
        r"Python +missing +3\.11\.2 .* cannot make a venv: .*python3\.11-venv",
        1,
    ),
    no_python: (r"Python +missing +python3 is not found\. ", 1),
    node_too_old: (r"Node +missing +node is v16\.20\.2 \(.*\): the front end needs 18 or newer", 1),
    no_node: (r"Node +missing +node is not found\. ", 1),
    no_npm: (r"npm +missing +npm is not found\. ", 1),
    no_make: (r"make +missing +make is not found\. ", 1),
    no_git: (r"git +missing +git is not found\. ", 1),
    chromium_named_but_missing: (
        r"Chromium +optional +CHROMIUM=.*no-chrome-here is not a file\. Only the browser checks"
        r" need it.* CHROMIUM=/path/to/chrome",
        0,
    ),
    chromium_that_does_not_run: (
        r"Chromium +optional +.*/chrome does not run: Trace/breakpoint trap\. ",
        0,
    ),
    secantus_not_installed: (r"SecantusDB +not yet +not in .*venv yet: make test installs it", 0),
    python_newer_than_secantus_builds: (
        r"SecantusDB +none +it has no build for Python 3\.14 yet: make test runs its checks on"
        r" mongomock only",
        0,
    ),
}


@pytest.mark.parametrize(
    ("problem", "expected", "exit_status"),
    [(problem, *outcome) for problem, outcome in PROBLEMS.items()],
    ids=[problem.__name__ for problem in PROBLEMS],
)
def test_what_is_missing_gets_a_line_with_its_fix(machine, problem, expected, exit_status):
    problem(machine)
    status, output = machine.doctor()
    assert re.search(f"^{expected}", output, re.MULTILINE), (
        f"with {problem.__name__}, doctor should print a line like '{expected}' (as a pattern);"
        f" it printed:\n{output}"
    )
    verdict = "Not ready: " if exit_status else "Ready for the workshop"
    assert output.splitlines()[-1].startswith(verdict), (
        f"with {problem.__name__}, doctor's last line should start with '{verdict}':\n{output}"
    )
    assert status == exit_status, (
        f"with {problem.__name__}, doctor should exit {exit_status}; it exited {status}"
    )


def test_a_taken_port_is_named_with_another_to_use(machine):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        machine.port = taken.getsockname()[1]
        status, output = machine.doctor()
    expected = rf"port {machine.port} +taken +another program listens on it: make run PORT="
    assert re.search(f"^{expected}{machine.port + 1}", output, re.MULTILINE), (
        f"doctor should print '{expected}{machine.port + 1}'; it printed:\n{output}"
    )
    assert status == 0, "make run PORT= serves elsewhere: a taken port is no reason to fail"


# --- What only a Mac or Windows would print ------------------------------------------------


@pytest.fixture
def doctor():
    """tools/doctor.py as a module, to ask what it says on another system."""
    spec = importlib.util.spec_from_file_location("doctor", DOCTOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_mac_gets_homebrew_and_xcode_fixes(doctor, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-chrome-here"))
    fixes = {
        "Python": doctor.check_python("python3", "Darwin")[1][1],
        "Node": doctor.check_node("Darwin")[1],
        "npm": doctor.check_tool("npm", "Darwin")[1],
        "make": doctor.check_tool("make", "Darwin")[1],
        "git": doctor.check_tool("git", "Darwin")[1],
        "Chromium": doctor.check_chromium("Darwin")[1],
    }
    expected = {
        "Python": "brew install python@3.13, then name it: make setup PYTHON=python3.13",
        "Node": "brew install node",
        "npm": "brew install node",
        "make": "xcode-select --install",
        "git": "xcode-select --install",
        "Chromium": "brew install --cask google-chrome",
    }
    for label, fix in expected.items():
        assert fix in fixes[label], f"on a Mac, doctor's {label} line should say {fix!r}"


def test_a_taken_port_on_a_mac_names_airplay(doctor):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, text = doctor.check_port(port, "Darwin")
    assert (status, text) == (
        "taken",
        f"another program listens on it (on a Mac, usually AirPlay Receiver): make run"
        f" PORT={port + 1} uses another",
    ), "on a Mac, port 5000 is AirPlay Receiver's unless it is turned off: doctor says so"


def test_an_intel_mac_is_told_it_gets_mongomock_only(doctor, tmp_path):
    status, text = doctor.check_secantus(tmp_path, ".venv", (3, 12, 1), intel_mac=True)
    assert (status, text) == (
        "none",
        "it has no build for Intel Macs: make test runs its checks on mongomock only",
    ), "SecantusDB has no wheel for Intel Macs: doctor says what make test does there"


def test_windows_is_pointed_to_wsl(doctor, monkeypatch, capsys):
    monkeypatch.setattr(platform, "system", lambda: "Windows")
    assert doctor.main([]) == 1, "the workshop does not run on Windows itself"
    assert "WSL 2" in capsys.readouterr().out, "doctor on Windows should point to WSL 2"


# --- What keeps doctor true ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["tools/doctor.py", "checks/harness/browser_paths.py"])
def test_doctor_runs_on_an_old_python(path):
    # macOS's python3 is 3.9: doctor must run on it to say that it is too old.
    source = (ROOT / path).read_text()
    try:
        ast.parse(source, path, feature_version=(3, 6))
    except SyntaxError as error:
        pytest.fail(f"make doctor runs on old Pythons: {path} must stay Python 3.6 ({error})")


def test_doctors_secantus_facts_are_the_pinned_versions(doctor):
    pins = (ROOT / "requirements-secantus.txt").read_text().splitlines()
    assert doctor.SECANTUS_PIN in pins, (
        f"doctor knows which Pythons and machines {doctor.SECANTUS_PIN} has builds for: check"
        " them for the version requirements-secantus.txt pins, and say them in tools/doctor.py"
    )


def shown_lines(text):
    """Each line's requirement and status, and the verdict, of make doctor's output."""
    lines = text.strip().splitlines()
    fields = [re.match(r"(port \d+|\S+) +(not yet|\S+) ", line) for line in lines[:-1]]
    return [field and (re.sub(r"\d+", "N", field[1]), field[2]) for field in fields], lines[-1]


def test_setup_page_shows_doctors_lines(machine):
    page = (ROOT / "docs" / "setup.md").read_text()
    shown = re.search(r"^\$ make doctor\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    assert shown, "docs/setup.md shows what make doctor prints, in a block after '$ make doctor'"
    printed = machine.doctor()[1]
    assert shown_lines(shown.group(1)) == shown_lines(printed), (
        f"docs/setup.md should show the lines make doctor prints on a ready machine:\n{printed}"
    )


def test_make_doctor_checks_the_python_and_port_it_is_given(machine):
    # The machine's other stand-ins go first on PATH; the real make runs, on the real python3.
    machine.remove("make")
    machine.remove("python3")
    old_python = machine.program(machine.folder / "python3.9", "3.9.6 venv")
    environment = {**os.environ, **machine.environment}
    environment["PATH"] += f":{os.environ['PATH']}"
    result = subprocess.run(
        ["make", "--no-print-directory", "doctor", f"PYTHON={old_python}", f"PORT={machine.port}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert re.search(r"^Python +missing +3\.9\.6 ", result.stdout, re.MULTILINE), (
        f"make doctor PYTHON=… should check that Python, and find it too old:\n{result.stdout}"
    )
    assert re.search(rf"^port {machine.port} ", result.stdout, re.MULTILINE), (
        f"make doctor PORT=… should check that port:\n{result.stdout}"
    )
    assert result.returncode != 0, "make doctor fails when something required is missing"
