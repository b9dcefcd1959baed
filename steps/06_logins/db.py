"""The one place that decides the database: MongoDB at MONGO_URI, else an embedded mongomock."""

import mongomock
import pymongo
from flask import current_app
from pymongo.errors import ConnectionFailure

from .errors import unreachable_message


def uses_embedded_database(config):
    """Tell whether the app runs on the embedded database: no client passed in, no MONGO_URI."""
    # An empty MONGO_URI (`MONGO_URI= flask run`) counts as none, not as a server to look for.
    return config["MONGO_CLIENT"] is None and not config["MONGO_URI"]


def connect(config):
    """Return a client: the embedded database, the one passed in, or MongoDB at MONGO_URI."""
    if uses_embedded_database(config):
        return mongomock.MongoClient(tz_aware=True)
    if config["MONGO_CLIENT"] is not None:
        return config["MONGO_CLIENT"]
    # tz_aware: datetimes come back in UTC with their offset. The short server selection
    # timeout turns a dead server into a clear error within seconds instead of a 30 s hang.
    return pymongo.MongoClient(
        config["MONGO_URI"], tz_aware=True, serverSelectionTimeoutMS=config["MONGO_TIMEOUT_MS"]
    )


def create_indexes(db):
    """Create the indexes the app relies on, unless they exist; return their names."""
    # The database itself keeps usernames unique, even between two racing requests.
    username = db.users.create_index("username", unique=True)
    # TTL indexes: MongoDB deletes a login, a count of failed logins or an address's count of
    # password tries once its expires_at has passed (expireAfterSeconds=0), so none of the
    # three collections grows without bound.
    logins = db.logins.create_index("expires_at", expireAfterSeconds=0)
    attempts = db.login_attempts.create_index("expires_at", expireAfterSeconds=0)
    tries = db.password_tries.create_index("expires_at", expireAfterSeconds=0)
    # Each list page is one user's items, newest first: the index serves exactly that.
    page = db.items.create_index([("owner_id", 1), ("created_at", -1), ("_id", -1)])
    return [
        f"users.{username}",
        f"logins.{logins}",
        f"login_attempts.{attempts}",
        f"password_tries.{tries}",
        f"items.{page}",
    ]


def get_db():
    """Return the database of the current app."""
    return current_app.extensions["mongo_db"]


def init_app(app):
    """Open the app's database once, and make its indexes if MongoDB answers."""
    client = connect(app.config)
    app.extensions["mongo_db"] = client[app.config["MONGO_DBNAME"]]
    try:
        create_indexes(app.extensions["mongo_db"])
    except ConnectionFailure:
        app.logger.error(unreachable_message(app.config["MONGO_URI"]))
