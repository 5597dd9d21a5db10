"""What a room's door display shows (``/rooms/<id>/display/``): the room now, what comes
next and the rest of the day, read for nobody in particular (the tablet by the door has no
teacher signed in). Names only where the school shows them (``TIMETABLE_SHOWS_NAMES``).

A query for the room's bookings for the rest of the day (lessons and requests among them,
with their teachers), a read of the lock store for a hold, and for a free room the door's
own checks (``availability.free_now``); the calendar is in memory.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Literal

from django.conf import settings
from django.utils import timezone

from rooms.models import Room
from rooms.schoolcalendar import calendar

from . import locks
from .availability import FreeNow, free_now
from .models import Booking, overlapping_q

# What a booking of the day is: a booking, a request awaiting approval, or a lesson of the
# school's timetable.
Kind = Literal["booked", "requested", "lesson"]
# What the room is now: one of those, free, held (someone is booking it, or it is offered
# to a teacher on the waitlist) or closed.
State = Literal["free", "booked", "requested", "lesson", "held", "closed"]


@dataclass(frozen=True)
class Slot:
    """A booking, a request or a lesson of the room today."""

    booking_id: int
    start: datetime
    end: datetime
    kind: Kind
    title: str  # its purpose, or the lesson's title
    who: str  # the teacher's name; "" where the school shows no names
    check_in_by: datetime | None
    checked_in_at: datetime | None

    @property
    def waits_for_check_in(self) -> bool:
        return self.check_in_by is not None and self.checked_in_at is None


@dataclass(frozen=True)
class RoomDay:
    room: Room
    now: datetime
    state: State
    current: Slot | None = None  # the booking under way
    reason: str = ""  # why the room is closed now
    free_until: datetime | None = None  # when the free room is taken next today (None: not today)
    bookable: FreeNow | None = None  # the period a teacher at the door can claim now
    coming: list[Slot] = field(default_factory=list)  # the rest of the day, soonest first

    @property
    def next(self) -> Slot | None:
        return self.coming[0] if self.coming else None

    @property
    def later(self) -> list[Slot]:
        return self.coming[1:]


def room_day(room: Room) -> RoomDay:
    now = timezone.now()
    local = timezone.localtime(now)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), local.tzinfo)
    names = settings.TIMETABLE_SHOWS_NAMES
    rows = (
        Booking.objects.holding()
        .filter(overlapping_q(now, midnight), room=room)
        .select_related("teacher")
        .order_by("start")
    )
    slots = [_slot(booking, names=names) for booking in rows]
    current = next((slot for slot in slots if slot.start <= now), None)
    coming = [slot for slot in slots if slot.start > now]
    day = RoomDay(room, now, "free", coming=coming)
    if current is not None:
        return replace(day, state=current.kind, current=current)
    reason = calendar().closed_reason(room, now, now + timedelta(minutes=1))
    if reason:
        return replace(day, state="closed", reason=reason)
    if any(lock.room_id == room.pk and lock.start <= now < lock.end for lock in locks.active_locks()):
        return replace(day, state="held")
    bookable = free_now(room, teacher=None)
    if bookable is None and not coming:
        # Free, yet not to be claimed from the door: an offer to a teacher on the waitlist
        # holds it (a closure later in the period would have been said above).
        return replace(day, state="held")
    return replace(day, free_until=coming[0].start if coming else None, bookable=bookable)


def _slot(booking: Booking, *, names: bool) -> Slot:
    kind: Kind
    if booking.lesson_id:
        kind = "lesson"
    elif booking.is_requested:
        kind = "requested"
    else:
        kind = "booked"
    return Slot(
        booking_id=booking.pk,
        start=booking.start,
        end=booking.end,
        kind=kind,
        title=booking.purpose,
        who=booking.teacher.name if names else "",
        check_in_by=booking.check_in_by,
        checked_in_at=booking.checked_in_at,
    )


def room_shown(room_id: int, key: str) -> Room | None:
    """The active room whose display key ``key`` is; None for any other key (another
    room's too), so a wrong address says nothing about which rooms exist."""
    room = Room.objects.filter(pk=room_id, is_active=True).select_related("building").first()
    if room is None or not key or not secrets.compare_digest(room.display_key.encode(), key.encode()):
        return None
    return room
