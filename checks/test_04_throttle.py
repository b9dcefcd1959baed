"""Step 04's throttle.py: five failed logins per name and address lock that pair out for a while."""

import pytest

from answers import expect_status, redirect_target, step_code
from sections import THROTTLE
from support import PASSWORD, USERNAME, WRONG_PASSWORD, from_step, setting

pytestmark = [pytest.mark.steps(4, 5), pytest.mark.hardening]

STRANGER = {"REMOTE_ADDR": "10.0.0.9"}
# The one internal the checks reach: the app's throttle, whose clock they move by hand.
THROTTLE_KEY = "login_throttle"


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
def fake_clock():
    """A clock that stands still until the check moves it."""
    return FakeClock()


@pytest.fixture
def throttle(step_dir, fake_clock):
    """A throttle of 3 failures per 60 seconds on a fake clock."""
    login_throttle = from_step(step_dir, "LoginThrottle")
    with step_code("LoginThrottle(3, 60, clock=a clock)", THROTTLE):
        return login_throttle(3, 60, clock=fake_clock)


@pytest.fixture
def max_failures(app):
    """How many failed logins lock a name and address out: LOGIN_MAX_FAILURES."""
    return setting(app, "LOGIN_MAX_FAILURES", THROTTLE)


@pytest.fixture
def window(app):
    """How long failed logins count, in seconds: LOGIN_WINDOW_SECONDS."""
    return setting(app, "LOGIN_WINDOW_SECONDS", THROTTLE)


@pytest.fixture
def clock(app):
    """A fake clock put into the app's login throttle."""
    found = app.extensions.get(THROTTLE_KEY)
    assert hasattr(found, "clock"), (
        f'the app keeps its LoginThrottle in app.extensions["{THROTTLE_KEY}"], with the clock it'
        f" reads the time from as its clock attribute, which the checks move by hand ({THROTTLE})"
    )
    fake_clock = FakeClock()
    found.clock = fake_clock
    return fake_clock


def test_throttle_blocks_until_the_failures_leave_the_window(throttle, fake_clock):
    key = (USERNAME, "127.0.0.1")
    with step_code("LoginThrottle's failed() or retry_after()", THROTTLE):
        throttle.failed(key)
        throttle.failed(key)
        assert throttle.retry_after(key) == 0, (
            f"two failures of three allowed: retry_after is 0, no wait yet ({THROTTLE})"
        )
        throttle.failed(key)
        assert throttle.retry_after(key) == 60, (
            f"the third failure: retry_after is the whole window, 60 seconds ({THROTTLE})"
        )
        fake_clock.advance(58.6)
        wait = throttle.retry_after(key)
        assert wait > 0, f"still inside the window: retry_after above 0 ({THROTTLE})"
        fake_clock.advance(wait)
        assert throttle.retry_after(key) == 0, (
            f"waiting retry_after seconds is enough: it rounds up ({THROTTLE})"
        )


def test_throttle_keeps_keys_apart_and_forgets_on_success(throttle):
    key, stranger_key = (USERNAME, "127.0.0.1"), (USERNAME, "10.0.0.9")
    with step_code("LoginThrottle's failed(), succeeded() or retry_after()", THROTTLE):
        for _ in range(3):
            throttle.failed(stranger_key)
        assert throttle.retry_after(stranger_key) > 0, (
            f"three failures lock the key out ({THROTTLE})"
        )
        assert throttle.retry_after(key) == 0, (
            f"another address's failures do not count for this one ({THROTTLE})"
        )
        throttle.failed(key)
        throttle.failed(key)
        throttle.succeeded(key)
        throttle.failed(key)
        throttle.failed(key)
        assert throttle.retry_after(key) == 0, (
            f"succeeded(key) forgets the failures before it ({THROTTLE})"
        )


@pytest.mark.parametrize("username", [USERNAME, "ghost"], ids=["known-user", "unknown-user"])
def test_repeated_failures_lock_the_name_out(auth, db, user, clock, max_failures, window, username):
    auth.fail_logins(max_failures, username)
    response = auth.login(username, PASSWORD)
    expect_status(response, 429, "POST /login after LOGIN_MAX_FAILURES failures", THROTTLE)
    retry_after = response.headers.get("Retry-After", "")
    assert retry_after.isdigit(), (
        f"a 429 has a Retry-After header, in seconds, not {retry_after!r} ({THROTTLE})"
    )
    assert 0 < int(retry_after) <= window, (
        f"Retry-After says how many seconds to wait, at most the window ({THROTTLE})"
    )
    assert db.logins.count_documents({}) == 0, f"a locked-out login stores no login ({THROTTLE})"
    assert auth.logged_in_as() is None, f"a locked-out login logs nobody in ({THROTTLE})"


def test_lockout_ends_after_the_window_and_blocked_tries_do_not_extend_it(
    auth, user, clock, max_failures, window
):
    auth.fail_logins(max_failures)
    clock.advance(window - 1)
    for _ in range(max_failures):
        expect_status(auth.login(USERNAME, WRONG_PASSWORD), 429, "a try while locked out", THROTTLE)
    clock.advance(2)
    redirect_target(auth.login(), "POST /login once the window has passed", THROTTLE)
    assert auth.logged_in_as() == USERNAME, (
        f"tries while locked out are not failures to count: the login worked ({THROTTLE})"
    )


def test_failures_older_than_the_window_do_not_count(auth, user, clock, max_failures, window):
    auth.fail_logins(max_failures - 1)
    clock.advance(window + 1)
    auth.fail_logins(max_failures - 1)
    redirect_target(
        auth.login(), "POST /login: only the failures inside the window count", THROTTLE
    )


def test_a_successful_login_clears_the_failures(auth, user, clock, max_failures):
    auth.fail_logins(max_failures - 1)
    redirect_target(auth.login(), "POST /login inside the limit", THROTTLE)
    auth.fail_logins(max_failures - 1)
    redirect_target(
        auth.login(), "POST /login: a successful login starts the count again", THROTTLE
    )


def test_a_strangers_failures_do_not_lock_out_the_user(
    app, auth, auth_actions, user, clock, max_failures
):
    stranger = auth_actions(app)
    stranger.fail_logins(max_failures, environ_base=STRANGER)
    expect_status(stranger.login(environ_base=STRANGER), 429, "the stranger's next login", THROTTLE)
    redirect_target(
        auth.login(),
        "POST /login from the user's own address: the lock is per name and address",
        THROTTLE,
    )
    assert auth.logged_in_as() == USERNAME, f"the login worked ({THROTTLE})"
