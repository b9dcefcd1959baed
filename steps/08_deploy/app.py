"""The app factory of step 08: step 07 ready for production, behind a proxy, under waitress."""

import posixpath
import secrets
from pathlib import Path

import jinja2
from flask import Flask, abort, g, render_template, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import accounts, api, auth, bodies, config, cross_site, db, demo, errors, headers
from .auth import login_required
from .encoder import MongoJSONProvider

# Brunch builds the front end into frontend/public/, two folders above this step.
FRONTEND_PUBLIC = Path(__file__).resolve().parents[2] / "frontend" / "public"

STEP_NUMBER = "08"
STEP_TITLE = "Deployment: running it for real"
# What the page may offer: the user's own items to list, add, edit and delete, after a login,
# and the method override that Backbone.emulateHTTP needs.
STEP_FEATURES = ["items", "login", "edit", "override"]


def create_app(test_config=None, production=False):
    """Create the app of this step; production=True for a real server; test_config overrides."""
    settings = {"FRONTEND_PUBLIC": str(FRONTEND_PUBLIC), **(test_config or {})}
    public = settings["FRONTEND_PUBLIC"]
    # static_url_path="" serves app.js and app.css at the site root, where index.html links them.
    app = Flask(__name__, static_folder=public, static_url_path="")
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_mapping(config.from_environment(production, f"workshop_{STEP_NUMBER}"))
    app.config.from_mapping(settings)
    if app.config["SECRET_KEY"] is None:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        app.logger.warning("SECRET_KEY is not set: a random one is used; logins end on restart.")
    trusted = app.config["TRUSTED_PROXIES"]
    # Without proxies, X-Forwarded-* headers come from the client, who can write anything there.
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)
    # Flask 2.3 removed app.json_encoder: the JSON provider is where an encoder goes now.
    app.json = MongoJSONProvider(app)
    # Templates come from this step's templates/ first, then from Brunch's public/ folder,
    # so render_template("index.html") finds the built front end.
    app.jinja_loader = jinja2.ChoiceLoader([app.jinja_loader, jinja2.FileSystemLoader(public)])
    db.init_app(app)
    demo.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    bodies.init_app(app)
    cross_site.init_app(app)
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

    @app.before_request
    def hide_index_template():
        """Answer 404 to index.html: it is the template of /, not a file to send as it is."""
        # The static files' /<path:filename> would send its Jinja source without a login, and
        # it takes index.html/, ./index.html or x/../index.html alike: compare what they become.
        filename = (request.view_args or {}).get("filename", "")
        if request.endpoint == "static" and posixpath.normpath(filename) == "index.html":
            abort(404)

    return app
