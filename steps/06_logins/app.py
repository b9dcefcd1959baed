"""The app factory of step 06: step 05 with logins kept in MongoDB and guessing made slow."""

import os
import secrets
from pathlib import Path

import jinja2
from flask import Flask, g, render_template

from . import accounts, api, auth, db, demo, errors
from .auth import login_required
from .encoder import MongoJSONProvider

# Brunch builds the front end into frontend/public/, two folders above this step.
FRONTEND_PUBLIC = Path(__file__).resolve().parents[2] / "frontend" / "public"

STEP_NUMBER = "06"
STEP_TITLE = "Logins that end, guesses that are slow"
# What the page may offer: the user's own items to list, add, edit and delete, after a login.
STEP_FEATURES = ["items", "login", "edit"]


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
        # A login ends on its own after 30 days, logout or not.
        LOGIN_LIFETIME_SECONDS=30 * 24 * 60 * 60,
        # Failed logins per name and address in a quarter of an hour: past them a 429.
        LOGIN_MAX_FAILURES=5,
        LOGIN_WINDOW_SECONDS=15 * 60,
        # Login and register posts per client address and minute, whatever the names: past
        # them a 429 before any bcrypt work. No person needs 20 a minute; a flood needs more.
        PASSWORD_TRIES_PER_ADDRESS=20,
        PASSWORD_TRIES_WINDOW_SECONDS=60,
        # Login and register posts a process works on at once: past them, a 503 at once. Each
        # waits for MongoDB and bcrypt, and a waiting thread serves nobody else.
        PASSWORD_POSTS_AT_ONCE=3,
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
    accounts.init_app(app)
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
