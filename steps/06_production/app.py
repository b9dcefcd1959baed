"""The app factory of step 06: step 05 ready for production, behind a proxy, under gunicorn."""

import os
import posixpath
import secrets
import sys
from pathlib import Path

import jinja2
from flask import Flask, abort, g, render_template, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import api, auth, bodies, cross_site, db, demo, errors, headers
from .auth import login_required
from .encoder import MongoJSONProvider

# Brunch builds the front end into frontend/public/, two folders above this step.
FRONTEND_PUBLIC = Path(__file__).resolve().parents[2] / "frontend" / "public"

STEP_NUMBER = "06"
STEP_TITLE = "Production: what a deployment needs"
# What the page may offer: the user's own items to list, add, edit and delete, after a login,
# and the method override that Backbone.emulateHTTP needs.
STEP_FEATURES = ["items", "login", "edit", "override"]
# Why a server that is not `flask run` (gunicorn, ...) refuses to start without SECRET_KEY.
SECRET_KEY_MISSING = (
    "SECRET_KEY is not set: each worker would sign logins with a random key of its own. Set it"
    " in the environment: SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex())')"
)
# Why such a server refuses to start without MONGO_URI.
MONGO_URI_MISSING = (
    "MONGO_URI is not set: each worker would use an embedded database of its own, with the"
    " public demo account. Set it in the environment: MONGO_URI=mongodb://host:27017/"
)
# Why any server, `flask run` too, refuses a SECRET_KEY that a computer could guess.
MIN_SECRET_KEY_LENGTH = 32
SECRET_KEY_TOO_SHORT = (
    f"SECRET_KEY is too short: it needs {MIN_SECRET_KEY_LENGTH} characters or more, not counting"
    " spaces, or a guess can sign anyone's login. Make one with"
    " SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex())')"
)
# Why any server, `flask run` too, refuses a TRUSTED_PROXIES that is not a count.
TRUSTED_PROXIES_INVALID = (
    "TRUSTED_PROXIES must be a whole number, 0 or more: how many proxies stand in front."
    " Set it to 1 behind one proxy, or unset it."
)
# The Host names a browser may use to reach the app when TRUSTED_HOSTS does not say.
LOOPBACK_HOSTS = ["127.0.0.1", "localhost"]
WORKER_BOOT_ERROR = 3


def refuse_to_start(reason):
    """Stop the server with one line on stderr saying why, and no traceback."""
    print(reason, file=sys.stderr)
    # Status 3 is how a gunicorn worker says that it cannot boot: gunicorn then stops,
    # rather than starting new workers that would fail alike.
    raise SystemExit(WORKER_BOOT_ERROR)


def host_names(text):
    """Return the names in a comma-separated list such as "shop.example, www.shop.example"."""
    return [name.strip() for name in text.split(",") if name.strip()]


def create_app(test_config=None):
    """Create the app of this step; test_config overrides the defaults."""
    settings = {"FRONTEND_PUBLIC": str(FRONTEND_PUBLIC), **(test_config or {})}
    public = settings["FRONTEND_PUBLIC"]
    # static_url_path="" serves app.js and app.css at the site root, where index.html links them.
    app = Flask(__name__, static_folder=public, static_url_path="")
    # An env file that leaves a setting blank (SECRET_KEY=, or spaces) means it is not set.
    secret_key = os.environ.get("SECRET_KEY", "").strip() or None
    trusted_proxies = os.environ.get("TRUSTED_PROXIES") or "0"
    # int() alone would take -1 (then a 500 on X-Forwarded-For) and end "abc" in a traceback.
    if not trusted_proxies.isdecimal():
        refuse_to_start(TRUSTED_PROXIES_INVALID)
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
        # Login and register posts per client address and minute, whatever the names: past
        # them a 429 before any bcrypt work. No person needs 20 a minute; a flood needs more.
        PASSWORD_TRIES_PER_ADDRESS=20,
        PASSWORD_TRIES_WINDOW_SECONDS=60,
        # A login ends on its own after 30 days, logout or not.
        LOGIN_LIFETIME_SECONDS=30 * 24 * 60 * 60,
        # Bodies over 1 MiB are refused with 413 before they are read: plenty for items.
        MAX_CONTENT_LENGTH=1024 * 1024,
        # The MongoDB server; without one, an embedded mongomock database with demo data.
        MONGO_URI=os.environ.get("MONGO_URI", ""),
        # A database per step on one server (workshop_02, ...): steps never see each other's data.
        MONGO_DBNAME=os.environ.get("MONGO_DBNAME", f"workshop_{STEP_NUMBER}"),
        # Every call to MongoDB gives up after this long: a server that hangs is a 503 in 2 s.
        MONGO_TIMEOUT_MS=2000,
        # Tests pass their own client here instead of patching anything.
        MONGO_CLIENT=None,
        # How many reverse proxies stand in front (TRUSTED_PROXIES=1 behind one): their
        # X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host then count.
        TRUSTED_PROXIES=int(trusted_proxies),
        # Flask's own setting: a request for any other Host is a 400. Without it, a page at
        # rebind.evil.example whose name now points at 127.0.0.1 would be this site to the app.
        TRUSTED_HOSTS=host_names(os.environ.get("TRUSTED_HOSTS", "")) or LOOPBACK_HOSTS,
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
    # `flask run` (make run) and the checks may use a random key and the embedded database;
    # a real server may not.
    real_server = test_config is None and not os.environ.get("FLASK_RUN_FROM_CLI")
    if real_server and secret_key is None:
        refuse_to_start(SECRET_KEY_MISSING)
    if real_server and not app.config["MONGO_URI"]:
        refuse_to_start(MONGO_URI_MISSING)
    if secret_key is not None and len(secret_key) < MIN_SECRET_KEY_LENGTH:
        refuse_to_start(SECRET_KEY_TOO_SHORT)
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

    @app.before_request
    def hide_index_template():
        """Answer 404 to index.html: it is the template of /, not a file to send as it is."""
        # The static files' /<path:filename> would send its Jinja source without a login, and
        # it takes index.html/, ./index.html or x/../index.html alike: compare what they become.
        filename = (request.view_args or {}).get("filename", "")
        if request.endpoint == "static" and posixpath.normpath(filename) == "index.html":
            abort(404)

    return app
