"""Joining and leaving the waitlist of a booked room, through the guard. (The offers
themselves, made after a cancellation commits, are ``bookings.waitlist``'s.)"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rooms.models import Room
from teachers.models import Teacher

from ..errors import BOOKING_NOT_FOUND, ROOM_NOT_FOUND, BookingError
from ..models import WaitlistEntry
from ..rules import MAX_WAITING_PER_TEACHER, from_now
from ..waitlist import offer_after_commit
from .guard import Locked, guarded_write
from .holds import let_go


def waitlist_join(
    *, teacher: Teacher, room_id: int, start: datetime, end: datetime, attendees: int | None = None
) -> WaitlistEntry:
    """Put the teacher on the waitlist for a room and period that someone else has booked
    (of a period under way: for the rest of it). Joining twice is harmless."""
    active = WaitlistEntry.objects.filter(
        teacher=teacher, room_id=room_id, start=start, end=end, status__in=WaitlistEntry.ACTIVE
    )

    def join(locked: Locked) -> WaitlistEntry:
        room = Room.objects.filter(pk=room_id).first()
        if room is None:
            raise BookingError(ROOM_NOT_FOUND)
        if not room.bookings.overlapping(from_now(start, end), end).exclude(teacher=teacher).exists():
            raise BookingError.invalid("start", _("The room is free for this period: claim it instead."))
        waiting = teacher.waitlist.filter(status__in=WaitlistEntry.ACTIVE, end__gt=timezone.now())
        if waiting.exclude(room=room, start=start, end=end).count() >= MAX_WAITING_PER_TEACHER:
            raise BookingError.invalid(
                "start",
                _("You are waiting for %(most)d rooms already; leave one first.")
                % {"most": MAX_WAITING_PER_TEACHER},
            )
        try:
            with transaction.atomic():  # a savepoint: a second join meets the unique entry
                return WaitlistEntry.objects.create(
                    teacher=teacher, room=room, start=start, end=end, attendees=attendees
                )
        except IntegrityError:
            return active.get()

    return guarded_write(join, find=active.first)


class _Left(NamedTuple):
    entry: WaitlistEntry
    was_offered: bool  # the entry held an offer: its hold is let go, the next one offered


def waitlist_leave(*, teacher: Teacher, entry_id: int) -> WaitlistEntry:
    def leave(locked: Locked) -> _Left:
        entry = (
            WaitlistEntry.objects.select_for_update()
            .filter(pk=entry_id, teacher=teacher, status__in=WaitlistEntry.ACTIVE)
            .first()
        )
        if entry is None:
            raise BookingError(BOOKING_NOT_FOUND, _("Waitlist entry not found"))
        was_offered = entry.status == WaitlistEntry.Status.OFFERED
        entry.status = WaitlistEntry.Status.LEFT
        entry.save(update_fields=["status"])
        return _Left(entry, was_offered)

    def find() -> _Left | None:
        entry = WaitlistEntry.objects.filter(
            pk=entry_id, teacher=teacher, status=WaitlistEntry.Status.LEFT
        ).first()
        return (
            None if entry is None else _Left(entry, was_offered=False)
        )  # its offer's hold expires by itself

    entry, was_offered = guarded_write(leave, find=find)
    if was_offered:  # the offer's hold first, so the next offer can take it
        let_go(teacher=teacher, room_id=entry.room_id, start=entry.start, end=entry.end)
        offer_after_commit(room_id=entry.room_id, start=entry.start, end=entry.end)
    return entry
