"""Short booking locks: one teacher at a time may be booking a room for a period.

A lock's key is the room and the exact period, as in the original design: it keeps a
second teacher out while the first has the confirmation dialog open. An overlapping but
different period is not locked out here; the row lock and the overlap check in
``bookings.services`` (and PostgreSQL's exclusion constraint) catch that.

Rules:
- acquiring is atomic; the holder may acquire again (that renews the lock);
- a hold (the dialog's lock, ``rules`` given) is bounded: one teacher holds at most
  ``HOLDS_PER_TEACHER`` at once; a renewal never takes one teacher's holding of one period
  past ``HOLD_LIMIT_SECONDS``, after which that teacher cannot take it again for
  ``BOOKING_LOCK_SECONDS``; and a renewal yields to a waiting line (the first in line
  gets the lock). The claim's own brief lock is not a hold: the holder's claim proceeds;
- a lock lives ``BOOKING_LOCK_SECONDS`` and then vanishes by itself;
- only the holder can release it;
- a registry lists the active locks, and ``cleanup_expired`` sweeps the expired entries.

The lock queue: a teacher who finds the lock taken may wait for it (``acquire(wait=True)``).
Waiters stand in line per lock, first come, first served. A lock with a line is never
free for anyone else: when its holder gives it up (``release``) it passes straight to the
first in line; when it expires, whoever asks next (the line's own re-ask at the holder's
expiry, any other teacher's acquire, the sweeper's ``hand_over_free``) hands it to the
first in line in the same atomic step. When the holder books, ``release(booked=True)``
empties the line and names the waiters, who are told the room is taken. A lock handed on
is reported (``Attempt.handed_to``, ``Release.passed_to``) so the caller can tell its new
holder.

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

from . import metrics

logger = logging.getLogger(__name__)

KEY_PREFIX = "roomclaim:lock:"
REGISTRY_KEY = "roomclaim:locks"
QUEUE_PREFIX = "roomclaim:queue:"
QUEUES_KEY = "roomclaim:queues"
HOLDS_PREFIX = "roomclaim:holds:"  # a teacher's holds: lock -> holding since
COOLING_PREFIX = "roomclaim:cooling:"  # a teacher's lock held to the limit: from when
# A line nobody joined for this long is dropped (Redis memory only: a line empties
# itself as its waiters get the lock or leave).
QUEUE_IDLE_SECONDS = 3600


@dataclass(frozen=True)
class Lock:
    room_id: int
    start: datetime
    end: datetime
    holder_id: int
    expires_at: datetime


@dataclass(frozen=True)
class HoldRules:
    """The bounds on a dialog's hold (``acquire(rules=...)``): at most ``most`` holds per
    teacher at once (0: no bound), one teacher's holding of one period at most ``limit``
    seconds (0: none), then ``cooldown`` seconds before the same teacher may take it again."""

    most: int
    limit: float
    cooldown: float

    @classmethod
    def from_settings(cls) -> HoldRules:
        return cls(settings.HOLDS_PER_TEACHER, settings.HOLD_LIMIT_SECONDS, settings.BOOKING_LOCK_SECONDS)


NO_RULES = HoldRules(0, 0, 0)
# Why a hold was refused although nobody else holds the lock (``Attempt.refused``).
TOO_MANY_HOLDS = "too-many-holds"
HELD_TOO_LONG = "held-too-long"
REFUSALS = {0: "", 1: TOO_MANY_HOLDS, 2: HELD_TOO_LONG}


@dataclass(frozen=True)
class Attempt:
    """What ``acquire`` found: the lock is ours, or someone else's. ``degraded``: the
    lock store could not be reached, so nothing is held (the claim is still safe).
    ``position``: our place in the lock's line (1 = next) when we wait for it.
    ``handed_to``: the lock was free and went to the first in line (``lock`` is then
    theirs): they must be told."""

    acquired: bool
    lock: Lock
    degraded: bool = False
    position: int = 0
    handed_to: Lock | None = None
    refused: str = ""  # TOO_MANY_HOLDS, HELD_TOO_LONG: a bound of the hold, not a holder


@dataclass(frozen=True)
class Release:
    """What ``release`` did: ``released`` the caller's lock; ``passed_to`` the first in
    line, who holds it now; ``waiting``, the line emptied because the room was booked."""

    released: bool
    passed_to: Lock | None = None
    waiting: tuple[int, ...] = ()


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
        metrics.LOCK_STORE_ERRORS.inc()
        outage.failed(error)
        return None
    outage.succeeded()
    return answer


def lock_key(room_id: int, start: datetime, end: datetime) -> str:
    return f"{KEY_PREFIX}{room_id}:{int(start.timestamp())}:{int(end.timestamp())}"


def queue_key(key: str) -> str:
    return QUEUE_PREFIX + key.removeprefix(KEY_PREFIX)


def _lock_key_of(queue: str) -> str:
    return KEY_PREFIX + queue.removeprefix(QUEUE_PREFIX)


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
    """Locks and their lines in this process's memory, guarded by a mutex."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._locks: dict[str, tuple[int, float]] = {}
        self._queues: dict[str, list[int]] = {}
        self._since: dict[tuple[int, str], float] = {}  # (teacher, lock): holding it since
        # (teacher, lock): (from, until), when the teacher may not take it again
        self._cooling: dict[tuple[int, str], tuple[float, float]] = {}

    def _holder(self, key: str, now: float) -> tuple[int, float] | None:
        current = self._locks.get(key)
        return current if current and current[1] > now else None

    def _take(self, key: str, holder_id: int, ttl: float, now: float) -> float:
        self._locks[key] = (holder_id, now + ttl)
        return now + ttl

    def _next_in_line(self, key: str) -> int | None:
        line = self._queues.get(key)
        if not line:
            return None
        head = line.pop(0)
        if not line:
            del self._queues[key]
        return head

    def acquire(
        self, key: str, holder_id: int, ttl: float, wait: bool = False, rules: HoldRules = NO_RULES
    ) -> tuple[bool, int, float, bool, int, int]:
        now = time.time()
        with self._mutex:
            current, handed = self._holder(key, now), False
            renewing = current is not None and current[0] == holder_id
            held_since = self._since.get((holder_id, key))
            # A renewal after a whole hold's time yields to the line (a hold just handed
            # over from the line, or an offer's, is no such renewal).
            if renewing and rules.most and held_since and now - held_since >= ttl and self._queues.get(key):
                head = self._next_in_line(key)
                current, handed, renewing = (head, self._take(key, head, ttl, now)), True, False
            if current is None:
                line = self._queues.get(key) or []
                if line and line[0] != holder_id:
                    head = self._next_in_line(key)
                    current, handed = (head, self._take(key, head, ttl, now)), True
                else:
                    if line:
                        self._next_in_line(key)
                    current = (holder_id, now)
            if current[0] == holder_id:
                refused = self._bounded(key, holder_id, rules, now, renewing)
                if refused:
                    return False, 0, 0.0, handed, 0, refused
                since = self._since.setdefault((holder_id, key), now) if rules.most else now
                if rules.limit:  # held until the limit at most, then a cool-off
                    ends = since + rules.limit
                    ttl = min(ttl, ends - now)
                    self._cooling[holder_id, key] = (ends, ends + rules.cooldown)
                return True, holder_id, self._take(key, holder_id, ttl, now), handed, 0, 0
            position = 0
            if wait:
                line = self._queues.setdefault(key, [])
                if holder_id not in line:
                    line.append(holder_id)
                position = line.index(holder_id) + 1
            return False, current[0], current[1], handed, position, 0

    def _bounded(self, key: str, holder_id: int, rules: HoldRules, now: float, renewing: bool) -> int:
        """Which bound of a hold refuses it (1 too many holds, 2 held too long), or 0.
        A refused renewal ends the hold and cools the teacher off."""
        if not rules.most:
            return 0
        for (teacher, held), _ in list(self._since.items()):
            if self._holder(held, now) is None or self._holder(held, now)[0] != teacher:
                del self._since[(teacher, held)]
        cooling = self._cooling.get((holder_id, key))
        if cooling and cooling[0] <= now < cooling[1]:
            return 2
        if renewing:
            return 0
        if sum(teacher == holder_id for teacher, _ in self._since) >= rules.most:
            return 1
        return 0

    def release(
        self, key: str, holder_id: int, ttl: float, booked: bool
    ) -> tuple[bool, int, float, list[int]]:
        now = time.time()
        with self._mutex:
            released = False
            current = self._locks.get(key)
            if current and current[0] == holder_id:
                del self._locks[key]
                released = current[1] > now
            self._since.pop((holder_id, key), None)
            if current and current[0] == holder_id and current[1] > now:
                self._cooling.pop((holder_id, key), None)  # given up in time: no cool-off
            line = self._queues.get(key)
            if line and holder_id in line:
                line.remove(holder_id)
            if booked:
                return released, 0, 0.0, self._queues.pop(key, [])
            if self._holder(key, now) is None:
                head = self._next_in_line(key)
                if head is not None:
                    return released, head, self._take(key, head, ttl, now), []
            return released, 0, 0.0, []

    def hand_over_free(self, ttl: float) -> list[tuple[str, int, float]]:
        now = time.time()
        handed = []
        with self._mutex:
            for key in list(self._queues):
                if self._holder(key, now) is None:
                    head = self._next_in_line(key)
                    handed.append((key, head, self._take(key, head, ttl, now)))
        return handed

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
            self._queues.clear()
            self._since.clear()
            self._cooling.clear()


# Every script: KEYS lock, registry, line, lines (the set of lines that have waiters).
_HELPERS = """
local lock, registry, line, lines = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local function take(holder, ttl, now)
  redis.call('SET', lock, holder, 'PX', ttl)
  redis.call('ZADD', registry, now + ttl, lock)
  return now + ttl
end
local function next_in_line()
  local head = redis.call('LPOP', line)
  if redis.call('LLEN', line) == 0 then redis.call('SREM', lines, line) end
  return head
end
"""

# KEYS[5]: the holder's holds (lock -> holding since, ms); KEYS[6]: this lock's cool-off.
# ARGV: holder, ttl (ms), now (ms), wait (0/1), idle line ttl (ms), the hold's bounds: most
# holds per teacher (0: not a hold), limit (ms, 0: none), cool-off (ms).
# Returns {acquired (0/1), holder, expiry (ms), handed to the first in line (0/1), position,
# refused by a bound (0, 1 too many holds, 2 held too long)}.
_ACQUIRE = (
    _HELPERS
    + """
local me, ttl, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local holds, cooling = KEYS[5], KEYS[6]
local most, limit, cooloff = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local current = redis.call('GET', lock)
local expiry, handed = 0, 0
local renewing = current == me
local held_since = tonumber(redis.call('ZSCORE', holds, lock))
if renewing and most > 0 and held_since and now - held_since >= ttl and redis.call('LLEN', line) > 0 then
  -- a renewal after a whole hold's time yields to the line (a hold just handed over from
  -- the line, or an offer's, is no such renewal)
  redis.call('ZREM', holds, lock)
  current = next_in_line()
  expiry = take(current, ttl, now)
  handed, renewing = 1, false
elseif current then
  expiry = now + redis.call('PTTL', lock)
else
  local head = redis.call('LINDEX', line, 0)
  if head and head ~= me then
    current = next_in_line()
    expiry = take(current, ttl, now)
    handed = 1
  else
    if head then next_in_line() end
    current = me
  end
end
if current == me then
  if most > 0 then
    local cooled = tonumber(redis.call('GET', cooling))
    if cooled and now >= cooled then return {0, 0, 0, handed, 0, 2} end
    local since = held_since
    if renewing and not since then
      -- a lock that came to this teacher from the line or as an offer: a hold from now
      since = now
      redis.call('ZADD', holds, now, lock)
    end
    if not renewing then
      local mine = 0
      for _, held in ipairs(redis.call('ZRANGE', holds, 0, -1)) do
        if redis.call('GET', held) == me then mine = mine + 1 else redis.call('ZREM', holds, held) end
      end
      if mine >= most then return {0, 0, 0, handed, 0, 1} end
      since = now
      redis.call('ZADD', holds, now, lock)
    end
    -- the teacher's holds outlive their last hold by its limit, no more
    redis.call('PEXPIRE', holds, math.max(limit, ttl) + cooloff)
    if limit > 0 then
      -- held until the limit at most, then a cool-off for this teacher
      ttl = math.min(ttl, since + limit - now)
      redis.call('SET', cooling, since + limit)
      redis.call('PEXPIREAT', cooling, since + limit + cooloff)
    end
  end
  return {1, me, take(me, ttl, now), handed, 0, 0}
end
local position = 0
if ARGV[4] == '1' then
  position = redis.call('LPOS', line, me)
  if not position then
    position = redis.call('RPUSH', line, me) - 1
    redis.call('SADD', lines, line)
  end
  position = position + 1
  redis.call('PEXPIRE', line, ARGV[5])
end
return {0, current, expiry, handed, position, 0}
"""
)

# KEYS[5], KEYS[6]: the holder's holds, the lock's cool-off (given up in time: none).
# ARGV: holder, ttl (ms), now (ms), booked (0/1). Only the
# holder releases the lock; the caller also leaves the line. Booked: the line is emptied
# and returned. Otherwise a free lock passes to the first in line.
# Returns {released (0/1), next holder (0: none), its expiry (ms), {waiters told it is taken}}.
_RELEASE = (
    _HELPERS
    + """
local me, ttl, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local released = 0
if redis.call('GET', lock) == me then
  redis.call('DEL', lock)
  redis.call('ZREM', registry, lock)
  released = 1
end
redis.call('ZREM', KEYS[5], lock)
if released == 1 then redis.call('DEL', KEYS[6]) end
redis.call('LREM', line, 0, me)
if ARGV[4] == '1' then
  local waiting = redis.call('LRANGE', line, 0, -1)
  redis.call('DEL', line)
  redis.call('SREM', lines, line)
  return {released, 0, 0, waiting}
end
if redis.call('EXISTS', lock) == 0 then
  local head = next_in_line()
  if head then return {released, head, take(head, ttl, now), {}} end
end
if redis.call('LLEN', line) == 0 then redis.call('SREM', lines, line) end
return {released, 0, 0, {}}
"""
)

# ARGV: ttl (ms), now (ms). A line whose lock is free: its first waiter gets the lock.
# Returns {holder (0: none), expiry (ms)}.
_HAND_OVER = (
    _HELPERS
    + """
if redis.call('EXISTS', lock) == 1 then return {0, 0} end
local head = next_in_line()
if not head then return {0, 0} end
return {head, take(head, tonumber(ARGV[1]), tonumber(ARGV[2]))}
"""
)


class RedisLockStore:
    """Locks in Redis, shared by every server process; expiry is Redis's own TTL."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(
            url, socket_timeout=settings.REDIS_TIMEOUT, socket_connect_timeout=settings.REDIS_TIMEOUT
        )
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._release = self._redis.register_script(_RELEASE)
        self._hand_over = self._redis.register_script(_HAND_OVER)

    @staticmethod
    def _keys(key: str, holder_id: int | None = None) -> list[str]:
        keys = [key, REGISTRY_KEY, queue_key(key), QUEUES_KEY]
        if holder_id is not None:
            keys += [
                f"{HOLDS_PREFIX}{holder_id}",
                f"{COOLING_PREFIX}{holder_id}:{key.removeprefix(KEY_PREFIX)}",
            ]
        return keys

    def acquire(
        self, key: str, holder_id: int, ttl: float, wait: bool = False, rules: HoldRules = NO_RULES
    ) -> tuple[bool, int, float, bool, int, int]:
        now_ms = int(time.time() * 1000)
        bounds = [rules.most, int(rules.limit * 1000), int(rules.cooldown * 1000)]
        ok, holder, expiry_ms, handed, position, refused = self._acquire(
            keys=self._keys(key, holder_id),
            args=[holder_id, int(ttl * 1000), now_ms, int(wait), QUEUE_IDLE_SECONDS * 1000, *bounds],
        )
        return bool(ok), int(holder), expiry_ms / 1000, bool(handed), position, refused

    def release(
        self, key: str, holder_id: int, ttl: float, booked: bool
    ) -> tuple[bool, int, float, list[int]]:
        now_ms = int(time.time() * 1000)
        released, holder, expiry_ms, waiting = self._release(
            keys=self._keys(key, holder_id), args=[holder_id, int(ttl * 1000), now_ms, int(booked)]
        )
        return bool(released), int(holder), expiry_ms / 1000, [int(waiter) for waiter in waiting]

    def hand_over_free(self, ttl: float) -> list[tuple[str, int, float]]:
        handed = []
        for line in self._redis.smembers(QUEUES_KEY):
            key = _lock_key_of(line.decode())
            holder, expiry_ms = self._hand_over(
                keys=self._keys(key), args=[int(ttl * 1000), int(time.time() * 1000)]
            )
            if int(holder):
                handed.append((key, int(holder), expiry_ms / 1000))
        return handed

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
        keys = [
            key
            for prefix in (KEY_PREFIX, QUEUE_PREFIX, HOLDS_PREFIX, COOLING_PREFIX)
            for key in self._redis.scan_iter(match=f"{prefix}*", count=1000)
        ]
        self._redis.delete(REGISTRY_KEY, QUEUES_KEY, *keys)


@functools.cache
def store() -> LocalLockStore | RedisLockStore:
    if settings.REDIS_URL:
        return RedisLockStore(settings.REDIS_URL)
    return LocalLockStore()


def acquire(
    *,
    room_id: int,
    start: datetime,
    end: datetime,
    teacher_id: int,
    ttl: float | None = None,
    wait: bool = False,
    rules: HoldRules = NO_RULES,
) -> Attempt:
    """Take the lock for this room and period, or renew it if ``teacher_id`` holds it;
    with ``wait``, stand in its line when someone else holds it; with ``rules``, a dialog's
    hold within its bounds (``refused`` says which one it met). With the store
    unreachable: ``degraded``, as if acquired, holding nothing."""
    ttl = settings.BOOKING_LOCK_SECONDS if ttl is None else ttl
    key = lock_key(room_id, start, end)
    answer = _call(store().acquire, key, teacher_id, ttl, wait, rules)
    if answer is None:
        return Attempt(True, _lock(key, teacher_id, time.time() + ttl), degraded=True)
    acquired, holder, expires_at, handed, position, refused = answer
    lock = _lock(key, holder or teacher_id, expires_at)
    handed_to = _lock(key, holder, expires_at) if handed else None
    return Attempt(acquired, lock, position=position, handed_to=handed_to, refused=REFUSALS[refused])


def release(
    *, room_id: int, start: datetime, end: datetime, teacher_id: int, booked: bool = False
) -> Release:
    """Give up the lock if ``teacher_id`` holds it (anyone else's stays) and leave its line;
    a free lock passes to the first in line, or, ``booked``, the line is emptied. Never
    raises: a lock that cannot be released now expires by itself."""
    key = lock_key(room_id, start, end)
    answer = _call(store().release, key, teacher_id, settings.BOOKING_LOCK_SECONDS, booked)
    if answer is None:
        return Release(False)
    released, holder, expires_at, waiting = answer
    return Release(released, _lock(key, holder, expires_at) if holder else None, tuple(waiting))


def hand_over_free() -> list[Lock]:
    """Give every free lock that has a line to its first in line (the sweeper's backstop
    for holds that expired with nobody asking); return the locks handed on."""
    handed = _call(store().hand_over_free, settings.BOOKING_LOCK_SECONDS) or []
    return [_lock(key, holder, expires_at) for key, holder, expires_at in handed]


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
