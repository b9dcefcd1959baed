"""The one place that decides the database: MongoDB at MONGO_URI, else an embedded mongomock."""

import re
from datetime import UTC, datetime, timedelta

import mongomock
import pymongo
from flask import current_app, request
from pymongo.errors import ConnectionFailure

DEMO_TITLES = ["Read the workshop", "Build the front end with Brunch", "Serve it with Flask"]


def connect(uri, timeout_ms):
    """Return a client for the server at uri, or an embedded database with demo items."""
    if uri:
        # tz_aware: datetimes come back in UTC with their offset. The short server selection
        # timeout turns a dead server into a clear error within seconds instead of a 30 s hang.
        return pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=timeout_ms)
    client = mongomock.MongoClient(tz_aware=True)
    add_demo_items(client[current_app.config["MONGO_DBNAME"]])
    return client


def add_demo_items(db):
    """Give the embedded database a few items so the page shows something at once."""
    now = datetime.now(UTC)
    for minutes, title in enumerate(DEMO_TITLES):
        db.items.insert_one(
            {"title": title, "done": False, "created_at": now - timedelta(minutes=minutes)}
        )


def get_db():
    """Return the database of the current app."""
    return current_app.extensions["mongo_db"]


def database_unreachable(error):
    """Answer 503 with one clear line, not a traceback, when MongoDB does not answer."""
    # Credentials in the URI (user:password@) stay out of logs and responses.
    where = re.sub(r"//[^/@]*@", "//", current_app.config["MONGO_URI"] or "")
    message = (
        f"The database at {where} is unreachable. "
        "Start it, or unset MONGO_URI to use the embedded database."
    )
    current_app.logger.error(message)
    if request.path.startswith("/api/"):
        return {"error": message}, 503
    return message, 503, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app):
    """Open the app's database once and answer 503 whenever it is unreachable."""
    with app.app_context():
        client = app.config["MONGO_CLIENT"] or connect(
            app.config["MONGO_URI"], app.config["MONGO_TIMEOUT_MS"]
        )
    app.extensions["mongo_db"] = client[app.config["MONGO_DBNAME"]]
    app.register_error_handler(ConnectionFailure, database_unreachable)
