"""Session login: register, log in, log out, and the two decorators that guard views."""

import functools
import re
import secrets

from bson import ObjectId
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from pymongo.errors import DuplicateKeyError

from .db import get_db
from .errors import error_response
from .passwords import check_password, hash_password, password_problem

bp = Blueprint("auth", __name__)

# ASCII letters, digits and . - _ only: lower() then gives the one spelling a name is kept in.
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,32}")
# One message for an unknown user and a wrong password: which one it was is nobody's business.
LOGIN_FAILED = "Wrong username or password."


def login_required(view):
    """Send visitors who are not logged in to the login page, and back here afterwards."""

    # functools.wraps keeps the view's name, which Flask makes its endpoint: without it every
    # guarded view is "wrapped_view", url_for("index") fails, and two in one blueprint collide.
    @functools.wraps(view)
    def wrapped_view(*args, **kwargs):
        if load_logged_in_user() is None:
            # The path, not request.url: the login page only follows paths on this site.
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped_view


def api_login_required(view):
    """Answer API calls that are not logged in with 401 JSON, for the front end to handle."""

    @functools.wraps(view)
    def wrapped_view(*args, **kwargs):
        if load_logged_in_user() is None:
            return error_response(401, "login required")
        return view(*args, **kwargs)

    return wrapped_view


def load_logged_in_user():
    """Return who is logged in, kept in g.user too: the user whose id the session holds."""
    user_id = session.get("user_id")
    user = None
    if user_id is not None:
        # Only the _id and the username: the password hash stays in the database.
        user = get_db().users.find_one({"_id": ObjectId(user_id)}, {"username": 1})
    g.user = user
    return user


def start_session(user):
    """Log a user in: a fresh session that holds the user's id."""
    # Nothing from before the login survives it, not even a value planted by someone else.
    session.clear()
    session["user_id"] = str(user["_id"])


def safe_next(target):
    """Return target if it is a path on this site, else "/": never a redirect to elsewhere."""
    if (
        not target
        or not target.startswith("/")
        # //host and /\host are other sites to a browser, and so are control characters that
        # browsers strip (/<tab>/host).
        or target.startswith("//")
        or "\\" in target
        or any(ord(char) < 32 or ord(char) == 127 for char in target)
    ):
        return "/"
    return target


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an account and log it in."""
    if request.method == "GET":
        return render_template("register.html")
    # request.form holds strings only: a JSON {"$ne": null} never reaches a query.
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    error = password_problem(password)
    if not USERNAME_PATTERN.fullmatch(username):
        error = "Usernames have 3 to 32 letters, digits, dots, dashes or underscores."
    if error:
        return render_template("register.html", error=error, username=username), 400
    rounds = current_app.config["BCRYPT_ROUNDS"]
    # Stored in lower case, so that the unique index sees Demo and demo as one name.
    user = {"username": username.lower(), "password_hash": hash_password(password, rounds)}
    try:
        get_db().users.insert_one(user)
    except DuplicateKeyError:
        error = "That username is taken."
        return render_template("register.html", error=error, username=username), 409
    start_session(user)
    return redirect(url_for("index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with a username and password, then go where the visitor was going."""
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", next=next_path)
    username = request.form.get("username", "").lower()
    password = request.form.get("password", "")
    user = get_db().users.find_one({"username": username})
    # An unknown user costs a bcrypt check too, so timing does not tell who has an account.
    password_hash = user["password_hash"] if user else current_app.extensions["dummy_hash"]
    if not check_password(password, password_hash) or user is None:
        page = render_template("login.html", error=LOGIN_FAILED, username=username, next=next_path)
        return page, 401
    start_session(user)
    return redirect(next_path)


@bp.post("/logout")
def logout():
    """Log out: the session, which says who is logged in, is emptied."""
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/api/me")
@api_login_required
def me():
    """Tell an API client who is logged in."""
    return {"username": g.user["username"]}


def init_app(app):
    """Register the login views, and the dummy hash that unknown users are checked against."""
    app.extensions["dummy_hash"] = hash_password(secrets.token_hex(), app.config["BCRYPT_ROUNDS"])
    app.register_blueprint(bp)
