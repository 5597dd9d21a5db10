"""Short booking locks: one teacher at a time may be booking a room for a period.

A lock's key is the room and the exact period, as in the original design: it keeps a
second teacher out while the first has the confirmation dialog open. An overlapping but
different period is not locked out here; the row lock and the overlap check in
``bookings.services`` (and PostgreSQL's exclusion constraint) catch that.

Rules:
- acquiring is atomic; the holder may acquire again (that renews the lock);
- a lock lives ``BOOKING_LOCK_SECONDS`` and then vanishes by itself;
- only the holder can release it;
- a registry lists the active locks, and ``cleanup_expired`` sweeps the expired entries.

With ``REDIS_URL`` the locks live in Redis, so every server process sees them, and each
of acquire and release is one Lua script: one round trip, atomic. Without it they live in
this process's memory, which is right for a single process (``make run``).

Redis is an accelerator, not what keeps bookings correct (the room's row lock, the
re-check and the exclusion constraint do that). So a lock store that cannot be reached
is a decision made here, never taken silently as "no lock": ``acquire`` answers
``degraded`` (no hold is kept; the claim goes on under the database's guarantee),
``release`` gives up quietly (the lock expires by itself), one warning is logged per
outage, and for ``LOCK_STORE_RETRY_SECONDS`` after a failure the store is not asked at
all, so an outage costs each request nothing.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "roomclaim:lock:"
REGISTRY_KEY = "roomclaim:locks"


@dataclass(frozen=True)
class Lock:
    room_id: int
    start: datetime
    end: datetime
    holder_id: int
    expires_at: datetime


@dataclass(frozen=True)
class Attempt:
    """What ``acquire`` found: the lock is ours, or someone else's. ``degraded``: the
    lock store could not be reached, so nothing is held (the claim is still safe)."""

    acquired: bool
    lock: Lock
    degraded: bool = False


UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, OSError)


class Outage:
    """Whether the lock store is thought to be down, with one log line per outage."""

    def __init__(self) -> None:
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
                logger.warning(
                    "Lock store unreachable (%s); holds are off and claims go on under the "
                    "database's guarantee until it is back",
                    error,
                )

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._mutex:
            if self._down_since is not None:
                logger.warning("Lock store reachable again after %.1f s", time.monotonic() - self._down_since)
                self._down_since = None


outage = Outage()


def _call(operation, *args):
    """Run one lock store operation; ``None`` if the store is down (or was just now)."""
    if outage.skip():
        return None
    try:
        answer = operation(*args)
    except UNREACHABLE as error:
        outage.failed(error)
        return None
    outage.succeeded()
    return answer


def lock_key(room_id: int, start: datetime, end: datetime) -> str:
    return f"{KEY_PREFIX}{room_id}:{int(start.timestamp())}:{int(end.timestamp())}"


def _parse_key(key: str) -> tuple[int, datetime, datetime]:
    room_id, start, end = key.removeprefix(KEY_PREFIX).split(":")
    return (
        int(room_id),
        datetime.fromtimestamp(int(start), UTC),
        datetime.fromtimestamp(int(end), UTC),
    )


def _lock(key: str, holder_id: int, expires_at: float) -> Lock:
    room_id, start, end = _parse_key(key)
    return Lock(room_id, start, end, holder_id, datetime.fromtimestamp(expires_at, UTC))


class LocalLockStore:
    """Locks in this process's memory, guarded by a mutex."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._locks: dict[str, tuple[int, float]] = {}

    def acquire(self, key: str, holder_id: int, ttl: float) -> tuple[bool, int, float]:
        now = time.time()
        with self._mutex:
            current = self._locks.get(key)
            if current and current[1] > now and current[0] != holder_id:
                return False, *current
            self._locks[key] = (holder_id, now + ttl)
            return True, holder_id, now + ttl

    def release(self, key: str, holder_id: int) -> bool:
        with self._mutex:
            current = self._locks.get(key)
            if current and current[0] == holder_id:
                del self._locks[key]
                return current[1] > time.time()
            return False

    def active(self) -> list[tuple[str, int, float]]:
        now = time.time()
        with self._mutex:
            return [(key, holder, exp) for key, (holder, exp) in self._locks.items() if exp > now]

    def sweep(self) -> int:
        now = time.time()
        with self._mutex:
            expired = [key for key, (_, exp) in self._locks.items() if exp <= now]
            for key in expired:
                del self._locks[key]
        return len(expired)

    def clear(self) -> None:
        with self._mutex:
            self._locks.clear()


# KEYS: lock, registry. ARGV: holder, ttl (ms), now (ms).
# Returns {acquired (0/1), holder, expiry (ms)}.
_ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then
  return {0, current, tonumber(ARGV[3]) + redis.call('PTTL', KEYS[1])}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local expiry = tonumber(ARGV[3]) + tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], expiry, KEYS[1])
return {1, ARGV[1], expiry}
"""

# KEYS: lock, registry. ARGV: holder. Compare-and-delete: only the holder releases.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], KEYS[1])
  return 1
end
return 0
"""


class RedisLockStore:
    """Locks in Redis, shared by every server process; expiry is Redis's own TTL."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(
            url, socket_timeout=settings.REDIS_TIMEOUT, socket_connect_timeout=settings.REDIS_TIMEOUT
        )
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._release = self._redis.register_script(_RELEASE)

    def acquire(self, key: str, holder_id: int, ttl: float) -> tuple[bool, int, float]:
        now_ms = int(time.time() * 1000)
        ok, holder, expiry_ms = self._acquire(
            keys=[key, REGISTRY_KEY], args=[holder_id, int(ttl * 1000), now_ms]
        )
        return bool(ok), int(holder), expiry_ms / 1000

    def release(self, key: str, holder_id: int) -> bool:
        return bool(self._release(keys=[key, REGISTRY_KEY], args=[holder_id]))

    def active(self) -> list[tuple[str, int, float]]:
        now_ms = int(time.time() * 1000)
        entries = self._redis.zrangebyscore(REGISTRY_KEY, now_ms, "+inf", withscores=True)
        if not entries:
            return []
        holders = self._redis.mget([key for key, _ in entries])
        return [
            (key.decode(), int(holder), score / 1000)
            for (key, score), holder in zip(entries, holders, strict=True)
            if holder is not None
        ]

    def sweep(self) -> int:
        now_ms = int(time.time() * 1000)
        return self._redis.zremrangebyscore(REGISTRY_KEY, "-inf", now_ms)

    def clear(self) -> None:
        keys = list(self._redis.scan_iter(match=f"{KEY_PREFIX}*", count=1000))
        self._redis.delete(REGISTRY_KEY, *keys)


@functools.cache
def store() -> LocalLockStore | RedisLockStore:
    if settings.REDIS_URL:
        return RedisLockStore(settings.REDIS_URL)
    return LocalLockStore()


def acquire(
    *, room_id: int, start: datetime, end: datetime, teacher_id: int, ttl: float | None = None
) -> Attempt:
    """Take the lock for this room and period, or renew it if ``teacher_id`` holds it.
    With the store unreachable: ``degraded``, as if acquired, holding nothing."""
    ttl = settings.BOOKING_LOCK_SECONDS if ttl is None else ttl
    key = lock_key(room_id, start, end)
    answer = _call(store().acquire, key, teacher_id, ttl)
    if answer is None:
        return Attempt(True, _lock(key, teacher_id, time.time() + ttl), degraded=True)
    acquired, holder, expires_at = answer
    return Attempt(acquired, _lock(key, holder, expires_at))


def release(*, room_id: int, start: datetime, end: datetime, teacher_id: int) -> bool:
    """Release the lock if ``teacher_id`` holds it; anyone else's lock is left alone.
    Never raises: a lock that cannot be released now expires by itself."""
    return bool(_call(store().release, lock_key(room_id, start, end), teacher_id))


def active_locks() -> list[Lock]:
    """The active locks (none known while the store is unreachable)."""
    return sorted(
        (_lock(key, holder, exp) for key, holder, exp in _call(store().active) or []),
        key=lambda lock: lock.expires_at,
    )


def cleanup_expired() -> int:
    """Remove the registry entries of locks that have expired; return how many."""
    cleaned = _call(store().sweep) or 0
    logger.info("Cleaned up %d expired room locks", cleaned)
    return cleaned
