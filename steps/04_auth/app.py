"""The app factory of step 04: step 03 behind a session login."""

import os
import secrets
import sys
from pathlib import Path

import jinja2
from flask import Flask, abort, g, render_template
from werkzeug.middleware.proxy_fix import ProxyFix

from . import api, auth, bodies, cross_site, db, demo, errors, headers
from .auth import login_required
from .encoder import MongoJSONProvider

# Brunch builds the front end into frontend/public/, two folders above this step.
FRONTEND_PUBLIC = Path(__file__).resolve().parents[2] / "frontend" / "public"

STEP_NUMBER = "04"
STEP_TITLE = "Session login with bcrypt and two decorators"
# What the page may offer: a read-only list from GET /api/items/, after a login.
STEP_FEATURES = ["items", "login"]
# Why a server that is not `flask run` (gunicorn, ...) refuses to start without SECRET_KEY.
SECRET_KEY_MISSING = (
    "SECRET_KEY is not set: each worker would sign logins with a random key of its own. Set it"
    " in the environment: SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex())')"
)
WORKER_BOOT_ERROR = 3


def create_app(test_config=None):
    """Create the app of this step; test_config overrides the defaults."""
    settings = {"FRONTEND_PUBLIC": str(FRONTEND_PUBLIC), **(test_config or {})}
    public = settings["FRONTEND_PUBLIC"]
    # static_url_path="" serves app.js and app.css at the site root, where index.html links them.
    app = Flask(__name__, static_folder=public, static_url_path="")
    secret_key = os.environ.get("SECRET_KEY")
    app.config.from_mapping(
        # Signs the session cookie. A key from the environment means a real deployment.
        SECRET_KEY=secret_key or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Production (SECRET_KEY set) sends the cookie over HTTPS only.
        SESSION_COOKIE_SECURE=bool(secret_key),
        # bcrypt cost 12 takes about 0.2 s per login: slow for guessing, fine for people.
        BCRYPT_ROUNDS=12,
        LOGIN_MAX_FAILURES=5,
        LOGIN_WINDOW_SECONDS=15 * 60,
        # A login ends on its own after 30 days, logout or not.
        LOGIN_LIFETIME_SECONDS=30 * 24 * 60 * 60,
        # Bodies over 1 MiB are refused with 413 before they are read: plenty for items.
        MAX_CONTENT_LENGTH=1024 * 1024,
        # The MongoDB server; without one, an embedded mongomock database with demo data.
        MONGO_URI=os.environ.get("MONGO_URI", ""),
        # A database per step on one server (workshop_02, ...): steps never see each other's data.
        MONGO_DBNAME=os.environ.get("MONGO_DBNAME", f"workshop_{STEP_NUMBER}"),
        MONGO_TIMEOUT_MS=2000,
        # Tests pass their own client here instead of patching anything.
        MONGO_CLIENT=None,
        # How many reverse proxies stand in front (TRUSTED_PROXIES=1 behind one): their
        # X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host then count.
        TRUSTED_PROXIES=int(os.environ.get("TRUSTED_PROXIES", "0")),
    )
    app.config.from_mapping(settings)
    trusted = app.config["TRUSTED_PROXIES"]
    # Without proxies, X-Forwarded-* headers come from the client, who can write anything there.
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)
    # Flask 2.3 removed app.json_encoder: the JSON provider is where an encoder goes now.
    app.json = MongoJSONProvider(app)
    # Templates come from this step's templates/ first, then from Brunch's public/ folder,
    # so render_template("index.html") finds the built front end.
    app.jinja_loader = jinja2.ChoiceLoader([app.jinja_loader, jinja2.FileSystemLoader(public)])
    # `flask run` (make run) and the checks may use a random key; a real server may not.
    if secret_key is None and test_config is None and not os.environ.get("FLASK_RUN_FROM_CLI"):
        print(SECRET_KEY_MISSING, file=sys.stderr)
        # One line, no traceback. Status 3 is how a gunicorn worker says that it cannot boot:
        # gunicorn then stops, rather than starting new workers that would fail alike.
        raise SystemExit(WORKER_BOOT_ERROR)
    if secret_key is None:
        app.logger.warning("SECRET_KEY is not set: a random one is used; logins end on restart.")
    db.init_app(app)
    demo.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    bodies.init_app(app)
    cross_site.init_app(app)
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

    @app.get("/index.html")
    def index_template():
        """Answer 404: index.html is the template of /, not a file to send as it is."""
        # Without this rule the static files' /<path:filename> would send its Jinja source,
        # without a login.
        abort(404)

    return app
