"""The app factory of step 01: Brunch's index.html rendered as a Jinja template."""

from pathlib import Path

import jinja2
from flask import Flask, render_template

# Brunch builds the front end into frontend/public/, two folders above this step.
FRONTEND_PUBLIC = Path(__file__).resolve().parents[2] / "frontend" / "public"

STEP_NUMBER = "01"
STEP_TITLE = "Serve the Backbone index with render_template"
# What the page may offer: nothing yet, the JSON API arrives in step 02.
STEP_FEATURES = []


def create_app(test_config=None):
    """Create the app of this step; test_config overrides the defaults."""
    settings = {"FRONTEND_PUBLIC": str(FRONTEND_PUBLIC), **(test_config or {})}
    public = settings["FRONTEND_PUBLIC"]
    # static_url_path="" serves app.js and app.css at the site root, where index.html links them.
    app = Flask(__name__, static_folder=public, static_url_path="")
    app.config.from_mapping(settings)
    # Templates come from this step's templates/ first, then from Brunch's public/ folder,
    # so render_template("index.html") finds the built front end.
    app.jinja_loader = jinja2.ChoiceLoader([app.jinja_loader, jinja2.FileSystemLoader(public)])

    @app.get("/")
    def index():
        """Render the Backbone page with what only the server knows: the step and its URLs."""
        try:
            return render_template(
                "index.html",
                step_number=STEP_NUMBER,
                step_title=STEP_TITLE,
                step_features=STEP_FEATURES,
            )
        except jinja2.TemplateNotFound:
            return render_template("frontend_missing.html", public=public), 503

    return app
