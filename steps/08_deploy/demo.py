"""Demo data: seeded into the embedded database, or added to yours by `flask init-db --demo`."""

import sys
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from .accounts import create_account
from .db import create_indexes, get_db, uses_embedded_database
from .errors import NO_ANSWER, unreachable_message

DEMO_TITLES = ["Read the workshop", "Build the front end with Brunch", "Serve it with Flask"]
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "workshop-demo"


def add_unless_there(collection, query, fields):
    """Store query's fields and fields unless a document matches query; return 1 if it did."""
    # One upsert: $setOnInsert writes nothing to a document that is there already.
    result = collection.update_one(query, {"$setOnInsert": fields}, upsert=True)
    return int(result.upserted_id is not None)


def add_demo_data(db):
    """Give the database a demo account and a few items, a minute apart, unless they are there."""
    # The one function that stores accounts, as register and `flask create-user` do.
    added = int(create_account(DEMO_USERNAME, DEMO_PASSWORD) is not None)
    owner_id = db.users.find_one({"username": DEMO_USERNAME})["_id"]
    now = datetime.now(UTC)
    for minutes, title in enumerate(DEMO_TITLES):
        created_at = now - timedelta(minutes=minutes)
        fields = {"done": False, "created_at": created_at, "updated_at": created_at}
        added += add_unless_there(db.items, {"title": title, "owner_id": owner_id}, fields)
    return added


@click.command("init-db")
@click.option("--demo", is_flag=True, help="Also add the demo data, unless it is there.")
@with_appcontext
def init_db_command(demo):
    """Make the indexes in the database at MONGO_URI; --demo adds the demo data."""
    if uses_embedded_database(current_app.config):
        raise click.ClickException(
            "No MONGO_URI: the embedded database lives inside the server and starts with the"
            " demo data; there is nothing to initialise."
        )
    try:
        db = get_db()
        click.echo(f"Indexes of {db.name}: {', '.join(create_indexes(db))}.")
        if demo:
            click.echo(f"Demo data: {add_demo_data(db)} documents added to {db.name}.")
    except NO_ANSWER:
        raise click.ClickException(unreachable_message(current_app.config["MONGO_URI"])) from None


def init_app(app):
    """Seed the embedded database, which starts empty with every process; add `flask init-db`."""
    app.cli.add_command(init_db_command)
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
