"""Step 06's password budget: login and register posts per address, counted before bcrypt runs."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import bcrypt
import pytest

from harness.answers import expect_status, said
from harness.apps import (
    PASSWORD,
    USERNAME,
    WRONG_PASSWORD,
    database,
    from_step,
    setting,
    store_user,
)
from harness.sections import PASSWORD_BUDGET

pytestmark = [pytest.mark.steps(6, 8), pytest.mark.hardening]

FLOODER = {"REMOTE_ADDR": "198.51.100.7"}
NEIGHBOUR = {"REMOTE_ADDR": "203.0.113.8"}
# Passwords no account can have: refused before anything is counted, hashed or stored.
IMPOSSIBLE_PASSWORDS = [
    pytest.param("a" * 73, id="73-bytes"),
    pytest.param("é" * 37, id="74-bytes-in-37-letters"),
    pytest.param("short", id="under-8-characters"),
]
# The red team's count: logins with 73-byte passwords, each under a name of its own.
LONG_PASSWORD_LOGINS = 150
# More posts from one address than its budget has, each under a fresh name.
FRESH_NAME_POSTS = 30
# Posts of each form sent while the checks hold bcrypt busy: more than a queue for it holds.
POSTS_WHILE_BUSY = 4
# How long such a post may take to be answered: a short wait in the queue, then the answer.
BUSY_ANSWER_WITHIN = 1.0


@pytest.fixture
def bcrypt_calls(monkeypatch):
    """Every bcrypt hash and check the step asks for, in order, from any thread."""
    calls, lock = [], threading.Lock()
    real = {"hashpw": bcrypt.hashpw, "checkpw": bcrypt.checkpw}

    def counted(name):
        def call(*args):
            with lock:
                calls.append(name)
            return real[name](*args)

        return call

    for name in real:
        monkeypatch.setattr(bcrypt, name, counted(name))
    return calls


def post_login(app, username, password, address=FLOODER):
    """Post the login form from a client at address."""
    data = {"username": username, "password": password}
    return app.test_client().post("/login", data=data, environ_base=address)


def post_register(app, username, password, address=FLOODER):
    """Post the register form from a client at address."""
    data = {"username": username, "password": password}
    return app.test_client().post("/register", data=data, environ_base=address)


def stored_tries(db):
    """What the two throttles store: (login_attempts documents, password_tries documents)."""
    return db.login_attempts.count_documents({}), db.password_tries.count_documents({})


def test_the_budget_is_20_posts_per_address_a_minute(app):
    budget = setting(app, "PASSWORD_TRIES_PER_ADDRESS", PASSWORD_BUDGET)
    window = setting(app, "PASSWORD_TRIES_WINDOW_SECONDS", PASSWORD_BUDGET)
    assert (budget, window) == (20, 60), (
        "PASSWORD_TRIES_PER_ADDRESS defaults to 20 login and register posts per address and"
        " PASSWORD_TRIES_WINDOW_SECONDS to 60: more than a person types, far fewer than a flood"
        f" sends; found {budget} per {window} s ({PASSWORD_BUDGET})"
    )


def test_logins_and_registrations_spend_one_budget_per_address(make_app, bcrypt_calls):
    app = make_app(PASSWORD_TRIES_PER_ADDRESS=3)
    db = database(app)
    spent = [
        post_login(app, "fresh1", WRONG_PASSWORD),
        post_register(app, "newcomer1", PASSWORD),
        post_login(app, "fresh2", WRONG_PASSWORD),
    ]
    assert [response.status_code for response in spent] == [401, 302, 401], (
        f"three posts within a budget of 3 are answered as usual: {[said(r) for r in spent]}"
        f" ({PASSWORD_BUDGET})"
    )
    calls_before = len(bcrypt_calls)
    refused = [post_login(app, "fresh3", WRONG_PASSWORD), post_register(app, "newcomer2", PASSWORD)]
    for response, form in zip(refused, ["login", "register"], strict=True):
        expect_status(response, 429, f"a {form} post past its address's budget", PASSWORD_BUDGET)
        wait = response.headers.get("Retry-After", "")
        assert wait in {str(seconds) for seconds in range(1, 61)}, (
            f"a 429 of the budget says in Retry-After how many seconds to wait, at most the"
            f" window's 60; it said {wait!r} ({PASSWORD_BUDGET})"
        )
        assert "from your address" in response.get_data(as_text=True), (
            f"the {form} page says that the address has had too many tries ({PASSWORD_BUDGET})"
        )
    assert len(bcrypt_calls) == calls_before, (
        f"a post past the budget costs no bcrypt work at all: it is counted and refused before"
        f" any hash or check; bcrypt ran {bcrypt_calls[calls_before:]} ({PASSWORD_BUDGET})"
    )
    assert db.users.find_one({"username": "newcomer2"}) is None, (
        f"a refused registration stores no account ({PASSWORD_BUDGET})"
    )
    neighbour = post_login(app, "fresh4", WRONG_PASSWORD, address=NEIGHBOUR)
    expect_status(neighbour, 401, "a login from another address", PASSWORD_BUDGET)


def test_one_ipv6_network_spends_one_budget(make_app):
    # One customer has a /64: a fresh address of it at every post counts as the same client.
    app = make_app(PASSWORD_TRIES_PER_ADDRESS=2)
    statuses = [
        post_login(
            app, f"fresh{number}", WRONG_PASSWORD, {"REMOTE_ADDR": f"2001:db8::{number}"}
        ).status_code
        for number in range(1, 4)
    ]
    other_network = post_login(app, "fresh4", WRONG_PASSWORD, {"REMOTE_ADDR": "2001:db8:1::1"})
    assert (statuses, other_network.status_code) == ([401, 401, 429], 401), (
        "three logins from three addresses of one IPv6 /64 spend one budget (here 2): 401, 401,"
        f" 429; an address of another /64 has its own. Got {statuses} and"
        f" {other_network.status_code}: key IPv6 clients by their /64 network ({PASSWORD_BUDGET})"
    )


def test_fresh_names_cannot_get_round_the_budget(app, bcrypt_calls):
    budget = setting(app, "PASSWORD_TRIES_PER_ADDRESS", PASSWORD_BUDGET)
    db = database(app)
    statuses = [
        post_login(app, f"fresh{number}", WRONG_PASSWORD).status_code
        for number in range(FRESH_NAME_POSTS)
    ]
    assert statuses == [401] * budget + [429] * (FRESH_NAME_POSTS - budget), (
        f"{FRESH_NAME_POSTS} logins from one address, each under a fresh name: the first"
        f" {budget} are checked (401), the rest refused (429), whatever the name; got {statuses}."
        f" Count each post per address alone, before the throttle per name ({PASSWORD_BUDGET})"
    )
    assert len(bcrypt_calls) == budget, (
        f"only the {budget} posts within the budget cost a bcrypt check, not {len(bcrypt_calls)}"
        f" ({PASSWORD_BUDGET})"
    )
    attempts, tries = stored_tries(db)
    assert (attempts, tries) == (budget, 1), (
        f"the refused posts store nothing per name: {budget} documents in login_attempts and"
        f" the address's one in password_tries, not {attempts} and {tries} ({PASSWORD_BUDGET})"
    )


def test_a_taken_name_is_refused_before_any_hashing(app, bcrypt_calls):
    store_user(database(app))
    bcrypt_calls.clear()
    for spelling in [USERNAME, USERNAME.upper()]:
        response = post_register(app, spelling, PASSWORD)
        expect_status(response, 409, f"POST /register as {spelling}, a taken name", PASSWORD_BUDGET)
        assert "That username is taken." in response.get_data(as_text=True), (
            f"the register page says that the name is taken ({PASSWORD_BUDGET})"
        )
    assert bcrypt_calls == [], (
        "a taken name is answered 409 before bcrypt hashes the password: a hash the database"
        f" would refuse to store is work for nothing; bcrypt ran {bcrypt_calls} ({PASSWORD_BUDGET})"
    )


@pytest.mark.parametrize("password", IMPOSSIBLE_PASSWORDS)
def test_a_password_no_account_can_have_is_refused_before_it_counts(app, bcrypt_calls, password):
    db = database(app)
    login = post_login(app, "newcomer", password)
    expect_status(login, 401, "POST /login with a password no account can have", PASSWORD_BUDGET)
    assert "Wrong username or password." in login.get_data(as_text=True), (
        f"it gets the one message of every failed login ({PASSWORD_BUDGET})"
    )
    register = post_register(app, "newcomer", password)
    expect_status(register, 400, "POST /register with that password", PASSWORD_BUDGET)
    stored = (*stored_tries(db), db.users.count_documents({}))
    assert stored == (0, 0, 0), (
        "a password no account can have (over 72 bytes, or under 8 characters) is refused"
        " before anything is counted or stored: nothing in login_attempts, password_tries or"
        f" users; found {stored} documents ({PASSWORD_BUDGET})"
    )
    assert bcrypt_calls == [], f"nor does bcrypt run: {bcrypt_calls} ({PASSWORD_BUDGET})"


def test_150_logins_with_73_byte_passwords_store_nothing(app, bcrypt_calls):
    db = database(app)
    statuses = {
        post_login(app, f"fresh{number}", "a" * 73).status_code
        for number in range(LONG_PASSWORD_LOGINS)
    }
    assert statuses == {401}, f"each is a failed login: {statuses} ({PASSWORD_BUDGET})"
    attempts, tries = stored_tries(db)
    assert attempts + tries == 0, (
        f"{LONG_PASSWORD_LOGINS} logins with 73-byte passwords under fresh names store no"
        f" document, not {attempts} in login_attempts and {tries} in password_tries: bcrypt"
        f" reads 72 bytes, so no account has such a password ({PASSWORD_BUDGET})"
    )
    assert bcrypt_calls == [], f"and cost no bcrypt work: {len(bcrypt_calls)} calls"


def test_a_worker_hashes_one_password_at_a_time(step_dir, monkeypatch):
    # bcrypt releases the GIL: without a bound, every thread of a worker could hash at once.
    hash_password = from_step(step_dir, "hash_password")
    check_password = from_step(step_dir, "check_password")
    at_once, most = [], []
    lock = threading.Lock()

    def watched(real):
        """bcrypt's function, counting how many threads run it at the same moment."""

        def run(*args):
            with lock:
                at_once.append(1)
                most.append(len(at_once))
            try:
                time.sleep(0.005)
                return real(*args)
            finally:
                with lock:
                    at_once.pop()

        return run

    monkeypatch.setattr(bcrypt, "hashpw", watched(bcrypt.hashpw))
    monkeypatch.setattr(bcrypt, "checkpw", watched(bcrypt.checkpw))
    stored = hash_password(PASSWORD, 4)
    with ThreadPoolExecutor(max_workers=4) as pool:
        hashes = [pool.submit(hash_password, PASSWORD, 4) for _ in range(4)]
        checks = [pool.submit(check_password, PASSWORD, stored) for _ in range(4)]
        # A full queue may turn some away with an exception of the step's: not a result.
        results = [future.result() for future in hashes + checks if not future.exception()]
    assert results, f"some hashes and checks run ({PASSWORD_BUDGET})"
    assert all(results), f"every hash and check that runs works ({PASSWORD_BUDGET})"
    assert max(most) == 1, (
        "hash_password and check_password run bcrypt one at a time in a process (a semaphore"
        f" in passwords.py): {max(most)} ran at once ({PASSWORD_BUDGET})"
    )


def post_timed(app, path, username, address, password=WRONG_PASSWORD):
    """Post a login or register form from address; return the answer and the seconds it took."""
    began = time.monotonic()
    post = post_login if path == "/login" else post_register
    response = post(app, username, password, {"REMOTE_ADDR": address})
    return response, time.monotonic() - began


def test_a_full_bcrypt_queue_is_answered_at_once(app, monkeypatch):
    store_user(database(app))
    busy, release = threading.Event(), threading.Event()
    real = {"hashpw": bcrypt.hashpw, "checkpw": bcrypt.checkpw}

    def held(name):
        def call(*args):
            busy.set()
            release.wait(10)
            return real[name](*args)

        return call

    for name in real:
        monkeypatch.setattr(bcrypt, name, held(name))
    posts = [("/login", USERNAME), ("/register", "newcomer")] * POSTS_WHILE_BUSY
    with ThreadPoolExecutor(len(posts) + 1) as pool:
        first = pool.submit(post_timed, app, "/login", USERNAME, "198.51.100.1", PASSWORD)
        try:
            assert busy.wait(5), f"a login reaches bcrypt ({PASSWORD_BUDGET})"
            # Each from an IPv6 network of its own: no budget per address stops any of them.
            waiting = [
                pool.submit(post_timed, app, path, f"{name}{number}", f"2001:db8:{number}::1")
                for number, (path, name) in enumerate(posts)
            ]
            answers = [future.result(timeout=BUSY_ANSWER_WITHIN + 2) for future in waiting]
        except TimeoutError:
            pytest.fail(
                f"while bcrypt was busy, logins and sign-ups waited for it: past a short queue"
                f" they are answered at once, 503 with Retry-After ({PASSWORD_BUDGET})",
                pytrace=False,
            )
        finally:
            release.set()
        first_response, _ = first.result()
    for (path, _), (response, seconds) in zip(posts, answers, strict=True):
        expect_status(response, 503, f"POST {path} while bcrypt's queue is full", PASSWORD_BUDGET)
        assert seconds < BUSY_ANSWER_WITHIN, (
            f"POST {path} while bcrypt's queue is full is answered within"
            f" {BUSY_ANSWER_WITHIN:.0f} s, not after {seconds:.1f} s: a thread that waits for"
            f" bcrypt serves nobody else ({PASSWORD_BUDGET})"
        )
        assert response.headers.get("Retry-After", "").isdigit(), (
            f"the 503 says in Retry-After how many seconds to wait; it said"
            f" {response.headers.get('Retry-After')!r} ({PASSWORD_BUDGET})"
        )
        assert "busy" in response.get_data(as_text=True), (
            f"the {path} page says that the server is busy ({PASSWORD_BUDGET})"
        )
    assert database(app).users.count_documents({"username": {"$regex": "^newcomer"}}) == 0, (
        f"a sign-up answered 503 stores no account ({PASSWORD_BUDGET})"
    )
    expect_status(first_response, 302, "the login that bcrypt was checking", PASSWORD_BUDGET)
    response, _ = post_timed(app, "/register", "newcomer", "203.0.113.9")
    expect_status(response, 302, "a sign-up once bcrypt is free again", PASSWORD_BUDGET)


# What a request may ask of MongoDB on its way to a password check.
COLLECTION_CALLS = ["find_one", "find_one_and_update", "update_one", "insert_one", "delete_one"]
# Posts sent while MongoDB hangs, and how many of them may wait for it at once.
POSTS_WHILE_MONGODB_HANGS = 12
MOST_POSTS_WAITING = 4


def hang_mongodb(app, monkeypatch, release):
    """Make every MongoDB call of the app wait for release; return the threads that waited."""
    collection_class = type(database(app).users)
    lock, waiting, inside = threading.Lock(), set(), threading.local()

    def hangs(real):
        def call(self, *args, **kwargs):
            # The first call of a request waits; mongomock's own calls inside it do not.
            if not getattr(inside, "waited", False):
                inside.waited = True
                with lock:
                    waiting.add(threading.get_ident())
                release.wait(10)
            return real(self, *args, **kwargs)

        return call

    for name in COLLECTION_CALLS:
        monkeypatch.setattr(collection_class, name, hangs(getattr(collection_class, name)))
    return waiting


def test_password_posts_hold_few_threads_while_mongodb_hangs(app, monkeypatch):
    release = threading.Event()
    waiting = hang_mongodb(app, monkeypatch, release)
    posts = [("/login", USERNAME), ("/register", "newcomer")] * (POSTS_WHILE_MONGODB_HANGS // 2)
    with ThreadPoolExecutor(len(posts)) as pool:
        try:
            # Each from an IPv6 network of its own: no budget per address stops any of them.
            futures = [
                pool.submit(post_timed, app, path, f"{name}{number}", f"2001:db8:{number}::1")
                for number, (path, name) in enumerate(posts)
            ]
            time.sleep(BUSY_ANSWER_WITHIN)
            answered = [future.result() for future in futures if future.done()]
            held = len(waiting)
        finally:
            release.set()
        for future in futures:
            future.result(timeout=10)
    assert held <= MOST_POSTS_WAITING, (
        f"while MongoDB hung, {held} of {len(posts)} login and sign-up posts waited for it, each"
        f" holding a thread: a process takes only PASSWORD_POSTS_AT_ONCE of them at once (3;"
        f" the check allows {MOST_POSTS_WAITING}) and answers the rest 503 with Retry-After at"
        f" once ({PASSWORD_BUDGET})"
    )
    assert len(answered) >= len(posts) - MOST_POSTS_WAITING, (
        f"while MongoDB hung, only {len(answered)} of {len(posts)} posts were answered within"
        f" {BUSY_ANSWER_WITHIN:.0f} s: past a few at once, a post is answered 503 at once"
        f" ({PASSWORD_BUDGET})"
    )
    for response, _ in answered:
        expect_status(response, 503, "a post while MongoDB hangs and others wait", PASSWORD_BUDGET)
        assert response.headers.get("Retry-After", "").isdigit(), (
            f"the 503 says in Retry-After how many seconds to wait; it said"
            f" {response.headers.get('Retry-After')!r} ({PASSWORD_BUDGET})"
        )


def test_a_spent_address_is_refused_without_asking_mongodb(app, monkeypatch):
    budget = setting(app, "PASSWORD_TRIES_PER_ADDRESS", PASSWORD_BUDGET)
    for number in range(budget):
        post_login(app, f"fresh{number}", WRONG_PASSWORD)
    expect_status(
        post_login(app, "fresh", WRONG_PASSWORD), 429, "a post past the budget", PASSWORD_BUDGET
    )
    waiting = hang_mongodb(app, monkeypatch, release := threading.Event())
    pool = ThreadPoolExecutor(1)
    try:
        future = pool.submit(post_timed, app, "/login", "another", FLOODER["REMOTE_ADDR"])
        response, _ = future.result(timeout=BUSY_ANSWER_WITHIN)
    except TimeoutError:
        pytest.fail(
            "a post from an address whose budget this process has refused waited for MongoDB:"
            " the process remembers the refusal until its wait is over, and refuses at once,"
            f" so that a flood from one address holds a place for microseconds ({PASSWORD_BUDGET})",
            pytrace=False,
        )
    finally:
        release.set()
        pool.shutdown()
    expect_status(response, 429, "a post from a spent address while MongoDB hangs", PASSWORD_BUDGET)
    assert not waiting, f"and it asked MongoDB nothing ({PASSWORD_BUDGET})"
