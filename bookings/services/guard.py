"""The one guarded write: every service that changes bookings (or the waitlist) passes a
short body to ``guarded_write``, which owns the order and the truth of the answer.

1. With a ``claim`` (a slot the actor is taking): the slot's lock, else
   ``BOOKING_CONFLICT`` (a store that is down: degraded, the database decides).
2. One short transaction: the row locks in a fixed order (the teacher whose bookings the
   rules count, then the rooms by id), so two writers never deadlock; then the body (its
   rules, its overlap check, its writes).
3. The COMMIT, its start recorded here and nowhere else: a database failure before it is
   ``SERVICE_BUSY`` (nothing written); one during it is asked again (``find``) until
   ``CLAIM_VERIFY_SECONDS``: found is the answer (``on_found`` redoes the lost after-commit
   work), not found is ``SERVICE_BUSY``, no answer is ``OUTCOME_UNKNOWN``.
4. With a ``claim``: a violated exclusion constraint answered as the overlap check would
   have answered, every conflict recorded and announced, and the lock released once,
   whatever happened (``holds.let_go``).

Nothing after the commit (release, events, offers) can turn a success into an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction

from rooms.models import Room
from teachers.models import Teacher

from ..errors import OUTCOME_UNKNOWN, SERVICE_BUSY, BookingError, database_unavailable
from ..rules import from_now
from .checks import not_available
from .holds import BOOKED, Outcome, acquire_or_conflict, announce_conflict, let_go

logger = logging.getLogger(__name__)

EXCLUSION_VIOLATION = "23P01"

T = TypeVar("T")


@dataclass(frozen=True)
class Claim:
    """A slot an actor takes under its lock: the teacher who books, or the member of staff
    booking for them (who holds the lock and hears the conflicts)."""

    actor: Teacher
    room_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Rows:
    """The rows a write locks before its body runs, always in this order: the teacher
    whose bookings the rules count (``None``: no count, no lock), then the rooms by id."""

    teacher: Teacher | None = None
    room_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Locked:
    """What the body gets: the rooms it asked for, row-locked (a missing id is absent)."""

    rooms: dict[int, Room]

    def room(self, room_id: int) -> Room | None:
        return self.rooms.get(room_id)


def _nothing(found: object) -> None:
    return None


def guarded_write(
    body: Callable[[Locked], T],
    *,
    find: Callable[[], T | None],
    on_found: Callable[[T], None] = _nothing,
    claim: Claim | None = None,
    rows: Rows = Rows(),
) -> T:
    """Run ``body`` as one guarded write (see the module) and return what it returned, or,
    after a COMMIT whose answer was lost, what ``find`` found."""
    if claim is None:
        return _commit(body, rows=rows, find=find, on_found=on_found)
    acquire_or_conflict(teacher=claim.actor, room_id=claim.room_id, start=claim.start, end=claim.end)
    with _claiming(claim):
        return _commit(body, rows=rows, find=find, on_found=on_found)


def _commit(body: Callable[[Locked], T], *, rows: Rows, find: Callable[[], T | None], on_found) -> T:
    committing = False
    try:
        with transaction.atomic():
            result = body(_lock_rows(rows))
            committing = True  # the last step inside: a failure from here on hit the COMMIT
        return result
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        if not committing:
            raise BookingError(SERVICE_BUSY) from exc
        logger.warning("The database failed during COMMIT (%s); looking for the outcome", exc)
        found = _look_again(find)
        if found is None:
            raise BookingError(SERVICE_BUSY) from exc
        on_found(found)
        return found


def _lock_rows(rows: Rows) -> Locked:
    """The teacher's row first, then the rooms' by id: concurrent claims on a room (other
    periods, other processes) queue here, so the checks after it see every commit."""
    if rows.teacher is not None:
        list(Teacher.objects.select_for_update().filter(pk=rows.teacher.pk).values_list("pk"))
    if not rows.room_ids:
        return Locked({})
    locked = Room.objects.select_for_update(of=("self",)).filter(pk__in=rows.room_ids).order_by("pk")
    return Locked({room.pk: room for room in locked})


def _look_again(find: Callable[[], T | None]) -> T | None:
    deadline = time.monotonic() + settings.CLAIM_VERIFY_SECONDS
    while True:
        try:
            connection.close()  # the broken connection; the next query takes a fresh one
            return find()
        except DatabaseError as exc:
            if not database_unavailable(exc):
                raise
            if time.monotonic() >= deadline:
                logger.error("Outcome of a write unknown: the database did not answer (%s)", exc)
                raise BookingError(OUTCOME_UNKNOWN) from exc
            time.sleep(0.25)


@contextmanager
def _claiming(claim: Claim) -> Iterator[None]:
    """Around a write whose lock the actor holds: a violated exclusion constraint is
    answered as the overlap check would have answered, every conflict is recorded and
    announced, and the lock is released whatever happened: to the next in its line, or,
    when the period was booked (by this write or another), with the line told so."""
    period = {"room_id": claim.room_id, "start": claim.start, "end": claim.end}
    outcome: Outcome = None
    try:
        yield
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != EXCLUSION_VIOLATION:
            raise
        # The claim relies on it (PostgreSQL inserts at once), or something wrote past the
        # row lock: the database refused the overlap.
        logger.info("Exclusion constraint refused a booking of room %s", claim.room_id)
        outcome = not_available(claim.room_id, start=from_now(claim.start, claim.end), end=claim.end)
        announce_conflict(outcome, teacher=claim.actor, **period)
        raise outcome from exc
    except BookingError as error:
        outcome = error
        announce_conflict(error, teacher=claim.actor, **period)
        raise
    else:
        outcome = BOOKED
    finally:
        let_go(teacher=claim.actor, outcome=outcome, **period)
