"""Holds: the 30 s lock a teacher's claim dialog keeps on a room and period, its line, and
the one way a hold is let go (``let_go``), which tells whoever that concerns."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import Enum

from django.db import DatabaseError
from django.utils import timezone

from rooms.models import Room
from teachers.models import Teacher

from .. import events, locks, metrics
from ..errors import (
    BOOKING_CONFLICT,
    HELD_TOO_LONG,
    ROOM_NOT_AVAILABLE,
    ROOM_NOT_FOUND,
    TOO_MANY_HOLDS,
    BookingError,
    database_unavailable,
)
from ..models import Conflict
from ..rules import CONFLICT_RECORD_WINDOW, from_now, limits_for
from .checks import check_free, check_room, not_available

logger = logging.getLogger(__name__)


class Booked(Enum):
    """The outcome of a claim that booked its period."""

    BOOKED = "booked"


BOOKED = Booked.BOOKED
# What a hold was let go after: booked, an error, or nothing (given up, dialog closed).
Outcome = BookingError | Booked | None
# The errors that end the wait of everyone in a hold's line: the period cannot be had.
ENDS_THE_WAIT = frozenset({ROOM_NOT_AVAILABLE, ROOM_NOT_FOUND})


def booking_hold(
    *, teacher: Teacher, room_id: int, start: datetime, end: datetime, wait: bool = False
) -> locks.Attempt:
    """Take the hold while the teacher confirms; fail early if the room is taken.
    ``degraded`` in the answer: the lock store is unreachable, so nothing is held, and the
    claim will be decided by the database alone.

    ``wait``: if another teacher holds it, stand in its line instead of failing
    (``position`` in the answer); the hold comes to the teacher when it is their turn,
    announced by ``roomAvailable``. Waiting for a room that is booked is refused as any
    claim of it would be."""
    rules = locks.HoldRules.from_settings()
    if wait:
        _check_bookable(room_id, start=start, end=end, teacher=teacher)
        attempt = locks.acquire(
            room_id=room_id, start=start, end=end, teacher_id=teacher.pk, wait=True, rules=rules
        )
        announce_handover(attempt.handed_to)
        _refuse_bounded(attempt)
        if attempt.acquired and not attempt.degraded:
            events.publish_hold_changed(room_id=room_id, start=start, end=end, held=True)
        return attempt
    attempt = acquire_or_conflict(teacher=teacher, room_id=room_id, start=start, end=end, rules=rules)
    try:
        _check_bookable(room_id, start=start, end=end, teacher=teacher)
    except BookingError as error:
        let_go(teacher=teacher, room_id=room_id, start=start, end=end, outcome=error)
        raise
    except Exception:  # the database failed: hold nothing for an answer that is an error
        let_go(teacher=teacher, room_id=room_id, start=start, end=end)
        raise
    if not attempt.degraded:
        events.publish_hold_changed(room_id=room_id, start=start, end=end, held=True)
    return attempt


def _check_bookable(room_id: int, *, start: datetime, end: datetime, teacher: Teacher) -> None:
    """The checks of a hold (the claim makes them again under the row lock), for the part
    of the period still to come."""
    begins = from_now(start, end)
    try:
        room = Room.objects.filter(pk=room_id).first()
        check_room(room, start=begins, end=end, teacher=teacher, limits=limits_for(teacher, room_id))
        check_free(room, start=begins, end=end)
    except BookingError as error:
        announce_conflict(error, teacher=teacher, room_id=room_id, start=start, end=end)
        raise


def booking_release(*, teacher: Teacher, room_id: int, start: datetime, end: datetime) -> bool:
    """Give up the teacher's hold (dialog cancelled) or their place in its line; the hold
    passes to the first in line. Another teacher's hold stays."""
    return let_go(teacher=teacher, room_id=room_id, start=start, end=end).released


def hand_over_expired_holds() -> int:
    """Holds that expired with teachers in line and nobody asking since: each passes to
    its first in line, who is told (the sweeper's backstop; a waiting dialog asks by
    itself when the hold it waits for ends)."""
    handed = locks.hand_over_free()
    for lock in handed:
        announce_handover(lock)
    return len(handed)


def let_go(
    *, teacher: Teacher, room_id: int, start: datetime, end: datetime, outcome: Outcome = None
) -> locks.Release:
    """Release the teacher's hold (or a waitlist offer's, which is a hold too). If
    ``outcome`` says the period is now booked (``BOOKED``) or cannot be had (an error that
    ends the wait), everyone in the line is told so; otherwise the hold passes to the first
    in line, who is told. The only way a hold is let go."""
    ends_wait = outcome is BOOKED or (isinstance(outcome, BookingError) and outcome.code in ENDS_THE_WAIT)
    release = locks.release(room_id=room_id, start=start, end=end, teacher_id=teacher.pk, booked=ends_wait)
    announce_handover(release.passed_to)
    if release.released and release.passed_to is None and outcome is not BOOKED:  # a booking says so itself
        events.publish_hold_changed(room_id=room_id, start=start, end=end, held=False)
    if release.waiting:
        error = outcome if isinstance(outcome, BookingError) else _who_booked(room_id, start=start, end=end)
        for teacher_id in release.waiting:
            events.publish_conflict(error, room_id=room_id, start=start, end=end, teacher_id=teacher_id)
    return release


def _who_booked(room_id: int, *, start: datetime, end: datetime) -> BookingError:
    """What the line is told once the period is booked. This runs after the booking has
    committed: a database that fails now must not turn that success into an error, so the
    line gets the message without the holder's name instead."""
    try:
        return not_available(room_id, start=from_now(start, end), end=end)
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        logger.warning("Could not look up who booked room %s for its line: %s", room_id, exc)
        return BookingError(ROOM_NOT_AVAILABLE)


def announce_handover(lock: locks.Lock | None) -> None:
    """A hold passed to the first in its line: tell them, in every tab they have open."""
    if lock is not None:
        events.publish_hold_passed(lock)


def _refuse_bounded(attempt: locks.Attempt) -> None:
    """A hold refused by its own bounds (not by another holder) says which."""
    if attempt.refused == locks.TOO_MANY_HOLDS:
        raise BookingError(TOO_MANY_HOLDS)
    if attempt.refused == locks.HELD_TOO_LONG:
        raise BookingError(HELD_TOO_LONG)


def acquire_or_conflict(
    *,
    teacher: Teacher,
    room_id: int,
    start: datetime,
    end: datetime,
    rules: locks.HoldRules = locks.NO_RULES,
) -> locks.Attempt:
    attempt = locks.acquire(room_id=room_id, start=start, end=end, teacher_id=teacher.pk, rules=rules)
    announce_handover(attempt.handed_to)
    _refuse_bounded(attempt)
    if not attempt.acquired:
        metrics.LOCK_CONFLICTS.inc()
        error = BookingError(BOOKING_CONFLICT)
        announce_conflict(error, teacher=teacher, room_id=room_id, start=start, end=end)
        raise error
    return attempt


def announce_conflict(
    error: BookingError, *, teacher: Teacher, room_id: int, start: datetime, end: datetime
) -> None:
    """Record the conflict (for the analytics) and tell the teacher. Recording is best
    effort: a database that fails here must not change the answer. (What the teacher could
    have instead is asked for by the page afterwards: ``views.booking.alternatives``, so
    forty losers of one race do not each run a search.)"""
    if not error.is_conflict:
        return
    try:
        # Once per teacher and room in a while: demand, not the number of clicks (nor of
        # periods one teacher tries on a room that is taken).
        recent = Conflict.objects.filter(
            room_id=room_id, teacher=teacher, created_at__gt=timezone.now() - CONFLICT_RECORD_WINDOW
        )
        if not recent.exists():
            Conflict.objects.create(room_id=room_id, teacher=teacher, start=start, end=end, code=error.code)
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        logger.warning("Could not record a conflict on room %s: %s", room_id, exc)
    events.publish_conflict(error, room_id=room_id, start=start, end=end, teacher_id=teacher.pk)
