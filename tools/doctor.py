"""make doctor: does this machine have what the workshop needs? One line per requirement.

Each line says "ok" and what it found (version, path), or what is wrong and the command that
fixes it on this system. The exit status is 1 if something required is missing (Python 3.11 or
newer that can make a venv, Node 18 or newer, npm, make, git), else 0: Chromium, the port for
`make run` and SecantusDB are reported, but the workshop runs without them. docs/setup.md says
what each line means.

Python 3.6 syntax and the standard library only: the Python running this may be the one it
finds too old.
"""

import argparse
import platform
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The browser checks' own rule for finding Chromium, not a copy of it.
sys.path.insert(0, str(ROOT / "checks"))
from harness.browser_paths import locate_chromium  # noqa: E402

PYTHON_NEEDED = (3, 11)
NODE_NEEDED = 18
# requirements-secantus.txt's pin, and the newest Python it has a build (a wheel) for. It has
# builds for CPython 3.10 to 3.13 on Linux, Windows and Apple-silicon Macs, none for Intel Macs.
SECANTUS_PIN = "SecantusDB==0.7.0b3"
SECANTUS_NEWEST_PYTHON = (3, 13)
# What the Python being checked prints: its version, and whether it can make a venv (Debian and
# Ubuntu ship ensurepip, which venv needs, apart from Python, in python3-venv). Any Python runs it.
PYTHON_PROBE = """import sys
try:
    import ensurepip
    venv = "venv"
except ImportError:
    venv = "no-venv"
print("%d.%d.%d %s" % (sys.version_info[0], sys.version_info[1], sys.version_info[2], venv))
"""
# Seconds a program may take to say its version: a first start on a busy machine is slow.
COMMAND_TIMEOUT = 30
# What a line says of its requirement. Only MISSING fails: the rest can wait or be done without.
OK = "ok"
MISSING = "missing"
OPTIONAL = "optional"
TAKEN = "taken"
NOT_YET = "not yet"
NONE = "none"
LABEL_WIDTH, STATUS_WIDTH = 11, 8


def run(command):
    """Run a program; return whether it succeeded, and its output (else its complaint)."""
    try:
        # capture_output= and text= are Python 3.7's.
        result = subprocess.run(  # noqa: UP022
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=COMMAND_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, str(error)
    if result.returncode != 0:
        complaint = (result.stderr or result.stdout).decode(errors="replace").strip()
        return False, complaint.splitlines()[0] if complaint else f"exit {result.returncode}"
    return True, result.stdout.decode(errors="replace").strip()


def found_at(program):
    """Find a program on PATH; return its path, and the first line of --version (else why not)."""
    path = shutil.which(program)
    if path is None:
        return None, f"{program} is not found."
    ran, output = run([path, "--version"])
    if not ran:
        return None, f"{program} ({path}) does not run: {output.rstrip('.')}."
    return path, output.splitlines()[0] if output else ""


def python_fix(system, too_old):
    """The command that installs a Python 3.11 or newer, and names it to make setup."""
    if system == "Darwin":
        return "brew install python@3.13, then name it: make setup PYTHON=python3.13"
    if too_old:
        return "Install a newer one beside it (docs/setup.md), then: make setup PYTHON=python3.11"
    return "sudo apt-get install python3 python3-venv"


def ask_python(path):
    """Ask a Python its version and whether it can make a venv; return both, else why not."""
    ran, output = run([path, "-c", PYTHON_PROBE])
    answer = re.search(r"^(\d+)\.(\d+)\.(\d+) (venv|no-venv)$", output, re.MULTILINE)
    if answer is None:
        problem = "does not run" if not ran else "did not say its version"
        return None, False, f"{problem}: {output.rstrip('.')}"
    return tuple(int(part) for part in answer.group(1, 2, 3)), answer.group(4) == "venv", None


def check_python(python, system):
    """The Python make setup would use; return its version (None if unknown) and its line."""
    path = shutil.which(python)
    if path is None:
        return None, (MISSING, f"{python} is not found. {python_fix(system, too_old=False)}")
    version, makes_venvs, problem = ask_python(path)
    if version is None:
        return None, (MISSING, f"{python} ({path}) {problem}. {python_fix(system, too_old=False)}")
    found = "{}.{}.{} ({})".format(*version, path)
    if version < PYTHON_NEEDED:
        fix = python_fix(system, too_old=True)
        return version, (MISSING, f"{found}: the workshop needs 3.11 or newer. {fix}")
    if not makes_venvs:
        fix = "sudo apt-get install python{}.{}-venv".format(*version)
        return version, (MISSING, f"{found} cannot make a venv: {fix}")
    if python != "python3":
        # make setup takes python3 unless told otherwise.
        found += f"; set up with it: make setup PYTHON={python}"
    return version, (OK, found)


def check_venv(venv, shown_venv, version, line):
    """A venv make setup made with another Python: everything runs on it, python3 only makes one."""
    python = Path(venv) / "bin" / "python"
    made_with = ask_python(str(python))[0] if python.is_file() else None
    if made_with is None or made_with < PYTHON_NEEDED:
        return version, line
    made = "{}.{}.{} in {}, which make setup made with another Python"
    return made_with, (OK, made.format(*made_with, shown_venv))


def check_node(system):
    """Node.js, which builds the front end with Brunch."""
    if system == "Darwin":
        fix = "brew install node"
    else:
        fix = "sudo apt-get install nodejs npm, or where it is older than 18 see docs/setup.md"
    path, version = found_at("node")
    if path is None:
        return MISSING, f"{version} {fix}"
    major = re.match(r"v?(\d+)\.", version)
    if major is None or int(major.group(1)) < NODE_NEEDED:
        if system != "Darwin":
            fix = "install Node 18 or newer from nodejs.org (docs/setup.md)"
        return MISSING, f"node is {version} ({path}): the front end needs 18 or newer. {fix}"
    return OK, f"{version} ({path})"


def check_tool(program, system):
    """A program the workshop runs as it is: npm, make, git."""
    path, version = found_at(program)
    if path is not None:
        return OK, f"{version} ({path})"
    if program == "npm":
        fix = "brew install node" if system == "Darwin" else "sudo apt-get install npm"
    else:
        fix = "xcode-select --install" if system == "Darwin" else f"sudo apt-get install {program}"
    return MISSING, f"{version} {fix}"


def check_chromium(system):
    """The browser the browser checks drive, found as they find it."""
    path, missing = locate_chromium()
    if path is not None:
        ran, version = run([path, "--version"])
        if ran:
            return OK, f"{version.splitlines()[-1]} ({path})"
        missing = f"{path} does not run: {version.rstrip('.')}."
    if system == "Darwin":
        fix = "Install Google Chrome (brew install --cask google-chrome)"
    else:
        fix = "sudo apt-get install chromium-headless-shell"
    return OPTIONAL, (
        f"{missing} Only the browser checks need it, but without it they are skipped and the"
        f" counts are not the full ones. {fix}, or name yours: CHROMIUM=/path/to/chrome"
    )


def port_taken(port):
    """Tell whether a program answers on 127.0.0.1 at this port, or make run could not listen."""
    # Asked first: whether a program listening on all addresses (as AirPlay Receiver does) stops
    # another from binding 127.0.0.1 depends on the system; one that answers is there anyway.
    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return True
    with socket.socket() as server:
        # As Flask's server does: a port its last run left in TIME_WAIT is free.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            server.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def check_port(port, system):
    """The port make run serves on."""
    if not port_taken(port):
        return OK, "free for make run"
    usual = " (on a Mac, usually AirPlay Receiver)" if system == "Darwin" else ""
    return TAKEN, f"another program listens on it{usual}: make run PORT={port + 1} uses another"


def secantus_version(venv):
    """The version of SecantusDB installed in a venv, or None."""
    for info in Path(venv).glob("lib/python*/site-packages/*.dist-info"):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        if name.lower() == "secantusdb":
            return version
    return None


def check_secantus(venv, shown_venv, python_version, intel_mac):
    """SecantusDB, the real MongoDB-protocol server of make test's second pass and make mongo."""
    version = secantus_version(venv)
    if version is not None:
        return OK, f"{version} in {shown_venv}"
    mongomock_only = "make test runs its checks on mongomock only"
    if intel_mac:
        return NONE, f"it has no build for Intel Macs: {mongomock_only}"
    if python_version is not None and python_version[:2] > SECANTUS_NEWEST_PYTHON:
        return NONE, (
            "it has no build for Python {}.{} yet: {} (Python 3.13 has one)".format(
                *python_version[:2], mongomock_only
            )
        )
    return NOT_YET, f"not in {shown_venv} yet: make test installs it there (make mongo too)"


def verdict(findings):
    """The last line: ready or not, and what to do."""
    missing = [label for label, status, _ in findings if status == MISSING]
    if missing:
        return (
            f"Not ready: install what is missing ({', '.join(missing)}), then run make doctor"
            " again. docs/setup.md says how on each system."
        )
    if all(status == OK for _, status, _ in findings):
        return "Ready for the workshop."
    return "Ready for the workshop; what is not ok above is optional (docs/setup.md)."


def parse_options(argv):
    """The Python to check, the port make run uses, the venv make setup makes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3", help="the Python make setup would use")
    parser.add_argument("--port", type=int, default=5000, help="the port make run serves on")
    parser.add_argument("--venv", default=".venv", help="the venv make setup makes")
    return parser.parse_args(argv)


def main(argv=None):
    """Print one line per requirement and the verdict; return 1 if something required is missing."""
    options = parse_options(argv)
    system = platform.system()
    if system == "Windows":
        print("This is Windows: the workshop runs in WSL 2, a Linux inside it (docs/setup.md).")
        return 1
    venv = ROOT / options.venv
    python_version, python_line = check_python(options.python, system)
    if python_line[0] == MISSING and options.python == "python3":
        python_version, python_line = check_venv(venv, options.venv, python_version, python_line)
    intel_mac = system == "Darwin" and platform.machine() == "x86_64"
    findings = [
        ("Python", *python_line),
        ("Node", *check_node(system)),
        ("npm", *check_tool("npm", system)),
        ("make", *check_tool("make", system)),
        ("git", *check_tool("git", system)),
        ("Chromium", *check_chromium(system)),
        (f"port {options.port}", *check_port(options.port, system)),
        ("SecantusDB", *check_secantus(venv, options.venv, python_version, intel_mac)),
    ]
    for label, status, text in findings:
        print(f"{label:<{LABEL_WIDTH}} {status:<{STATUS_WIDTH}} {text}")
    print(verdict(findings))
    return 1 if any(status == MISSING for _, status, _ in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
