"""Where the browser checks find Chromium or Chrome; make doctor (tools/doctor.py) asks the same.

Standard library and Python 3.6 syntax only: make doctor runs it on whatever Python it finds,
even one too old for the workshop.
"""

import os
import shutil

# Names the system's Chromium goes by, tried in this order after $CHROMIUM. Chromium's headless
# shell comes first: without the full browser's window machinery, a browser check costs it about
# a third less CPU.
CHROMIUM_NAMES = [
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
]
# Where macOS installs the two browsers, off PATH: tried after the names.
APPLICATIONS = [
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
]
HOW_TO_INSTALL = (
    "Install Chromium (`sudo apt-get install chromium-headless-shell`, or `chromium`, or your"
    " distribution's package; on macOS, Google Chrome or Chromium in /Applications), or set"
    " CHROMIUM=/path/to/chrome to use another one."
)


def locate_chromium(names=CHROMIUM_NAMES, applications=APPLICATIONS):
    """Return (path, None) for the browser to drive, or (None, why there is none)."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        # A browser named on purpose: never another one in its place.
        if not os.path.isfile(configured):
            return None, f"CHROMIUM={configured} is not a file."
        return configured, None
    for name in names:
        found = shutil.which(name)
        if found:
            return found, None
    for application in applications:
        if os.path.isfile(application):
            return application, None
    return None, "Chromium is not installed."
