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

The line: a teacher who finds the lock taken may wait for it (``acquire(wait=True)``).
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
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from config.outage import UNREACHABLE, Outage

from .. import metrics
from .base import KEY_PREFIX, NO_RULES, HoldRules, LockStore, lock_key
from .local import LocalLockStore
from .redis import RedisLockStore

__all__ = [
    "HELD_TOO_LONG",
    "NO_RULES",
    "TOO_MANY_HOLDS",
    "Attempt",
    "HoldRules",
    "LocalLockStore",
    "Lock",
    "LockStore",
    "RedisLockStore",
    "Release",
    "acquire",
    "active_locks",
    "cleanup_expired",
    "hand_over_free",
    "lock_key",
    "outage",
    "release",
    "store",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lock:
    room_id: int
    start: datetime
    end: datetime
    holder_id: int
    expires_at: datetime


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


outage = Outage(
    logger,
    "Lock store",
    "holds are off and claims go on under the database's guarantee",
)


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


@functools.cache
def store() -> LockStore:
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
    lock = _lock(key, answer.holder or teacher_id, answer.expires_at)
    handed_to = _lock(key, answer.holder, answer.expires_at) if answer.handed else None
    return Attempt(
        answer.acquired, lock, position=answer.position, handed_to=handed_to, refused=REFUSALS[answer.refused]
    )


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
    passed_to = _lock(key, answer.holder, answer.expires_at) if answer.holder else None
    return Release(answer.released, passed_to, answer.waiting)


def hand_over_free() -> list[Lock]:
    """Give every free lock that has a line to its first in line (the sweeper's backstop
    for holds that expired with nobody asking); return the locks handed on."""
    handed = _call(store().hand_over_free, settings.BOOKING_LOCK_SECONDS) or []
    return [_lock(*held) for held in handed]


def active_locks() -> list[Lock]:
    """The active locks (none known while the store is unreachable)."""
    return sorted(
        (_lock(*held) for held in _call(store().active) or []),
        key=lambda lock: lock.expires_at,
    )


def cleanup_expired() -> int:
    """Remove the registry entries of locks that have expired; return how many."""
    cleaned = _call(store().sweep) or 0
    logger.info("Cleaned up %d expired room locks", cleaned)
    return cleaned
