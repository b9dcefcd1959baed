"""Real servers and processes for the checks and benchmarks, started and always stopped.

A Flask app is served from a thread of this process (`serving`); a command such as `make run`
runs in a process group of its own (`started`, `run`), so that stopping it stops whatever it
started too. Every wait is for a condition (a port, a line of output), bounded by a timeout.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from werkzeug.serving import make_server

# Generous, for a first run on a cold or busy machine, yet bounded: seconds.
START_TIMEOUT = 60
STOP_TIMEOUT = 10
RUN_TIMEOUT = 300
# How often a wait looks at its condition again: seconds.
POLL_INTERVAL = 0.01


@contextmanager
def serving(app):
    """Serve a Flask app from a threaded server on a free port of 127.0.0.1; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: shutdown() waits for the serving loop to look (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(STOP_TIMEOUT)


def free_port():
    """Return a TCP port of 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_status(port, path="/"):
    """The status GET path gets from 127.0.0.1:port (a redirect too); None if nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=STOP_TIMEOUT)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def signal_group(process, signal_number):
    """Send a signal to the process group a process leads; a group gone already is no error."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal_number)


def stop(process):
    """Stop a process started in a group of its own, and all it started; always reap it."""
    signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
    # A child that outlived the leader (make's flask, the reloader's server) must not keep
    # running, holding a port or a CPU.
    signal_group(process, signal.SIGKILL)


class Started:
    """A command running in a process group of its own, what it prints going to two files."""

    def __init__(self, command, folder, **popen_options):
        self.command = command
        self.stdout_path, self.stderr_path = folder / "stdout.txt", folder / "stderr.txt"
        with open(self.stdout_path, "wb") as stdout, open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                command, stdout=stdout, stderr=stderr, start_new_session=True, **popen_options
            )

    def stdout(self):
        """What the command has printed on its standard output so far."""
        return self.stdout_path.read_text(errors="replace")

    def stderr(self):
        """What the command has printed on its standard error so far."""
        return self.stderr_path.read_text(errors="replace")

    def output(self):
        """What the command has printed so far, on both outputs."""
        return self.stdout() + self.stderr()

    def wait_for(self, condition, what, timeout=START_TIMEOUT):
        """Wait until condition() returns something true, and return it."""
        # The command exiting first, or the timeout passing, fails the check with its output.
        deadline = time.monotonic() + timeout
        while True:
            found = condition()
            if found:
                return found
            exited = self.process.poll()
            if exited is not None or time.monotonic() > deadline:
                why = f"exited with {exited}" if exited is not None else f"ran {timeout} s"
                raise AssertionError(
                    f"{self.command} {why} without {what}. It printed:\n{self.output()}"
                )
            time.sleep(POLL_INTERVAL)

    def wait_for_output(self, pattern, timeout=START_TIMEOUT):
        """Wait until the output matches a regular expression; return the match."""
        return self.wait_for(
            lambda: re.search(pattern, self.output(), re.MULTILINE),
            f"printing {pattern!r}",
            timeout,
        )


@contextmanager
def started(command, **popen_options):
    """Start a command (a list, or a string with shell=True); stop it and its children after."""
    with tempfile.TemporaryDirectory(prefix="started-") as folder:
        running = Started(command, Path(folder), **popen_options)
        try:
            yield running
        finally:
            stop(running.process)


def run(command, timeout=RUN_TIMEOUT, **popen_options):
    """Run a command to its end, like subprocess.run(command, capture_output=True, text=True)."""
    # Past the timeout it is stopped with all it started, and the check fails saying so.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **popen_options,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process)
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"{command} did not finish within {timeout} s. It printed:\n{stdout}{stderr}"
        ) from None
    finally:
        # Nothing it started in the background may outlive it.
        signal_group(process, signal.SIGKILL)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


# `make serve` as the checks run it: PORT=0 takes a free port, which waitress's log names. The
# set-up is make setup's to prove (make test runs it first): -o leaves the venv and the built
# front end as they are, so that a check never installs anything.
MAKE_SERVE = [
    *("make", "--no-print-directory", "-o", ".venv/.installed", "-o", "frontend/public/index.html"),
    *("serve", "PORT=0"),
]


@contextmanager
def make_serve(environment, cwd):
    """Run make serve in cwd until it answers; yield it (a Started) and its port."""
    with started(MAKE_SERVE, cwd=cwd, env=environment) as server:
        port = int(server.wait_for_output(r"Serving on http://127\.0\.0\.1:(\d+)").group(1))
        server.wait_for(lambda: http_status(port, "/login") == 200, "answering GET /login")
        yield server, port
