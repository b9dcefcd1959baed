"""Accounts: the rules a new one follows, and the one function that stores it."""

import re

import click
from flask import current_app
from flask.cli import with_appcontext
from pymongo.errors import DuplicateKeyError

from .db import create_username_index, get_db, uses_embedded_database
from .errors import NO_ANSWER, unreachable_message
from .passwords import hash_password, password_problem

# ASCII letters, digits and . - _ only: lower() then gives the one spelling a name is kept in.
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,32}")
USERNAME_TAKEN = "That username is taken."


def canonical_username(username):
    """Return the one spelling a username is stored and looked up in: Demo and demo are one name."""
    return username.lower()


def account_problem(username, password):
    """Return why a new account is refused, or None if it is acceptable."""
    if not USERNAME_PATTERN.fullmatch(username):
        return "Usernames have 3 to 32 letters, digits, dots, dashes or underscores."
    return password_problem(password)


def create_account(username, password):
    """Store a new account, its password hashed; return it, or None if the name is taken."""
    users = get_db().users
    username = canonical_username(username)
    # A taken name is answered before bcrypt runs: a hash the database then refuses to store
    # would be 0.2 s of work for nothing, as often as anyone likes to ask.
    if users.find_one({"username": username}) is not None:
        return None
    password_hash = hash_password(password, current_app.config["BCRYPT_ROUNDS"])
    user = {"username": username, "password_hash": password_hash}
    # Made again before each new account, not once per process: the database may have been
    # dropped or restored under the running app, and only the index keeps a name to one account.
    create_username_index(users.database)
    try:
        users.insert_one(user)
    except DuplicateKeyError:
        # Two new accounts of one name at once: the unique index lets one of them in.
        return None
    return user


@click.command("create-user")
@click.argument("username")
@click.password_option()
@with_appcontext
def create_user_command(username, password):
    """Create an account in the database at MONGO_URI."""
    if uses_embedded_database(current_app.config):
        raise click.ClickException(
            "No MONGO_URI: the embedded database lives inside the server. Log in with the demo"
            " account or create one at /register."
        )
    error = account_problem(username, password)
    if error:
        raise click.ClickException(error)
    try:
        user = create_account(username, password)
    except NO_ANSWER:
        raise click.ClickException(unreachable_message(current_app.config["MONGO_URI"])) from None
    if user is None:
        raise click.ClickException(USERNAME_TAKEN)
    click.echo(f"Created {user['username']}.")


def init_app(app):
    """Add `flask create-user`."""
    app.cli.add_command(create_user_command)
