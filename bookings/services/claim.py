"""Claim: book one room for one period, the original design's path, through the guard. On
a room that needs approval, the claim is a request (``requests``) that holds the slot the
same way."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection
from django.utils.translation import gettext as _

from rooms.models import Room
from teachers.models import Teacher

from .. import events, notifications
from ..errors import BookingError
from ..models import Booking, Notification, Series
from ..rules import Approval, Limits, approves, from_now, limits_for
from ..waitlist import mark_booked
from .checks import check_counts, check_free, check_in_by, check_room
from .guard import Claim, Locked, Rows, guarded_write
from .requests import announce_requested

logger = logging.getLogger(__name__)


def _database_refuses_overlaps() -> bool:
    """PostgreSQL's exclusion constraint refuses an overlapping booking by itself: there a
    claim inserts at once and looks for the booking in the way only when refused (one round
    trip less on the happy path). Elsewhere (SQLite) it checks before inserting."""
    return connection.vendor == "postgresql"


def booking_create(
    *,
    teacher: Teacher,
    room_id: int,
    start: datetime,
    end: datetime,
    attendees: int | None = None,
    purpose: str = "",
    booked_by: Teacher | None = None,
) -> Booking:
    """Book a room for ``teacher``; ``booked_by``: a member of staff booking it for them
    (who holds the lock and hears the conflicts; the teacher gets the booking, the rules
    and the email). A period under way is booked from now (``from_now``); its hold keeps
    the name of the period asked for. On a room that needs approval the booking is a
    request (status ``requested``), unless the teacher or who books for them approves."""
    booked_by = for_colleague(teacher, booked_by)
    if not teacher.is_active:
        raise BookingError.invalid("teacher", _("This account is disabled."))
    begins = from_now(start, end)
    limits = limits_for(teacher, room_id)
    approval = approval_needed(limits, room_id=room_id, booked_by=booked_by)

    def claim(locked: Locked) -> Booking:
        room = locked.room(room_id)
        offers = check_room(room, start=begins, end=end, teacher=teacher, attendees=attendees, limits=limits)
        if not _database_refuses_overlaps():
            check_free(room, start=begins, end=end)
        check_counts(limits, teacher=teacher, new=[(begins, end)])
        booking = new_booking(
            room=room,
            teacher=teacher,
            start=begins,
            end=end,
            attendees=attendees,
            purpose=purpose,
            limits=limits,
            booked_by=booked_by,
            approval=approval,
        )
        booking.save(force_insert=True)
        announce_booked([booking], booked_by=booked_by, approval=approval)
        if offers.offered_to_me:
            mark_booked(teacher=teacher, room=room, start=begins, end=end)
        return booking

    mine = Booking.objects.holding().select_related("room", "teacher")
    return guarded_write(
        claim,
        claim=Claim(booked_by or teacher, room_id, start, end),
        rows=Rows(teacher if limits.counts_per_teacher else None, frozenset({room_id})),
        find=lambda: mine.filter(teacher=teacher, room_id=room_id, start=begins, end=end).first(),
        on_found=events.publish_booking_created,
    )


def for_colleague(teacher: Teacher, booked_by: Teacher | None) -> Teacher | None:
    """Who books for ``teacher``: nobody (``None``, their own booking) or a member of staff.
    Only staff may book for someone else."""
    if booked_by is None or booked_by.pk == teacher.pk:
        return None
    if not booked_by.is_staff:
        raise BookingError.invalid("for_teacher", _("Only staff can book a room for someone else."))
    return booked_by


def approval_needed(limits: Limits, *, room_id: int, booked_by: Teacher | None) -> Approval | None:
    """The room's approval when a claim on it is a request: it needs approval and neither
    the teacher nor the colleague booking for them is among its approvers."""
    if not limits.needs_approval or (booked_by is not None and approves(booked_by, room_id)):
        return None
    return limits.approval


def new_booking(
    *,
    room: Room,
    teacher: Teacher,
    start: datetime,
    end: datetime,
    attendees: int | None,
    purpose: str,
    limits: Limits,
    booked_by: Teacher | None,
    series: Series | None = None,
    approval: Approval | None = None,
) -> Booking:
    """An unsaved booking with what every booking gets besides its period: its check-in
    time (where the rules ask for one), who made it for the teacher, and, with an
    ``approval``, its status ``requested`` and by when it is decided."""
    return Booking(
        status=Booking.Status.REQUESTED if approval else Booking.Status.CONFIRMED,
        decide_by=approval.decide_by(start) if approval else None,
        room=room,
        teacher=teacher,
        start=start,
        end=end,
        attendees=attendees,
        purpose=purpose,
        series=series,
        check_in_by=check_in_by(limits, start),
        booked_by=booked_by,
    )


def announce_booked(
    bookings: list[Booking], *, booked_by: Teacher | None, approval: Approval | None = None
) -> None:
    """After commit: each booking's ``bookingCreated`` (a request's ``bookingRequested``),
    and one mail (for a series, about its first date): to the teacher, or, for a request,
    to its approvers. The caller has written the bookings."""
    for booking in bookings:
        events.publish_booking_created(booking)
    first = bookings[0]
    if approval is not None:
        announce_requested(first, approval, dates=len(bookings))
    else:
        kind = Notification.Kind.BOOKED_FOR_YOU if booked_by else Notification.Kind.BOOKING_CONFIRMED
        notifications.enqueue(teacher=first.teacher, kind=kind, booking=first)
    logger.info(
        "Booking %s: %s booked %s %s-%s (%d dates)",
        first.pk,
        first.teacher.username,
        first.room.name,
        first.start,
        first.end,
        len(bookings),
    )
