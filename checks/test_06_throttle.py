"""Step 06's throttle.py: five login attempts per name and address, counted in MongoDB."""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import bcrypt
import pymongo
import pytest

from harness.answers import expect_status, redirect_target, step_code
from harness.apps import (
    PASSWORD,
    USERNAME,
    WRONG_PASSWORD,
    checks_config,
    from_step,
    setting,
    store_user,
)
from harness.sections import THROTTLE

pytestmark = [pytest.mark.steps(6, 8), pytest.mark.hardening]

STRANGER = {"REMOTE_ADDR": "10.0.0.9"}
# The one internal the checks reach: the app's throttle, whose clock they move by hand.
THROTTLE_KEY = "login_throttle"
# Names no account can have: refused before they are counted, checked or stored.
IMPOSSIBLE_USERNAMES = [
    pytest.param("x" * 3_000, id="3000-character-name"),
    pytest.param("ab", id="two-characters"),
    pytest.param("learner\n", id="trailing-newline"),
    pytest.param("$ne", id="operator"),
]
# Two spellings of one client, as a server or a proxy hands them over: one key for both counts.
ONE_CLIENT = [
    pytest.param("::ffff:203.0.113.50", "203.0.113.50", id="ipv4-mapped"),
    pytest.param("203.0.113.50:5555", "203.0.113.50:6666", id="ipv4-with-ports"),
    pytest.param("[2001:db8::1]:5555", "2001:db8::1", id="ipv6-with-port"),
    pytest.param("2001:db8::1", "2001:db8::ffff:2", id="one-ipv6-64"),
    pytest.param("::ffff:203.0.113.50:5555", "203.0.113.50", id="ipv4-mapped-with-port"),
    pytest.param("2001:db8:0:1:2:3:4:5:5555", "2001:db8:0:1::9", id="ipv6-unbracketed-port"),
    pytest.param("203.0.113.050", "203.0.113.51%eth0", id="unreadable-spellings"),
]
# Two clients that must stay apart.
TWO_CLIENTS = [
    pytest.param("::ffff:203.0.113.50", "::ffff:203.0.113.51", id="two-ipv4-mapped"),
    pytest.param("2001:db8::1", "2001:db8:0:1::1", id="two-ipv6-64s"),
]
# Requests sent at once in the concurrency checks, and the bcrypt cost that makes each password
# check take about 50 ms: long enough for all of them to be in flight together.
CONCURRENT_GUESSES = 20
SLOW_ROUNDS = 10


class FakeClock:
    """A clock the check moves by hand, so the throttle's window passes without sleeping."""

    def __init__(self):
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        """Move the clock forward."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def fake_clock():
    """A clock that stands still until the check moves it."""
    return FakeClock()


@pytest.fixture
def throttle(step_dir, fake_clock):
    """A throttle of 3 attempts per 60 seconds on a fake clock."""
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


@pytest.fixture
def bcrypt_checks(monkeypatch):
    """The hashes bcrypt.checkpw is asked to check, in order, from any thread."""
    checked, lock = [], threading.Lock()
    real_checkpw = bcrypt.checkpw

    def counted_checkpw(password, hashed_password):
        with lock:
            checked.append(hashed_password)
        return real_checkpw(password, hashed_password)

    monkeypatch.setattr(bcrypt, "checkpw", counted_checkpw)
    return checked


def attempts_of(db):
    """Every document of the login_attempts collection."""
    return list(db.login_attempts.find())


def test_throttle_defaults_to_five_failures_per_15_minutes(default_app):
    config = default_app.config
    assert config.get("LOGIN_MAX_FAILURES") == 5, (
        f"LOGIN_MAX_FAILURES defaults to 5 failed logins per name and address ({THROTTLE})"
    )
    assert config.get("LOGIN_WINDOW_SECONDS") == 900, (
        f"LOGIN_WINDOW_SECONDS defaults to 15 minutes, 900 ({THROTTLE})"
    )


def test_throttle_blocks_until_the_window_ends(throttle, fake_clock, db):
    attempts = db.login_attempts
    with step_code("LoginThrottle's attempt()", THROTTLE):
        waits = [throttle.attempt(attempts, "a key") for _ in range(3)]
        assert waits == [0, 0, 0], (
            f"three attempts of three allowed: attempt() returns 0, no wait, not {waits}"
            f" ({THROTTLE})"
        )
        assert throttle.attempt(attempts, "a key") == 60, (
            f"the fourth attempt: attempt() returns the whole window, 60 seconds ({THROTTLE})"
        )
        fake_clock.advance(58.6)
        wait = throttle.attempt(attempts, "a key")
        assert wait > 0, f"still inside the window: attempt() returns a wait above 0 ({THROTTLE})"
        fake_clock.advance(wait)
        assert throttle.attempt(attempts, "a key") == 0, (
            "waiting the seconds attempt() returned is enough: it rounds up, and a window that"
            f" has ended counts as none, whether or not MongoDB has deleted it yet ({THROTTLE})"
        )
    (document,) = attempts_of(db)
    assert (document["_id"], document["attempts"]) == ("a key", 1), (
        "login_attempts holds one document per key, whose attempts count starts again at 1"
        f" in a new window, not {document} ({THROTTLE})"
    )


def test_throttle_keeps_keys_apart_and_forgets_on_success(throttle, db):
    attempts = db.login_attempts
    with step_code("LoginThrottle's attempt() or succeeded()", THROTTLE):
        for _ in range(4):
            throttle.attempt(attempts, "a stranger's key")
        assert throttle.attempt(attempts, "a stranger's key") > 0, (
            f"past three attempts the key is locked out ({THROTTLE})"
        )
        assert throttle.attempt(attempts, "the user's key") == 0, (
            f"another key's attempts do not count for this one ({THROTTLE})"
        )
        throttle.attempt(attempts, "the user's key")
        throttle.succeeded(attempts, "the user's key")
        assert attempts.find_one({"_id": "the user's key"}) is None, (
            f"succeeded(attempts, key) deletes the key's document ({THROTTLE})"
        )
        waits = [throttle.attempt(attempts, "the user's key") for _ in range(3)]
        assert waits == [0, 0, 0], (
            f"succeeded(attempts, key) forgets the attempts before it ({THROTTLE})"
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
    counts = [document.get("attempts") for document in attempts_of(db)]
    assert counts == [max_failures + 1], (
        f"one document in login_attempts counts the {max_failures} failures and the refused try,"
        f" not {counts} ({THROTTLE})"
    )


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


def client_counts(make_app, max_failures, first, second):
    """Fail logins from first, then log in and post a fresh name from second: their statuses."""
    # A budget of one more post than the failures: the next post spends it.
    app = make_app(PASSWORD_TRIES_PER_ADDRESS=max_failures + 1)
    store_user(app.config["MONGO_CLIENT"][app.config["MONGO_DBNAME"]])

    def post(address, username, password):
        data = {"username": username, "password": password}
        client = app.test_client()
        return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})

    failed = [post(first, USERNAME, WRONG_PASSWORD).status_code for _ in range(max_failures)]
    assert failed == [401] * max_failures, f"wrong passwords are failed logins ({THROTTLE})"
    return post(second, USERNAME, PASSWORD), post(second, "fresh", WRONG_PASSWORD)


@pytest.mark.parametrize(("first", "second"), ONE_CLIENT)
def test_one_client_has_one_key_for_the_lockout_and_the_budget(
    make_app, max_failures, first, second
):
    login, fresh_name = client_counts(make_app, max_failures, first, second)
    expect_status(
        login,
        429,
        f"a login from {second} after {max_failures} failures from {first}, one client: an"
        " IPv4-mapped address is its IPv4 address, a port is dropped, IPv6 counts per /64",
        THROTTLE,
    )
    expect_status(
        fresh_name,
        429,
        f"a post from {second} once {first} has spent the budget: the budget uses the same key",
        THROTTLE,
    )


@pytest.mark.parametrize(("first", "second"), TWO_CLIENTS)
def test_two_clients_keep_their_own_counts(make_app, max_failures, first, second):
    login, fresh_name = client_counts(make_app, max_failures, first, second)
    redirect_target(
        login, f"a login from {second} after {max_failures} failures from {first}", THROTTLE
    )
    expect_status(
        fresh_name, 401, f"a post from {second}, a client with a budget of its own", THROTTLE
    )


def test_one_ipv6_network_is_locked_out_like_one_address(app, user, max_failures):
    # Every post from a fresh address of one /64: one client, whose sixth guess is refused.
    statuses = [
        app.test_client()
        .post(
            "/login",
            data={"username": USERNAME, "password": WRONG_PASSWORD},
            environ_base={"REMOTE_ADDR": f"2001:db8::{number + 1:x}"},
        )
        .status_code
        for number in range(20)
    ]
    assert statuses == [401] * max_failures + [429] * (20 - max_failures), (
        f"20 wrong passwords for one account from 20 addresses of one IPv6 /64 are refused as"
        f" from one address: {max_failures} failed logins, then 429s; got {statuses}. Key the"
        f" lockout with the budget's client key ({THROTTLE})"
    )


# --- What is stored ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", IMPOSSIBLE_USERNAMES)
def test_a_name_no_account_can_have_is_refused_before_it_counts(
    auth, db, user, bcrypt_checks, username
):
    response = auth.login(username, WRONG_PASSWORD)
    expect_status(response, 401, "POST /login with a name no account can have", THROTTLE)
    assert "Wrong username or password." in response.get_data(as_text=True), (
        f"a name that fails USERNAME_PATTERN gets the same message as any failed login ({THROTTLE})"
    )
    assert attempts_of(db) == [], (
        "a name that fails USERNAME_PATTERN is refused before the throttle counts it: it must"
        f" never become a key in login_attempts ({THROTTLE})"
    )
    assert bcrypt_checks == [], (
        "a name that fails USERNAME_PATTERN costs no bcrypt check: no account can have it, so"
        f" answering at once tells nothing about who has an account ({THROTTLE})"
    )
    assert username[:64] not in response.get_data(as_text=True) or len(username) < 64, (
        f"the refused name is not echoed back into the page ({THROTTLE})"
    )


def test_one_fixed_size_document_per_name_and_address(auth, db, user):
    long_name = "n" * 32
    auth.fail_logins(2)
    auth.fail_logins(1, long_name)
    auth.fail_logins(1, environ_base=STRANGER)
    documents = attempts_of(db)
    counts = sorted(document.get("attempts") for document in documents)
    assert counts == [1, 1, 2], (
        "login_attempts holds one document per name and address, counting its attempts in"
        f" attempts: expected counts [1, 1, 2], found {documents} ({THROTTLE})"
    )
    ids = [document["_id"] for document in documents]
    assert len({len(str(key)) for key in ids}) == 1, (
        "a login attempt's _id is a fixed-size digest of the name and address (hashlib.sha256),"
        f" the same length for every name: {ids} ({THROTTLE})"
    )
    assert not any(USERNAME in str(key) or long_name in str(key) for key in ids), (
        f"the _id is a digest, not the username itself: {ids} ({THROTTLE})"
    )
    assert all(isinstance(document.get("expires_at"), datetime) for document in documents), (
        "each document has an expires_at datetime, when its window ends: the TTL index"
        f" deletes it then ({THROTTLE})"
    )


def test_spellings_of_one_name_share_the_count(auth, db, user, max_failures):
    spellings = [USERNAME.upper(), USERNAME.capitalize(), USERNAME]
    for attempt in range(max_failures):
        auth.fail_logins(1, spellings[attempt % len(spellings)])
    response = auth.login(USERNAME.upper(), PASSWORD)
    expect_status(response, 429, "POST /login after failures under other spellings", THROTTLE)
    assert len(attempts_of(db)) == 1, (
        f"{spellings} are one name: the throttle counts them under one key, its lower-case"
        f" spelling ({THROTTLE})"
    )


# --- Concurrent guesses, several workers, a restart ---------------------------------------------


def post_together(app, requests):
    """Send login requests (username, password) all at once, each from a client of its own."""
    barrier = threading.Barrier(len(requests))

    def post(username_and_password):
        username, password = username_and_password
        client = app.test_client()
        barrier.wait()
        return client.post("/login", data={"username": username, "password": password})

    with ThreadPoolExecutor(len(requests)) as pool:
        return [response.status_code for response in pool.map(post, requests)]


@pytest.mark.slow
def test_concurrent_wrong_passwords_get_at_most_the_limit_of_checks(
    make_app, bcrypt_checks, max_failures
):
    # A place for every post, so that all of them race for the count.
    app = make_app(BCRYPT_ROUNDS=SLOW_ROUNDS, PASSWORD_POSTS_AT_ONCE=CONCURRENT_GUESSES)
    db = app.config["MONGO_CLIENT"][app.config["MONGO_DBNAME"]]
    store_user(db, rounds=SLOW_ROUNDS)
    statuses = post_together(app, [(USERNAME, WRONG_PASSWORD)] * CONCURRENT_GUESSES)
    checked = statuses.count(401)
    # A 503: counted, then turned away by a full bcrypt queue (A budget of password work).
    assert set(statuses) <= {401, 429, 503}, (
        f"{CONCURRENT_GUESSES} wrong passwords sent at once are each a 401 or a 429 (or a 503"
        f" when bcrypt is busy), not {sorted(statuses)} ({THROTTLE})"
    )
    assert 0 < checked <= max_failures, (
        f"of {CONCURRENT_GUESSES} wrong passwords sent at once, at most {max_failures} are"
        f" checked (401), the rest refused (429); {checked} were checked. Count each attempt"
        f" before the password check, in one atomic find_one_and_update ({THROTTLE})"
    )
    assert len(bcrypt_checks) == checked, (
        f"only the passwords answered 401 are checked with bcrypt: {checked}, not"
        f" {len(bcrypt_checks)} ({THROTTLE})"
    )
    assert [document["attempts"] for document in attempts_of(db)] == [CONCURRENT_GUESSES], (
        f"one document counts all {CONCURRENT_GUESSES} attempts ({THROTTLE})"
    )


@pytest.mark.slow
def test_the_right_password_is_refused_once_the_limit_is_hit(
    make_app, auth_actions, bcrypt_checks, max_failures
):
    app = make_app(BCRYPT_ROUNDS=SLOW_ROUNDS, PASSWORD_POSTS_AT_ONCE=CONCURRENT_GUESSES + 1)
    db = app.config["MONGO_CLIENT"][app.config["MONGO_DBNAME"]]
    store_user(db, rounds=SLOW_ROUNDS)
    auth_actions(app).fail_logins(max_failures)
    checked_before = len(bcrypt_checks)
    # Which of requests sent together is counted first is up to the threads; that the limit,
    # once hit, refuses the right password as well is not.
    guesses = [(USERNAME, WRONG_PASSWORD)] * CONCURRENT_GUESSES + [(USERNAME, PASSWORD)]
    statuses = post_together(app, guesses)
    assert statuses == [429] * len(guesses), (
        f"after {max_failures} failures, {CONCURRENT_GUESSES} wrong passwords and the right one"
        f" sent together are all refused with 429, not {statuses} ({THROTTLE})"
    )
    assert len(bcrypt_checks) == checked_before, f"no password of them is checked ({THROTTLE})"
    assert db.logins.count_documents({}) == 0, f"nobody is logged in ({THROTTLE})"


@contextmanager
def app_with_a_client_of_its_own(step_app_module, uri):
    """The step's app on the server at uri through a client of its own, as a worker has."""
    with pymongo.MongoClient(uri, tz_aware=True) as own_client:
        yield step_app_module.create_app(checks_config(own_client))


def login_statuses(app, password, times):
    """The statuses of logins as the learner with this password, each from a client of its own."""
    data = {"username": USERNAME, "password": password}
    return [app.test_client().post("/login", data=data).status_code for _ in range(times)]


@pytest.mark.real_server
@pytest.mark.slow
def test_the_count_is_shared_by_workers_and_survives_a_restart(
    step_app_module, mongo_server, db, max_failures
):
    store_user(db)
    through_first = max_failures // 2 + 1
    with (
        app_with_a_client_of_its_own(step_app_module, mongo_server) as first,
        app_with_a_client_of_its_own(step_app_module, mongo_server) as second,
    ):
        failures = login_statuses(first, WRONG_PASSWORD, through_first) + login_statuses(
            second, WRONG_PASSWORD, max_failures - through_first
        )
        locked = login_statuses(first, PASSWORD, 1) + login_statuses(second, PASSWORD, 1)
    assert failures == [401] * max_failures, (
        f"wrong passwords are 401s, not {failures} ({THROTTLE})"
    )
    assert locked == [429, 429], (
        "two apps on one MongoDB share the count: failures through either lock the name out on"
        f" both, not {locked}. Keep the count in the database ({THROTTLE})"
    )
    with app_with_a_client_of_its_own(step_app_module, mongo_server) as restarted:
        after_restart = login_statuses(restarted, PASSWORD, 1)
    assert after_restart == [429], (
        f"an app started anew on the same database still refuses, not {after_restart} ({THROTTLE})"
    )
