"""make serve: a step's production app, create_app(production=True), served by waitress.

waitress-serve names its app MODULE:OBJECT, and refuses a module whose name starts with a
digit, as every step's does (08_deploy). This does what it does for such a module: import the
step as a package from the folder that holds it, and serve the app it makes, with the options
of waitress-serve (its --help lists them):

    python tools/serve.py steps/08_deploy --host 127.0.0.1 --port 8000 --threads 48
"""

import importlib
import logging
import sys
from pathlib import Path

from waitress import serve
from waitress.adjustments import Adjustments


def main(step_folder, options):
    """Make the step's production app and serve it until the process is stopped."""
    step = Path(step_folder).resolve()
    settings, extra = Adjustments.parse_args(options)
    if extra or settings.pop("help") or settings.pop("call"):
        sys.exit(f"After the step, only waitress-serve's options, not --help, --call or {extra}")
    sys.path.insert(0, str(step.parent))
    # A refusal of create_app (a missing setting) is one line and status 3, before any socket.
    app = importlib.import_module(f"{step.name}.app").create_app(production=True)
    # waitress says where it listens ("Serving on http://..."), and what goes wrong, at INFO.
    logging.getLogger("waitress").setLevel(logging.INFO)
    serve(app, **settings)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
