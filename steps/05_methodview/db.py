"""The one place that decides the database: MongoDB at MONGO_URI, else an embedded mongomock."""

import re
import sys
from datetime import UTC, datetime, timedelta

import mongomock
import pymongo
from flask import current_app, request
from pymongo.errors import ConnectionFailure

from .passwords import hash_password

DEMO_TITLES = ["Read the workshop", "Build the front end with Brunch", "Serve it with Flask"]
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "workshop-demo"


def connect(uri, timeout_ms):
    """Return a client for the server at uri, or an embedded database with demo data."""
    if uri:
        # tz_aware: datetimes come back in UTC with their offset. The short server selection
        # timeout turns a dead server into a clear error within seconds instead of a 30 s hang.
        return pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=timeout_ms)
    client = mongomock.MongoClient(tz_aware=True)
    add_demo_data(client[current_app.config["MONGO_DBNAME"]])
    return client


def add_demo_data(db):
    """Give the embedded database a demo account and a few items, so there is something to see."""
    rounds = current_app.config["BCRYPT_ROUNDS"]
    demo = {"username": DEMO_USERNAME, "password_hash": hash_password(DEMO_PASSWORD, rounds)}
    owner_id = db.users.insert_one(demo).inserted_id
    current_app.logger.warning(
        "Embedded database: log in as %r with the password %r.", DEMO_USERNAME, DEMO_PASSWORD
    )
    now = datetime.now(UTC)
    for minutes, title in enumerate(DEMO_TITLES):
        created_at = now - timedelta(minutes=minutes)
        db.items.insert_one(
            {
                "title": title,
                "done": False,
                "owner_id": owner_id,
                "created_at": created_at,
                "updated_at": created_at,
            }
        )


def get_db():
    """Return the database of the current app."""
    return current_app.extensions["mongo_db"]


def unreachable_message():
    """Say, in one line, that the database does not answer and what to do about it."""
    # Credentials in the URI (user:password@) stay out of logs and responses.
    where = re.sub(r"//[^/@]*@", "//", current_app.config["MONGO_URI"] or "")
    return (
        f"The database at {where} is unreachable. "
        "Start it, or unset MONGO_URI to use the embedded database."
    )


def database_unreachable(error):
    """Answer 503 with one clear line, not a traceback, when MongoDB does not answer."""
    message = unreachable_message()
    current_app.logger.error(message)
    if request.path.startswith("/api/"):
        return {"error": message}, 503
    return message, 503, {"Content-Type": "text/plain; charset=utf-8"}


def warn_if_shared_by_workers(app):
    """Warn loudly when several processes would each get their own embedded database."""
    # gunicorn forks workers: each would hold a private mongomock, so users would see
    # different data depending on the process that answers. Only a real MongoDB is shared.
    if "gunicorn" in sys.modules:
        app.logger.warning(
            "The embedded database lives in one process: under gunicorn every worker has its"
            " own copy. Set MONGO_URI to a real MongoDB, or run a single worker."
        )


def init_app(app):
    """Open the app's database once and answer 503 whenever it is unreachable."""
    if app.config["MONGO_CLIENT"] is None and not app.config["MONGO_URI"]:
        warn_if_shared_by_workers(app)
    with app.app_context():
        client = app.config["MONGO_CLIENT"] or connect(
            app.config["MONGO_URI"], app.config["MONGO_TIMEOUT_MS"]
        )
        db = client[app.config["MONGO_DBNAME"]]
        try:
            # The database itself keeps usernames unique, even between two racing requests.
            db.users.create_index("username", unique=True)
            # Each list page is one user's items, newest first: the index serves exactly that.
            db.items.create_index([("owner_id", 1), ("created_at", -1), ("_id", -1)])
        except ConnectionFailure:
            app.logger.error(unreachable_message())
    app.extensions["mongo_db"] = db
    app.register_error_handler(ConnectionFailure, database_unreachable)
