"""Each step's start-up: from `python -m flask --app steps/NN/app.py run` to its first answer."""

import http.client
import os
import socket
import subprocess
import sys
import time

import benchlib

ROUNDS = 3
TIME_CAP_SECONDS = 30


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port):
    """The status of GET / (a redirect counts: steps 04 and 05 send visitors to the login)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/")
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def start_up(folder):
    """Start a step's server, wait for its first answer, stop it; return (seconds, status)."""
    port = free_port()
    # The embedded database, as a learner's first `make run` gets it.
    environment = {key: value for key, value in os.environ.items() if key != "MONGO_URI"}
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        f"{folder}/app.py",
        "run",
        "--port",
        str(port),
    ]
    start = time.perf_counter()
    server = subprocess.Popen(
        command,
        cwd=benchlib.ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        status = None
        while status is None and time.perf_counter() - start < TIME_CAP_SECONDS:
            if server.poll() is not None:
                raise RuntimeError(f"{folder} exited with {server.returncode} before answering")
            status = answers(port)
            if status is None:
                time.sleep(0.01)
        return time.perf_counter() - start, status
    finally:
        server.terminate()
        server.wait()


def main():
    """Start every step a few times, in turn, and print the table."""
    folders = sorted(
        path.relative_to(benchlib.ROOT) for path in benchlib.STEPS_DIR.glob("[0-9][0-9]_*")
    )
    seconds = {folder: [] for folder in folders}
    statuses = {}
    for _ in range(ROUNDS):
        for folder in folders:
            elapsed, statuses[folder] = start_up(folder)
            seconds[folder].append(elapsed)

    benchlib.heading(
        "5b. Start-up of each step to its first answer",
        "`python -m flask --app steps/NN_name/app.py run`, polling `GET /` every 10 ms;"
        f" wall clock, median of {ROUNDS} runs taken in turn.",
    )
    rows = [
        (f"`{folder.name}`", benchlib.ms(benchlib.median(seconds[folder])), statuses[folder])
        for folder in folders
    ]
    benchlib.table(["step", "start-up to first answer", "status of `GET /`"], rows)


if __name__ == "__main__":
    main()
