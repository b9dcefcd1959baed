"""Demo data for the embedded database, so the page shows something at once."""

import sys
from datetime import UTC, datetime, timedelta

from .db import get_db, uses_embedded_database

DEMO_TITLES = ["Read the workshop", "Build the front end with Brunch", "Serve it with Flask"]


def add_demo_data(db):
    """Give the database a few items, a minute apart."""
    now = datetime.now(UTC)
    for minutes, title in enumerate(DEMO_TITLES):
        db.items.insert_one(
            {"title": title, "done": False, "created_at": now - timedelta(minutes=minutes)}
        )


def init_app(app):
    """Seed the embedded database, which starts empty with every process."""
    if not uses_embedded_database(app.config):
        return
    with app.app_context():
        add_demo_data(get_db())
    # gunicorn forks workers: each would hold a private mongomock, so users would see
    # different data depending on the process that answers. Only a real MongoDB is shared.
    if "gunicorn" in sys.modules:
        app.logger.warning(
            "The embedded database lives in one process: under gunicorn every worker has its"
            " own copy. Set MONGO_URI to a real MongoDB, or run a single worker."
        )
