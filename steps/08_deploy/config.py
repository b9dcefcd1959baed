"""Every setting in one place: its default, and what a deployment sets in the environment."""

import os
import sys

DEFAULTS = {
    # Scripts cannot read the cookie; other sites' forms and scripts do not carry it.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # bcrypt cost 12 takes about 0.2 s per login: slow for guessing, fine for people.
    "BCRYPT_ROUNDS": 12,
    # A login ends on its own after 30 days, logout or not.
    "LOGIN_LIFETIME_SECONDS": 30 * 24 * 60 * 60,
    # Failed logins per name and address in a quarter of an hour: past them a 429.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_SECONDS": 15 * 60,
    # Login and register posts per client address and minute, whatever the names: past
    # them a 429 before any bcrypt work. No person needs 20 a minute; a flood needs more.
    "PASSWORD_TRIES_PER_ADDRESS": 20,
    "PASSWORD_TRIES_WINDOW_SECONDS": 60,
    # Login and register posts a process works on at once: past them, a 503 at once. Each
    # waits for MongoDB and bcrypt, and a waiting thread serves nobody else.
    "PASSWORD_POSTS_AT_ONCE": 3,
    # Bodies over 1 MiB are refused with 413 before they are read: plenty for items.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Every call to MongoDB gives up after this long: a server that hangs is a 503 in 2 s.
    "MONGO_TIMEOUT_MS": 2000,
    # Tests pass their own client here instead of patching anything.
    "MONGO_CLIENT": None,
}
# The Host names a browser may use to reach the app when TRUSTED_HOSTS does not say.
LOOPBACK_HOSTS = ["127.0.0.1", "localhost"]
MIN_SECRET_KEY_LENGTH = 32
# Why a production server refuses to start: each line says what to set, and how.
SECRET_KEY_MISSING = (
    "SECRET_KEY is not set: logins would be signed with a random key, new at each start. Set it"
    " in the environment: SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex())')"
)
MONGO_URI_MISSING = (
    "MONGO_URI is not set: the server would use an embedded database, lost at each restart,"
    " with the public demo account. Set it in the environment: MONGO_URI=mongodb://host:27017/"
)
# Why any server, `flask run` too, refuses a key that a computer could guess, or a proxy count
# that is not one.
SECRET_KEY_TOO_SHORT = (
    f"SECRET_KEY is too short: it needs {MIN_SECRET_KEY_LENGTH} characters or more, not counting"
    " spaces, or a guess can sign anyone's login. Make one with"
    " SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex())')"
)
TRUSTED_PROXIES_INVALID = (
    "TRUSTED_PROXIES must be a whole number, 0 or more: how many proxies stand in front."
    " Set it to 1 behind one proxy, or unset it."
)
CANNOT_START = 3


def refuse_to_start(reason):
    """Stop the server with one line on stderr saying why, and no traceback."""
    print(reason, file=sys.stderr)
    # Status 3, not 1: under gunicorn (docs/deployment.md) it is how a worker says that it
    # cannot boot, and gunicorn stops rather than start new workers that would fail alike.
    raise SystemExit(CANNOT_START)


def environment(name):
    """Return a setting of the environment without the spaces around it, or "" if unset."""
    # An env file that leaves a setting blank (SECRET_KEY=, or spaces) means it is not set.
    return os.environ.get(name, "").strip()


def host_names(text):
    """Return the names in a comma-separated list such as "shop.example, www.shop.example"."""
    # In lower case, as browsers send them: Flask compares host names exactly.
    return [name.strip().lower() for name in text.split(",") if name.strip()]


def secret_key(production):
    """Return SECRET_KEY, or None outside production; stop the server if it is weak or missing."""
    key = environment("SECRET_KEY")
    if production and not key:
        refuse_to_start(SECRET_KEY_MISSING)
    if key and len(key) < MIN_SECRET_KEY_LENGTH:
        refuse_to_start(SECRET_KEY_TOO_SHORT)
    return key or None


def trusted_proxies():
    """Return how many proxies stand in front: 0 unless TRUSTED_PROXIES says; stop if no count."""
    count = environment("TRUSTED_PROXIES") or "0"
    # int() alone would take -1 (then a 500 on X-Forwarded-For) and end "abc" in a traceback.
    if not count.isdecimal():
        refuse_to_start(TRUSTED_PROXIES_INVALID)
    return int(count)


def from_environment(production, database_name):
    """Return the settings a deployment chooses; production needs SECRET_KEY and MONGO_URI."""
    key = secret_key(production)
    mongo_uri = environment("MONGO_URI")
    if production and not mongo_uri:
        refuse_to_start(MONGO_URI_MISSING)
    return {
        # Signs the session cookie; None: the app makes a random one, and says so.
        "SECRET_KEY": key,
        # Production is served over HTTPS: its cookie travels over HTTPS only.
        "SESSION_COOKIE_SECURE": production,
        # The MongoDB server; without one, an embedded mongomock database with demo data.
        "MONGO_URI": mongo_uri,
        # A database per step on one server (workshop_02, ...): steps never see each other's data.
        "MONGO_DBNAME": environment("MONGO_DBNAME") or database_name,
        # With N proxies in front, what they say in X-Forwarded-For, X-Forwarded-Proto and
        # X-Forwarded-Host counts.
        "TRUSTED_PROXIES": trusted_proxies(),
        # Flask's own setting: a request for any other Host is a 400.
        "TRUSTED_HOSTS": host_names(environment("TRUSTED_HOSTS")) or LOOPBACK_HOSTS,
    }
