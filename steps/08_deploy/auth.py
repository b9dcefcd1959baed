"""Session login: register, log in, log out, and the two decorators that guard views."""

import functools
import math
import secrets
import threading
from datetime import UTC, datetime, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .accounts import (
    USERNAME_PATTERN,
    USERNAME_TAKEN,
    account_problem,
    canonical_username,
    create_account,
)
from .db import get_db
from .errors import error_response
from .passwords import PasswordsBusy, check_password, hash_password, password_problem
from .throttle import LoginThrottle, address_key, attempt_key

bp = Blueprint("auth", __name__)

# The fields of the two forms: a post with any other key, or a key twice, is refused.
FORM_FIELDS = {"username", "password", "next"}
# A name, a password and a path fit in a few hundred bytes: a longer form is refused unread.
FORM_MAX_BYTES = 4 * 1024
FORM_TOO_LONG = "A login or sign-up form is a few hundred bytes; this one is over 4 KiB."
# One message for an unknown user and a wrong password: which one it was is nobody's business.
LOGIN_FAILED = "Wrong username or password."
BUDGET_SPENT = "Too many logins and sign-ups from your address. Try again in {} seconds."
PASSWORDS_BUSY = "The server is busy checking other passwords. Try again in a moment."
MAX_SPENT_REMEMBERED = 10_000


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
    """Return who is logged in, kept in g.user too: the session's token must be in the database."""
    token = session.get("login")
    login = None
    if isinstance(token, str):
        # An expired login is refused at once: MongoDB's TTL monitor deletes it up to 60 s later.
        query = {"_id": token, "expires_at": {"$gt": datetime.now(UTC)}}
        login = get_db().logins.find_one(query)
    g.user = {"_id": login["user_id"], "username": login["username"]} if login else None
    return g.user


def start_session(user):
    """Log a user in with a fresh session holding a new login token."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    lifetime = timedelta(seconds=current_app.config["LOGIN_LIFETIME_SECONDS"])
    get_db().logins.insert_one(
        {
            "_id": token,
            "user_id": user["_id"],
            "username": user["username"],
            "created_at": now,
            "expires_at": now + lifetime,
        }
    )
    # Nothing from before the login survives it, not even a value planted by someone else.
    session.clear()
    session["login"] = token


@bp.before_request
def refuse_long_forms():
    """Answer 413 to a login or register post over FORM_MAX_BYTES, before anything parses it."""
    if request.endpoint not in {"auth.login", "auth.register"}:
        return None
    # For this request only: parsing a megabyte of repeated keys costs about a second of CPU.
    # Werkzeug then reads at most this much; a body read before (a chunked one) is measured.
    request.max_content_length = FORM_MAX_BYTES
    if (request.content_length or 0) > FORM_MAX_BYTES or len(request.get_data()) > FORM_MAX_BYTES:
        return FORM_TOO_LONG, 413
    return None


def form_fields(*names):
    """Return the named fields of a plain form post, or None if the body is anything else."""
    form = request.form
    # Unknown keys (username[$ne]), repeated keys and missing fields are all refused, so only
    # plain strings ever reach a query.
    if set(form) - FORM_FIELDS or any(len(form.getlist(key)) > 1 for key in form):
        return None
    values = [form.get(name) for name in names]
    return None if None in values else values


def login_failed(username, next_path):
    """Return the login form again, with the one message for every failed login."""
    page = render_template("login.html", error=LOGIN_FAILED, username=username, next=next_path)
    return page, 401


def spend_password_try():
    """Count one login or register post of the client's address; return seconds to wait, or 0."""
    budget, spent = current_app.extensions["password_budget"], current_app.extensions["spent"]
    key, now = address_key(request.remote_addr), budget.clock()
    # Refused by this process, and still waiting: refused again with no round trip to MongoDB.
    if (until := spent.get(key, now)) > now:
        return math.ceil((until - now).total_seconds())
    # Per address alone, whatever the name: a fresh name at each post does not get round it.
    # Counted before any bcrypt work, in MongoDB, so every worker spends the same budget.
    wait = budget.attempt(get_db().password_tries, key)
    if wait:
        # Only a cache of refusals: forgetting them all costs round trips, never a try.
        if len(spent) >= MAX_SPENT_REMEMBERED:
            spent.clear()
        spent[key] = now + timedelta(seconds=wait)
    return wait


def too_many_tries(template, error, wait, **fields):
    """Answer 429 with the form again, and the seconds to wait in a Retry-After header."""
    page = render_template(template, error=error, **fields)
    return page, 429, {"Retry-After": str(wait)}


def few_password_posts_at_once(view):
    """Let a login or register post in only while one of PASSWORD_POSTS_AT_ONCE is free."""

    @functools.wraps(view)
    def wrapped_view(*args, **kwargs):
        if request.method != "POST":
            return view(*args, **kwargs)
        places = current_app.extensions["password_posts"]
        # Taken before any MongoDB or bcrypt work, so a full server refuses without doing any.
        if not places.acquire(blocking=False):
            raise PasswordsBusy
        try:
            return view(*args, **kwargs)
        finally:
            places.release()

    return wrapped_view


@bp.errorhandler(PasswordsBusy)
def passwords_busy(error):
    """Answer 503 with the form again while the server is busy with passwords."""
    template = "register.html" if request.endpoint == "auth.register" else "login.html"
    # The form has not been read yet: keep the name only if it is one an account can have.
    username = request.form.get("username", "")
    fields = {
        "username": username if USERNAME_PATTERN.fullmatch(username) else "",
        "next": safe_next(request.values.get("next")),
    }
    page = render_template(template, error=PASSWORDS_BUSY, **fields)
    return page, 503, {"Retry-After": "1"}


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
@few_password_posts_at_once
def register():
    """Create an account and log it in."""
    if request.method == "GET":
        return render_template("register.html")
    fields = form_fields("username", "password")
    if fields is None:
        return render_template("register.html", error="Fill in the form."), 400
    username, password = fields
    error = account_problem(username, password)
    if error:
        return render_template("register.html", error=error, username=username), 400
    wait = spend_password_try()
    if wait:
        return too_many_tries("register.html", BUDGET_SPENT.format(wait), wait, username=username)
    user = create_account(username, password)
    if user is None:
        return render_template("register.html", error=USERNAME_TAKEN, username=username), 409
    start_session(user)
    return redirect(url_for("index"))


@bp.route("/login", methods=["GET", "POST"])
@few_password_posts_at_once
def login():
    """Log in with a username and password, then go where the visitor was going."""
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", next=next_path)
    fields = form_fields("username", "password")
    if fields is None:
        return render_template("login.html", error=LOGIN_FAILED, next=next_path), 400
    username, password = fields
    # A name no account can have is refused before it is counted or checked: it never becomes
    # a key, so made-up names cannot fill the database; nor is it echoed back, however long.
    if not USERNAME_PATTERN.fullmatch(username):
        return login_failed("", next_path)
    # So is a password no account can have (over 72 bytes, or under 8 characters).
    if password_problem(password):
        return login_failed(username, next_path)
    wait = spend_password_try()
    if wait:
        error = BUDGET_SPENT.format(wait)
        return too_many_tries("login.html", error, wait, username=username, next=next_path)
    username = canonical_username(username)
    throttle = current_app.extensions["login_throttle"]
    attempts = get_db().login_attempts
    # Per name and address: a stranger's failures never lock the real user out.
    key = attempt_key(username, request.remote_addr)
    # Counted before the password check, so concurrent guesses cannot all slip under the limit.
    wait = throttle.attempt(attempts, key)
    if wait:
        error = f"Too many failed logins. Try again in {math.ceil(wait / 60)} minutes."
        return too_many_tries("login.html", error, wait, username=username, next=next_path)
    user = get_db().users.find_one({"username": username})
    # An unknown user costs a bcrypt check too, so timing does not tell who has an account.
    password_hash = user["password_hash"] if user else current_app.extensions["dummy_hash"]
    if not check_password(password, password_hash) or user is None:
        return login_failed(username, next_path)
    throttle.succeeded(attempts, key)
    start_session(user)
    return redirect(next_path)


@bp.post("/logout")
def logout():
    """End the login for good: its token leaves the database, so a copied cookie is worthless."""
    token = session.get("login")
    # The cookie goes first: with the database down, the 503 still logs this browser out.
    session.clear()
    if isinstance(token, str):
        get_db().logins.delete_one({"_id": token})
    return redirect(url_for("auth.login"))


@bp.get("/logout")
def logout_by_get():
    """Answer 405: a link or an image must not log anyone out, only the form's POST."""
    # Without this rule the static files' /<path:filename> would take GET /logout: a 404.
    abort(405, valid_methods=["POST"])


@bp.get("/api/me")
@api_login_required
def me():
    """Tell an API client who is logged in."""
    return {"username": g.user["username"]}


def init_app(app):
    """Register the login views, the two throttles, the places for posts and the dummy hash."""
    app.extensions["login_throttle"] = LoginThrottle(
        app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_WINDOW_SECONDS"]
    )
    app.extensions["password_budget"] = LoginThrottle(
        app.config["PASSWORD_TRIES_PER_ADDRESS"], app.config["PASSWORD_TRIES_WINDOW_SECONDS"]
    )
    app.extensions["spent"] = {}
    places = app.config["PASSWORD_POSTS_AT_ONCE"]
    app.extensions["password_posts"] = threading.BoundedSemaphore(places)
    app.extensions["dummy_hash"] = hash_password(secrets.token_hex(), app.config["BCRYPT_ROUNDS"])
    app.register_blueprint(bp)
