"""Locks and their lines in this process's memory: right for a single process (``make
run``), where no other process could see them anyway."""

from __future__ import annotations

import threading
import time

from .base import NO_RULES, Freed, Granted, Held, HoldRules


class LocalLockStore:
    """Locks and their lines in this process's memory, guarded by a mutex."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._locks: dict[str, tuple[int, float]] = {}
        self._lines: dict[str, list[int]] = {}
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
        line = self._lines.get(key)
        if not line:
            return None
        head = line.pop(0)
        if not line:
            del self._lines[key]
        return head

    def acquire(
        self, key: str, holder_id: int, ttl: float, wait: bool = False, rules: HoldRules = NO_RULES
    ) -> Granted:
        now = time.time()
        with self._mutex:
            current, handed = self._holder(key, now), False
            renewing = current is not None and current[0] == holder_id
            held_since = self._since.get((holder_id, key))
            # A renewal after a whole hold's time yields to the line (a hold just handed
            # over from the line, or an offer's, is no such renewal).
            if renewing and rules.most and held_since and now - held_since >= ttl and self._lines.get(key):
                head = self._next_in_line(key)
                current, handed, renewing = (head, self._take(key, head, ttl, now)), True, False
            if current is None:
                line = self._lines.get(key) or []
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
                    return Granted(False, 0, 0.0, handed, 0, refused)
                since = self._since.setdefault((holder_id, key), now) if rules.most else now
                if rules.limit:  # held until the limit at most, then a cool-off
                    ends = since + rules.limit
                    ttl = min(ttl, ends - now)
                    self._cooling[holder_id, key] = (ends, ends + rules.cooldown)
                return Granted(True, holder_id, self._take(key, holder_id, ttl, now), handed)
            position = 0
            if wait:
                line = self._lines.setdefault(key, [])
                if holder_id not in line:
                    line.append(holder_id)
                position = line.index(holder_id) + 1
            return Granted(False, current[0], current[1], handed, position)

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

    def release(self, key: str, holder_id: int, ttl: float, booked: bool) -> Freed:
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
            line = self._lines.get(key)
            if line and holder_id in line:
                line.remove(holder_id)
            if booked:
                return Freed(released, waiting=tuple(self._lines.pop(key, [])))
            if self._holder(key, now) is None:
                head = self._next_in_line(key)
                if head is not None:
                    return Freed(released, head, self._take(key, head, ttl, now))
            return Freed(released)

    def hand_over_free(self, ttl: float) -> list[Held]:
        now = time.time()
        handed = []
        with self._mutex:
            for key in list(self._lines):
                if self._holder(key, now) is None:
                    head = self._next_in_line(key)
                    handed.append(Held(key, head, self._take(key, head, ttl, now)))
        return handed

    def active(self) -> list[Held]:
        now = time.time()
        with self._mutex:
            return [Held(key, holder, exp) for key, (holder, exp) in self._locks.items() if exp > now]

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
            self._lines.clear()
            self._since.clear()
            self._cooling.clear()
