"""Password hashing with bcrypt, within its 72-byte limit."""

import bcrypt

MIN_PASSWORD_LENGTH = 8
# bcrypt reads at most 72 bytes; bcrypt 5 raises ValueError past them instead of ignoring them.
MAX_PASSWORD_BYTES = 72


def password_problem(password):
    """Return why a new password is refused, or None if it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return f"Use at most {MAX_PASSWORD_BYTES} bytes (accented letters count two or more)."
    return None


def hash_password(password, rounds):
    """Return the bcrypt hash of a password, as text to store."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def check_password(password, password_hash):
    """Tell whether a password matches a stored hash; never raises for a long password."""
    secret = password.encode()
    if len(secret) > MAX_PASSWORD_BYTES:
        return False
    return bcrypt.checkpw(secret, password_hash.encode())
