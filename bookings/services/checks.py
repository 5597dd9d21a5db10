"""What a write checks under its row locks before it writes: the room, the school
calendar, the school's rules, the seats, the waitlist's offers, the teacher's counts and
the overlap. Each check raises the ``BookingError`` a teacher is shown."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from rooms.models import Room
from rooms.schoolcalendar import calendar
from teachers.models import Teacher

from ..errors import INVALID_INPUT, MESSAGES, ROOM_NOT_AVAILABLE, ROOM_NOT_FOUND, BookingError
from ..models import Booking
from ..rules import Limits, approves, attendees_error, count_errors, limit_errors
from ..waitlist import Offers, offers_on


def check_room(
    room: Room | None,
    *,
    start: datetime,
    end: datetime,
    teacher: Teacher,
    limits: Limits,
    attendees: int | None = None,
    dates_checked: bool = True,
) -> Offers:
    """The room exists, is open and bookable then (the school calendar), the school's
    rules allow the booking, it seats the attendees, and it is not held for someone else
    by a waitlist offer. Returns what the offers mean for this teacher. ``dates_checked``
    off: a series, whose closed dates are skipped rather than refused."""
    if room is None:
        raise BookingError(ROOM_NOT_FOUND)
    if not room.is_active:
        raise BookingError(ROOM_NOT_AVAILABLE)
    if dates_checked and (reason := calendar().closed_reason(room, start, end)):
        raise closed(reason)
    if problems := limit_errors(limits, room_name=room.name, start=start, end=end):
        raise BookingError(INVALID_INPUT, errors={field: [message] for field, message in problems.items()})
    offers = offers_on(room, teacher=teacher, start=start, end=end)
    if offers.held_until is not None:
        until = timezone.localtime(offers.held_until)
        raise BookingError(
            ROOM_NOT_AVAILABLE,
            _("Room is held for a teacher on the waitlist until %(time)s") % {"time": f"{until:%H:%M}"},
        )
    check_seats(room, attendees)
    return offers


def check_direct(limits: Limits, room: Room | None, *, actor: Teacher) -> None:
    """A change that gives a booking a new room or time (a move, a series' change) books
    it directly: on a room that needs approval only its approvers may (anyone else cancels
    and requests the room instead)."""
    if room is not None and limits.needs_approval and not approves(actor, room.pk):
        message = _("%(room)s needs approval by %(group)s: request it from the search instead.")
        raise BookingError.invalid("room", message % {"room": room.name, "group": limits.approval.group})


def check_seats(room: Room, attendees: int | None) -> None:
    if attendees is not None and attendees > room.capacity:
        raise BookingError.invalid("attendees", attendees_error(room, attendees))


def closed(reason: str) -> BookingError:
    return BookingError(ROOM_NOT_AVAILABLE, f"{MESSAGES[ROOM_NOT_AVAILABLE]}: {reason}")


def check_counts(
    limits: Limits, *, teacher: Teacher, new: list[tuple[datetime, datetime]], moving: Booking | None = None
) -> None:
    """The school's limits on a teacher's bookings (per day, per week, ahead), counted
    under the teacher's row lock (``Rows.teacher``)."""
    if limits.counts_per_teacher and (
        problems := count_errors(limits, teacher=teacher, new=new, moving=moving)
    ):
        raise BookingError(INVALID_INPUT, errors={field: [message] for field, message in problems.items()})


def check_in_by(limits: Limits, start: datetime) -> datetime | None:
    return start + timedelta(minutes=limits.check_in_minutes) if limits.check_in_minutes else None


def check_free(room: Room, *, start: datetime, end: datetime, moving: Booking | None = None) -> None:
    """No booking or request of ``room`` overlaps the period (but the one being moved)."""
    clashes = room.bookings.overlapping(start, end)
    if moving is not None:
        clashes = clashes.exclude(pk=moving.pk)
    clash = clashes.select_related("teacher").order_by("start").first()
    if clash is not None:
        raise BookingError.booked_by(clash)


def not_available(room_id: int, *, start: datetime, end: datetime) -> BookingError:
    """The error for a period that is taken: who has it, when that can still be read."""
    clash = (
        Booking.objects.overlapping(start, end)
        .filter(room_id=room_id)
        .select_related("teacher")
        .order_by("start")
        .first()
    )
    return BookingError.booked_by(clash) if clash else BookingError(ROOM_NOT_AVAILABLE)
