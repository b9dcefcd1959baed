"""Step 06's accounts from the command line: `flask create-user`, by the register form's rules."""

import bcrypt
import pytest

from harness.answers import redirect_target
from harness.apps import PASSWORD, USERNAME, WRONG_PASSWORD, accounts_and_logins
from harness.sections import COMMAND_LINE

pytestmark = [pytest.mark.steps(6, 8), pytest.mark.hardening]


def cli_output(result):
    """What a command printed, and the exception it raised if any, for a failure's message."""
    raised = f" It raised {result.exception!r}." if result.exception else ""
    return f"{result.output.strip()[:300]!r}.{raised}"


@pytest.mark.parametrize(
    ("username", "typed", "stored"),
    [
        pytest.param("alice", f"{PASSWORD}\n{PASSWORD}\n", True, id="stored"),
        pytest.param("alice", f"{PASSWORD}\n{WRONG_PASSWORD}\n", False, id="passwords-differ"),
        pytest.param("alice", "short\nshort\n", False, id="password-too-short"),
        pytest.param(USERNAME, f"{PASSWORD}\n{PASSWORD}\n", False, id="username-taken"),
        pytest.param("LEARNER", f"{PASSWORD}\n{PASSWORD}\n", False, id="taken-in-capitals"),
        pytest.param("Alice", f"{PASSWORD}\n{PASSWORD}\n", True, id="stored-in-lower-case"),
    ],
)
def test_create_user_command_stores_a_bcrypt_hash_or_refuses(
    app, auth, db, user, username, typed, stored
):
    before = accounts_and_logins(db)
    # `flask create-user USERNAME`, typing the lines at the password prompts.
    result = app.test_cli_runner().invoke(args=["create-user", username], input=typed)
    if not stored:
        assert result.exit_code not in {0, 2}, (
            "`flask create-user` should refuse this with a message and exit status 1; it printed"
            f" {cli_output(result)} ({COMMAND_LINE})"
        )
        assert accounts_and_logins(db) == before, (
            f"a refused create-user changes nothing ({COMMAND_LINE})"
        )
        return
    assert result.exit_code == 0, (
        f"`flask create-user alice` should store the account; it printed {cli_output(result)}"
        f" ({COMMAND_LINE})"
    )
    stored_names = [
        account.get("username") for account in db.users.find({"_id": {"$ne": user["_id"]}})
    ]
    assert stored_names == [username.lower()], (
        f"create-user stores the name in lower case, {username.lower()!r}, not {stored_names}"
        f" ({COMMAND_LINE})"
    )
    (account,) = db.users.find({"username": username.lower()})
    assert bcrypt.checkpw(PASSWORD.encode(), account["password_hash"].encode()), (
        f"the hash is of the password typed ({COMMAND_LINE})"
    )
    redirect_target(auth.login(username, PASSWORD), "POST /login as the new account", COMMAND_LINE)


@pytest.mark.parametrize("mongo_uri", [None, ""], ids=["no-mongo-uri", "empty-mongo-uri"])
def test_create_user_refuses_the_embedded_database(make_app, mongo_uri):
    app = make_app(MONGO_CLIENT=None, MONGO_URI=mongo_uri)
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    result = app.test_cli_runner().invoke(args=["create-user", "alice"], input=typed)
    assert result.exit_code not in {0, 2}, (
        "`flask create-user` should refuse when MONGO_URI is unset or empty: the account would"
        f" go to an embedded database that dies with the command; it printed {cli_output(result)}"
        f" ({COMMAND_LINE})"
    )
    assert "MONGO_URI" in result.output, (
        f"the refusal should say that MONGO_URI is missing, not {cli_output(result)}"
        f" ({COMMAND_LINE})"
    )
