"""Redis as a cache that can fail: the sessions' and the signed-in users' copies.

Django's ``RedisCache`` raises when Redis is unreachable and, under ASGI, opens a
connection pool per request (its cache objects are per context). ``GuardedRedisCache``
shares one client per process and server, passes every operation through a circuit
breaker (``config.outage``) and answers a miss instead of raising: the database is the
truth and each request reads it while Redis is away. ``LONGEST`` (seconds) caps every
entry's life, which bounds how long a copy can outlive a change whose removal could not
reach Redis (an outage at the moment of a logout or a deactivation).

Copies of rows (``read``, ``fill``, ``drop``): a write to the row drops its copy, leaving
a marker for ``SETTLE_SECONDS``; only a read of the row fills the copy, and only where
there is neither a copy nor a marker. So a read that saw the row before a change was
committed can never put its old copy back after the change dropped it.
"""

from __future__ import annotations

import logging
import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

from .outage import UNREACHABLE, Outage

logger = logging.getLogger(__name__)

# Longer than a request takes from reading a row to filling its copy.
SETTLE_SECONDS = 5
_DROPPED = "dropped"

# What an operation answers while Redis cannot be reached: a miss, nothing stored.
_MISSED = {"get": None, "get_many": {}, "has_key": False, "add": False, "touch": False, "delete": False}


class _SharedClient(RedisCacheClient):
    """Django's client, with one ``redis.Redis`` per pool instead of a new one per
    operation (a fifth of a cached read's time)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class _GuardedClient:
    """Django's Redis client behind the breaker: an unreachable Redis is a miss."""

    def __init__(self, client: _SharedClient, outage: Outage) -> None:
        self._client = client
        self._outage = outage

    def __getattr__(self, name: str):
        operation = getattr(self._client, name)

        def guarded(*args, **kwargs):
            missed = args[1] if name == "get" else _MISSED.get(name)
            if self._outage.skip():
                return missed
            try:
                answer = operation(*args, **kwargs)
            except UNREACHABLE as error:
                self._outage.failed(error)
                return missed
            self._outage.succeeded()
            return answer

        return guarded


_clients: dict[tuple, _GuardedClient] = {}
_clients_mutex = threading.Lock()


class GuardedRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClient
        self._longest = params.get("LONGEST")

    @cached_property
    def _cache(self) -> _GuardedClient:
        identity = (tuple(self._servers), tuple(sorted(self._options.items())))
        with _clients_mutex:
            if identity not in _clients:
                outage = Outage(
                    logger, "Session cache", "sessions and signed-in teachers are read from the database"
                )
                _clients[identity] = _GuardedClient(self._class(self._servers, **self._options), outage)
            return _clients[identity]

    def get_backend_timeout(self, timeout=DEFAULT_TIMEOUT):
        seconds = super().get_backend_timeout(timeout)
        if self._longest is None:
            return seconds
        return self._longest if seconds is None else min(seconds, self._longest)

    def read(self, key: str):
        """The copy kept under ``key``, or ``None``: read the row (and ``fill``)."""
        value = self.get(key)
        return None if value == _DROPPED else value

    def fill(self, key: str, value, timeout=DEFAULT_TIMEOUT) -> None:
        """Keep a copy of a row just read, unless the row changed since (``drop``)."""
        self.add(key, value, timeout)

    def drop(self, key: str) -> None:
        """The row changed: no copy of it, and none filled for ``SETTLE_SECONDS``."""
        self.set(key, _DROPPED, SETTLE_SECONDS)
