"""Step 04's throttle.py: five failed logins per name and address lock that pair out for a while."""

import pytest

from support import PASSWORD, USERNAME, WRONG_PASSWORD, AuthActions, from_step

pytestmark = pytest.mark.steps(4, 5)

STRANGER = {"REMOTE_ADDR": "10.0.0.9"}
THROTTLE = "WORKSHOP.md, Step 04 · Passwords with bcrypt 5"


class FakeClock:
    """A clock the check moves by hand, so the throttle's window passes without sleeping."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        """Move the clock forward."""
        self.now += seconds


@pytest.fixture
def throttle(step_dir):
    """A throttle of 3 failures per 60 seconds on a fake clock."""
    return from_step(step_dir, "LoginThrottle")(3, 60, clock=FakeClock())


@pytest.fixture
def clock(app):
    """A fake clock put into the app's login throttle."""
    fake_clock = FakeClock()
    app.extensions["login_throttle"].clock = fake_clock
    return fake_clock


def test_throttle_blocks_until_the_failures_leave_the_window(throttle):
    key = (USERNAME, "127.0.0.1")
    throttle.failed(key)
    throttle.failed(key)
    assert throttle.retry_after(key) == 0, "two failures of three allowed: no wait yet"
    throttle.failed(key)
    assert throttle.retry_after(key) == 60, "the third failure: wait the whole window"
    throttle.clock.advance(58.6)
    wait = throttle.retry_after(key)
    assert wait > 0, "still inside the window"
    throttle.clock.advance(wait)
    assert throttle.retry_after(key) == 0, "waiting retry_after seconds is enough: round up"


def test_throttle_keeps_keys_apart_and_forgets_on_success(throttle):
    key, stranger_key = (USERNAME, "127.0.0.1"), (USERNAME, "10.0.0.9")
    for _ in range(3):
        throttle.failed(stranger_key)
    assert throttle.retry_after(stranger_key) > 0, "three failures lock the key out"
    assert throttle.retry_after(key) == 0, "another address's failures do not count"
    throttle.failed(key)
    throttle.failed(key)
    throttle.succeeded(key)
    throttle.failed(key)
    throttle.failed(key)
    assert throttle.retry_after(key) == 0, "a success forgets the failures before it"


@pytest.mark.parametrize("username", [USERNAME, "ghost"], ids=["known-user", "unknown-user"])
def test_repeated_failures_lock_the_name_out(app, auth, db, user, clock, username):
    auth.fail_logins(app.config["LOGIN_MAX_FAILURES"], username)
    response = auth.login(username, PASSWORD)
    assert response.status_code == 429, f"even the right password, while locked out ({THROTTLE})"
    assert 0 < int(response.headers["Retry-After"]) <= app.config["LOGIN_WINDOW_SECONDS"], (
        "Retry-After says how many seconds to wait"
    )
    assert db.logins.count_documents({}) == 0, "a locked-out login stores no login"
    assert auth.logged_in_as() is None, "and logs nobody in"


def test_lockout_ends_after_the_window_and_blocked_tries_do_not_extend_it(app, auth, user, clock):
    max_failures, window = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_WINDOW_SECONDS"]
    auth.fail_logins(max_failures)
    clock.advance(window - 1)
    for _ in range(max_failures):
        assert auth.login(USERNAME, WRONG_PASSWORD).status_code == 429, (
            "every try while locked out is a 429"
        )
    clock.advance(2)
    assert auth.login().status_code == 302, "tries while locked out are not failures to count"
    assert auth.logged_in_as() == USERNAME, "the login worked"


def test_failures_older_than_the_window_do_not_count(app, auth, user, clock):
    auth.fail_logins(app.config["LOGIN_MAX_FAILURES"] - 1)
    clock.advance(app.config["LOGIN_WINDOW_SECONDS"] + 1)
    auth.fail_logins(app.config["LOGIN_MAX_FAILURES"] - 1)
    assert auth.login().status_code == 302, "only the failures inside the window count"


def test_a_successful_login_clears_the_failures(app, auth, user, clock):
    auth.fail_logins(app.config["LOGIN_MAX_FAILURES"] - 1)
    assert auth.login().status_code == 302, "a login inside the limit works"
    auth.fail_logins(app.config["LOGIN_MAX_FAILURES"] - 1)
    assert auth.login().status_code == 302, "a successful login starts the count again"


def test_a_strangers_failures_do_not_lock_out_the_user(app, auth, user, clock):
    stranger = AuthActions(app)
    stranger.fail_logins(app.config["LOGIN_MAX_FAILURES"], environ_base=STRANGER)
    assert stranger.login(environ_base=STRANGER).status_code == 429, "the stranger is locked out"
    assert auth.login().status_code == 302, "the lock is per name and address, not per name"
    assert auth.logged_in_as() == USERNAME, "the login worked"
