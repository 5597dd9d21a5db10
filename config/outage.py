"""A circuit breaker for Redis, which this project uses as an accelerator only.

An accelerator that cannot be reached must cost milliseconds, not its timeout on every
request: after a failure it is not asked again for ``LOCK_STORE_RETRY_SECONDS``, and each
outage is logged once when it starts and once when it ends.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings

# What an unreachable or frozen Redis raises.
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, OSError)


class Outage:
    """Whether one Redis-backed store is thought to be down. ``what`` names it and
    ``meanwhile`` says what happens without it, for the outage's one log line."""

    def __init__(self, logger: logging.Logger, what: str, meanwhile: str) -> None:
        self._logger = logger
        self._what = what
        self._meanwhile = meanwhile
        self._mutex = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0

    def skip(self) -> bool:
        """True while the store failed recently: do not ask it again yet."""
        return self._down_since is not None and time.monotonic() < self._retry_at

    def failed(self, error: Exception) -> None:
        with self._mutex:
            now = time.monotonic()
            self._retry_at = now + settings.LOCK_STORE_RETRY_SECONDS
            if self._down_since is None:
                self._down_since = now
                self._logger.warning(
                    "%s unreachable (%s); %s until it is back", self._what, error, self._meanwhile
                )

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._mutex:
            if self._down_since is not None:
                self._logger.warning(
                    "%s reachable again after %.1f s", self._what, time.monotonic() - self._down_since
                )
                self._down_since = None
