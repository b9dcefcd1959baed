"""Password hashing with bcrypt, within its 72-byte limit, one hash at a time per process."""

import threading
from contextlib import contextmanager

import bcrypt

MIN_PASSWORD_LENGTH = 8
# bcrypt reads at most 72 bytes; bcrypt 5 raises ValueError past them instead of ignoring them.
MAX_PASSWORD_BYTES = 72
# bcrypt releases the GIL: without a bound, every thread of a worker could hash at once and take
# all the CPU. One at a time per worker process leaves the other threads the rest to answer with.
BCRYPT_AT_ONCE = threading.BoundedSemaphore(1)
# The longest a hash waits for its turn, should the ones before it run slow.
BCRYPT_WAIT_SECONDS = 0.5


class PasswordsBusy(Exception):
    """The server is busy with passwords: the post is answered at once, to be tried again."""


@contextmanager
def bcrypt_turn():
    """Wait a little for this process's one bcrypt at a time, or raise PasswordsBusy."""
    if not BCRYPT_AT_ONCE.acquire(timeout=BCRYPT_WAIT_SECONDS):
        raise PasswordsBusy
    try:
        yield
    finally:
        BCRYPT_AT_ONCE.release()


def password_problem(password):
    """Return why a new password is refused, or None if it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return f"Use at most {MAX_PASSWORD_BYTES} bytes (accented letters count two or more)."
    return None


def hash_password(password, rounds):
    """Return the bcrypt hash of a password, as text to store."""
    with bcrypt_turn():
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def check_password(password, password_hash):
    """Tell whether a password matches a stored hash; never raises for a long password."""
    secret = password.encode()
    if len(secret) > MAX_PASSWORD_BYTES:
        return False
    with bcrypt_turn():
        return bcrypt.checkpw(secret, password_hash.encode())
