"""Slow down password guessing: a few tries per name and address, and per address, in MongoDB."""

import hashlib
import ipaddress
import math
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError


def utc_now():
    """Return the current time in UTC, as MongoDB stores it."""
    return datetime.now(UTC)


def ip_address_or_none(text):
    """Return text as an IP address, or None if it is not one."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_key(address):
    """Return the one spelling of a client: its IPv4 address, or its IPv6 /64, with no port."""
    address = f"{address}"
    # Some proxies forward an address with its port (203.0.113.50:5555, [2001:db8::1]:5555,
    # ::ffff:203.0.113.50:5555): a client would get a fresh count with each new connection.
    if address.startswith("["):
        address = address[1:].partition("]")[0]
    client = ip_address_or_none(address) or ip_address_or_none(address.rpartition(":")[0])
    if client is None:
        # Not an address ("unknown", 198.051.100.023): one client, not a fresh count per spelling.
        return "unreadable"
    if client.version == 4:
        return str(client)
    # Dual-stack proxies write IPv4 clients as ::ffff:a.b.c.d: all of them are in one /64.
    if client.ipv4_mapped is not None:
        return str(client.ipv4_mapped)
    # One IPv6 customer gets a whole /64 (2**64 addresses): counted one by one, a client could
    # send every post from a fresh address of its own.
    return str(ipaddress.ip_network((int(client), 64), strict=False))


def attempt_key(username, address):
    """Return the _id of a name and client: a fixed-size digest, whatever their length."""
    return hashlib.sha256(f"{username}\n{client_key(address)}".encode()).hexdigest()


def address_key(address):
    """Return the _id of a client alone: a digest of its key."""
    return hashlib.sha256(client_key(address).encode()).hexdigest()


class LoginThrottle:
    """Count login attempts per key in a MongoDB collection, shared by every worker."""

    def __init__(self, max_failures, window_seconds, clock=utc_now):
        self.max_failures = max_failures
        self.window = timedelta(seconds=window_seconds)
        self.clock = clock

    def attempt(self, attempts, key):
        """Count one attempt before its password is checked; return the seconds to wait, or 0."""
        now = self.clock()
        # A window that has ended counts as none, whether or not MongoDB's TTL monitor (a pass
        # every 60 seconds) has deleted it yet.
        attempts.delete_one({"_id": key, "expires_at": {"$lte": now}})
        try:
            counted = self._count(attempts, key, now)
        except DuplicateKeyError:
            # Two first attempts at once: both upserts tried to insert and one lost. The
            # document is there now, so counting again is an ordinary $inc.
            counted = self._count(attempts, key, now)
        if counted["attempts"] <= self.max_failures:
            return 0
        # Rounded up: waiting the announced seconds must be enough.
        return max(1, math.ceil((counted["expires_at"] - now).total_seconds()))

    def _count(self, attempts, key, now):
        """Add one to the key's attempts in one atomic update; return the document after it."""
        return attempts.find_one_and_update(
            {"_id": key},
            {"$inc": {"attempts": 1}, "$setOnInsert": {"expires_at": now + self.window}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    def succeeded(self, attempts, key):
        """Forget the key's attempts after a successful login."""
        attempts.delete_one({"_id": key})
