"""Step 06's settings from the environment: a real SECRET_KEY, or a server that will not start."""

import logging

import pytest

from answers import step_code
from sections import REFUSE_TO_START, SECRET_KEY
from support import assert_refuses_to_start, salts_of_cost_4

pytestmark = [pytest.mark.steps(6, 6), pytest.mark.hardening]


def session_cookie_flags(response, app):
    """The attributes of the session cookie the response sets (HttpOnly, Secure, ...)."""
    name = app.config["SESSION_COOKIE_NAME"]
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, f"registering should set the session cookie once ({SECRET_KEY})"
    return {part.strip() for part in headers[0].split(";")[1:]}


def test_a_random_secret_key_is_said_in_the_log(make_app, caplog):
    make_app()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("SECRET_KEY" in message for message in warnings), (
        f"the log warns that SECRET_KEY is not set, and that logins end on restart ({SECRET_KEY})"
    )


@pytest.mark.parametrize(
    ("secret_key", "secure"),
    [
        pytest.param(None, False, id="local-http-no-secret-key"),
        pytest.param("a-secret-key-from-the-environment", True, id="secret-key-from-environment"),
    ],
)
def test_session_cookie_is_secure_with_a_secret_key_from_the_environment(
    make_app, auth_actions, monkeypatch, secret_key, secure
):
    if secret_key is not None:
        monkeypatch.setenv("SECRET_KEY", secret_key)
    app = make_app()
    assert app.config["SESSION_COOKIE_SECURE"] is secure, (
        "a SECRET_KEY in the environment means production: Secure cookies, sent over HTTPS only;"
        f" local http://: no Secure cookie ({SECRET_KEY})"
    )
    flags = session_cookie_flags(auth_actions(app).register(), app)
    assert ("Secure" in flags) is secure, (
        f"the cookie is Secure with a SECRET_KEY from the environment only, not {sorted(flags)}"
        f" ({SECRET_KEY})"
    )


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_a_real_server_without_secret_key_refuses_to_start(
    step_app_module, monkeypatch, capsys, secret_key
):
    # No test_config and no `flask` command: create_app is called as gunicorn would call it.
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    # An env file with a line `SECRET_KEY=` sets it to nothing: no key either.
    if secret_key is not None:
        monkeypatch.setenv("SECRET_KEY", secret_key)
    why = f"with SECRET_KEY {'empty' if secret_key == '' else 'unset'} and no `flask` command"
    words = ["SECRET_KEY is not set", "SECRET_KEY="]
    assert_refuses_to_start(step_app_module, capsys, why, words, REFUSE_TO_START)


def test_a_real_server_without_mongo_uri_refuses_to_start(step_app_module, monkeypatch, capsys):
    # Each worker would have an embedded database of its own, with the public demo account.
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.setenv("SECRET_KEY", "a-key-from-the-environment")
    why = "with SECRET_KEY set, no MONGO_URI and no `flask` command"
    words = ["MONGO_URI is not set", "MONGO_URI="]
    assert_refuses_to_start(step_app_module, capsys, why, words, REFUSE_TO_START)


def test_flask_run_without_secret_key_starts_with_a_warning(step_app_module, monkeypatch, caplog):
    # What `make run` does: the `flask` command sets FLASK_RUN_FROM_CLI for the app it loads.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    salts_of_cost_4(monkeypatch)
    with (
        caplog.at_level(logging.WARNING),
        step_code("create_app() under `flask run`", REFUSE_TO_START),
    ):
        app = step_app_module.create_app()
    assert app.config["SECRET_KEY"], f"`flask run` gets a random key ({REFUSE_TO_START})"
    assert "SECRET_KEY is not set" in caplog.text, (
        f"`flask run` without SECRET_KEY warns that the key is random ({REFUSE_TO_START})"
    )
