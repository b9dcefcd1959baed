"""The app factory of step 04: step 03 behind a session login."""

import os
import secrets
from pathlib import Path

import jinja2
from flask import Flask, g, render_template

from . import api, auth, db, demo, errors
from .auth import login_required
from .encoder import MongoJSONProvider

# Brunch builds the front end into frontend/public/, two folders above this step.
FRONTEND_PUBLIC = Path(__file__).resolve().parents[2] / "frontend" / "public"

STEP_NUMBER = "04"
STEP_TITLE = "Session login with bcrypt and two decorators"
# What the page may offer: a read-only list from GET /api/items/, after a login.
STEP_FEATURES = ["items", "login"]


def create_app(test_config=None):
    """Create the app of this step; test_config overrides the defaults."""
    settings = {"FRONTEND_PUBLIC": str(FRONTEND_PUBLIC), **(test_config or {})}
    public = settings["FRONTEND_PUBLIC"]
    # static_url_path="" serves app.js and app.css at the site root, where index.html links them.
    app = Flask(__name__, static_folder=public, static_url_path="")
    app.config.from_mapping(
        # Signs the session cookie: from the environment, else a random key at each start (logins
        # then end on restart). Never a key written in the code, which anyone could sign with.
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        # Scripts cannot read the cookie; other sites' forms and scripts do not carry it.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # bcrypt cost 12 takes about 0.2 s per login: slow for guessing, fine for people.
        BCRYPT_ROUNDS=12,
        # The MongoDB server; without one, an embedded mongomock database with demo data.
        MONGO_URI=os.environ.get("MONGO_URI", ""),
        # A database per step on one server (workshop_02, ...): steps never see each other's data.
        MONGO_DBNAME=os.environ.get("MONGO_DBNAME", f"workshop_{STEP_NUMBER}"),
        MONGO_TIMEOUT_MS=2000,
        # Tests pass their own client here instead of patching anything.
        MONGO_CLIENT=None,
    )
    app.config.from_mapping(settings)
    # Flask 2.3 removed app.json_encoder: the JSON provider is where an encoder goes now.
    app.json = MongoJSONProvider(app)
    # Templates come from this step's templates/ first, then from Brunch's public/ folder,
    # so render_template("index.html") finds the built front end.
    app.jinja_loader = jinja2.ChoiceLoader([app.jinja_loader, jinja2.FileSystemLoader(public)])
    db.init_app(app)
    demo.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    app.register_blueprint(api.bp)

    @app.get("/")
    @login_required
    def index():
        """Render the Backbone page with what only the server knows: the step and its URLs."""
        try:
            return render_template(
                "index.html",
                step_number=STEP_NUMBER,
                step_title=STEP_TITLE,
                step_features=STEP_FEATURES,
                username=g.user["username"],
            )
        except jinja2.TemplateNotFound:
            return render_template("frontend_missing.html", public=public), 503

    return app
