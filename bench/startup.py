"""Each step's start-up: from `python -m flask --app steps/NN/app.py run` to its first answer."""

import os
import sys
import time

import benchlib

from harness.servers import POLL_INTERVAL, free_port, http_status, started

ROUNDS = 3
TIME_CAP_SECONDS = 30


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
    with started(command, cwd=benchlib.ROOT, env=environment) as server:
        # A redirect counts: steps 04 and 05 send visitors to the login.
        status = server.wait_for(lambda: http_status(port), "answering", TIME_CAP_SECONDS)
        return time.perf_counter() - start, status


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
        "`python -m flask --app steps/NN_name/app.py run`, polling `GET /` every"
        f" {POLL_INTERVAL * 1000:.0f} ms;"
        f" wall clock, median of {ROUNDS} runs taken in turn.",
    )
    rows = [
        (f"`{folder.name}`", benchlib.ms(benchlib.median(seconds[folder])), statuses[folder])
        for folder in folders
    ]
    benchlib.table(["step", "start-up to first answer", "status of `GET /`"], rows)


if __name__ == "__main__":
    main()
