"""What every lock store shares: the keys, the bounds of a hold, and the typed answers of
the ``LockStore`` protocol that ``local.LocalLockStore`` and ``redis.RedisLockStore``
implement (one contract test class runs against both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from django.conf import settings

KEY_PREFIX = "roomclaim:lock:"
REGISTRY_KEY = "roomclaim:locks"
LINE_PREFIX = "roomclaim:queue:"  # (the keys keep their first names: a deploy keeps its lines)
LINES_KEY = "roomclaim:queues"
HOLDS_PREFIX = "roomclaim:holds:"  # a teacher's holds: lock -> holding since
COOLING_PREFIX = "roomclaim:cooling:"  # a teacher's lock held to the limit: from when
# A line nobody joined for this long is dropped (Redis memory only: a line empties
# itself as its waiters get the lock or leave).
LINE_IDLE_SECONDS = 3600


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


class Granted(NamedTuple):
    """A store's answer to ``acquire``: ``holder`` has the lock until ``expires_at``;
    ``handed``, it was free and went to the first in line; ``position`` in the line of a
    teacher who waits; ``refused`` 1 (too many holds) or 2 (held too long), else 0."""

    acquired: bool
    holder: int
    expires_at: float
    handed: bool = False
    position: int = 0
    refused: int = 0


class Freed(NamedTuple):
    """A store's answer to ``release``: the caller's lock ``released``; the first in line
    (``holder``, until ``expires_at``) holds it now, or 0; ``waiting``: the line emptied
    because the period was booked."""

    released: bool
    holder: int = 0
    expires_at: float = 0.0
    waiting: tuple[int, ...] = ()


class Held(NamedTuple):
    key: str
    holder: int
    expires_at: float


class LockStore(Protocol):
    def acquire(
        self, key: str, holder_id: int, ttl: float, wait: bool = False, rules: HoldRules = ...
    ) -> Granted: ...

    def release(self, key: str, holder_id: int, ttl: float, booked: bool) -> Freed: ...

    def hand_over_free(self, ttl: float) -> list[Held]: ...

    def active(self) -> list[Held]: ...

    def sweep(self) -> int: ...

    def clear(self) -> None: ...


def lock_key(room_id: int, start: datetime, end: datetime) -> str:
    return f"{KEY_PREFIX}{room_id}:{int(start.timestamp())}:{int(end.timestamp())}"


def line_key(key: str) -> str:
    return LINE_PREFIX + key.removeprefix(KEY_PREFIX)


def lock_key_of(line: str) -> str:
    return KEY_PREFIX + line.removeprefix(LINE_PREFIX)
