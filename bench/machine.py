"""Print the machine the figures are taken on, read from the machine itself."""

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

import benchlib


def cpu_model():
    """The CPU model as the system names it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    """Print the machine table."""
    rows = [
        ("CPU", cpu_model()),
        ("Cores", os.cpu_count()),
        ("System", f"{platform.system()} {platform.machine()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("Date", datetime.now(UTC).strftime("%Y-%m-%d")),
    ]
    if hasattr(os, "getloadavg"):
        # Other work on the machine slows the wall clock: this says how busy it was.
        rows.append(("Load average at start (1 min)", f"{os.getloadavg()[0]:.1f}"))
    benchlib.heading("Machine")
    benchlib.table(["item", "value"], rows)


if __name__ == "__main__":
    main()
