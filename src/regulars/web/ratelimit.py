"""Failed logins per client address in a sliding window, in memory (per server process).

The account lockout (services.users) stops guessing one account's password; this stops one
address from trying many accounts. Kept in memory on purpose: it must cost nothing per request,
and a restart forgetting it is harmless next to the lockout that stays in the database.
"""

from __future__ import annotations

import threading
import time
from collections import deque

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


class FailureWindow:
    def __init__(self, limit: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._seen.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Seconds until `key` may try again (0: now)."""
        t = time.monotonic() if now is None else now
        with self._lock:
            q = self._recent(key, t)
            if len(q) < self.limit:
                return 0
            return max(1, int(q[0] + self.window - t) + 1)

    def failed(self, key: str, now: float | None = None) -> None:
        t = time.monotonic() if now is None else now
        with self._lock:
            self._recent(key, t).append(t)
            if len(self._seen) > 100_000:  # bounded memory under a spray of addresses
                self._seen = {k: v for k, v in self._seen.items() if v}
