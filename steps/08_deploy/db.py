"""The one place that decides the database: MongoDB at MONGO_URI, else an embedded mongomock."""

import mongomock
import pymongo
from flask import current_app
from pymongo.errors import DuplicateKeyError

from .config import refuse_to_start
from .errors import NO_ANSWER, unreachable_message


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
    # timeout turns a dead server into a clear error within seconds instead of a 30 s hang;
    # timeoutMS does the same for a server that hangs (stopped, swapping, a network that
    # drops packets): every operation, whatever it waits for, gives up after that long.
    timeout = config["MONGO_TIMEOUT_MS"]
    return pymongo.MongoClient(
        config["MONGO_URI"], tz_aware=True, serverSelectionTimeoutMS=timeout, timeoutMS=timeout
    )


class DuplicateUsernames(Exception):
    """The users collection holds a name more than once: no unique index can be made over it."""


def duplicate_usernames(db):
    """Say in one line which names (the first five) more than one account holds, and what to do."""
    pipeline = [
        {"$group": {"_id": "$username", "accounts": {"$sum": 1}}},
        {"$match": {"accounts": {"$gt": 1}}},
        {"$sort": {"_id": 1}},
        {"$limit": 5},
    ]
    names = ", ".join(str(group["_id"]) for group in db.users.aggregate(pipeline))
    return (
        f"users holds these names more than once: {names}. The unique index on users.username"
        " needs each name once: keep one account of each, delete the others, then start again."
    )


def create_username_index(db):
    """Make the unique index on users.username unless it exists; return its name."""
    # The database itself keeps usernames unique, even between two racing requests.
    try:
        return db.users.create_index("username", unique=True)
    except DuplicateKeyError:
        # Data stored without the index (a restore, a copy) holds a name twice: say which.
        raise DuplicateUsernames(duplicate_usernames(db)) from None


def create_indexes(db):
    """Create the indexes the app relies on, unless they exist; return their names."""
    username = create_username_index(db)
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
    """Return the database of the current app, with its indexes made before its first use."""
    db = current_app.extensions["mongo_db"]
    # A MongoDB that was down when the app started gets its indexes here, from the first request
    # that reaches it, before anything is stored. The flag is set only once they exist, so a
    # failure (a 503) is tried again by the next request.
    if not current_app.extensions["mongo_indexed"]:
        create_indexes(db)
        current_app.extensions["mongo_indexed"] = True
    return db


def refuse_new_accounts(error):
    """Answer 503 to a new account while a name is held twice, and say which in the log."""
    current_app.logger.error(str(error))
    return "New accounts cannot be made now. Try again later.", 503, {"Content-Type": "text/plain"}


def init_app(app):
    """Open the app's database once, and make its indexes now if MongoDB answers."""
    client = connect(app.config)
    app.extensions["mongo_db"] = client[app.config["MONGO_DBNAME"]]
    app.extensions["mongo_indexed"] = False
    app.register_error_handler(DuplicateUsernames, refuse_new_accounts)
    try:
        with app.app_context():
            get_db()
    except NO_ANSWER:
        app.logger.error(unreachable_message(app.config["MONGO_URI"]))
    except DuplicateUsernames as duplicates:
        # Served as it is, the app would store more of them: say so, and do not start.
        refuse_to_start(str(duplicates))
