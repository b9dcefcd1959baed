"""Demo data for the embedded database, so the page shows something at once."""

import sys
from datetime import UTC, datetime, timedelta

from flask import current_app

from .db import get_db, uses_embedded_database
from .passwords import hash_password

DEMO_TITLES = ["Read the workshop", "Build the front end with Brunch", "Serve it with Flask"]
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "workshop-demo"


def add_demo_data(db):
    """Give the database a demo account and a few items, a minute apart."""
    rounds = current_app.config["BCRYPT_ROUNDS"]
    demo = {"username": DEMO_USERNAME, "password_hash": hash_password(DEMO_PASSWORD, rounds)}
    owner_id = db.users.insert_one(demo).inserted_id
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


def init_app(app):
    """Seed the embedded database, which starts empty with every process."""
    if not uses_embedded_database(app.config):
        return
    with app.app_context():
        add_demo_data(get_db())
    app.logger.warning(
        "Embedded database: log in as %r with the password %r.", DEMO_USERNAME, DEMO_PASSWORD
    )
    # gunicorn forks workers: each would hold a private mongomock, so users would see
    # different data depending on the process that answers. Only a real MongoDB is shared.
    if "gunicorn" in sys.modules:
        app.logger.warning(
            "The embedded database lives in one process: under gunicorn every worker has its"
            " own copy. Set MONGO_URI to a real MongoDB, or run a single worker."
        )
