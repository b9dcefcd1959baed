"""Slow down password guessing: a few failed logins per key, then a pause."""

import math
import time
from collections import defaultdict, deque

# Past this many keys, expired ones are swept, so made-up usernames cannot fill the memory.
SWEEP_ABOVE_KEYS = 10_000


class LoginThrottle:
    """Count failed logins per key in a sliding window; kept in memory, per process."""

    def __init__(self, max_failures, window_seconds, clock=time.monotonic):
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.clock = clock
        self._failures = defaultdict(deque)

    def _recent(self, key):
        """Return the key's failures still inside the window, forgetting older ones."""
        failures = self._failures[key]
        while failures and failures[0] <= self.clock() - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, key):
        """Return how many seconds the key must wait before trying again, 0 if it may try now."""
        failures = self._recent(key)
        if len(failures) < self.max_failures:
            return 0
        # Rounded up: waiting the announced seconds must be enough.
        return max(1, math.ceil(failures[0] + self.window_seconds - self.clock()))

    def failed(self, key):
        """Record a failed login."""
        if len(self._failures) > SWEEP_ABOVE_KEYS:
            for old_key in list(self._failures):
                self._recent(old_key)
        self._failures[key].append(self.clock())

    def succeeded(self, key):
        """Forget the key's failures after a successful login."""
        self._failures.pop(key, None)
