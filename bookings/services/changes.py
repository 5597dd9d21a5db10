"""Changing a booking after it is made: cancel it, or move it to another room or period,
each through the guard."""

from __future__ import annotations

import copy
import logging
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from teachers.models import Teacher

from .. import events, notifications
from ..errors import BOOKING_NOT_FOUND, BookingError
from ..models import Booking, Notification
from ..rules import from_now, limits_for
from ..waitlist import offer_after_commit
from .checks import check_counts, check_direct, check_free, check_in_by, check_room, check_seats
from .guard import Claim, Locked, Rows, guarded_write

logger = logging.getLogger(__name__)


def booking_cancel(*, booking_id: int, teacher: Teacher, as_admin: bool = False) -> Booking:
    """Cancel a booking (or withdraw a request) and free its slot: a teacher their own
    upcoming one; with ``as_admin``, a member of staff anyone's (the teacher is told by
    mail)."""
    if as_admin and not (teacher.is_staff or teacher.is_superuser):
        raise BookingError(BOOKING_NOT_FOUND)

    def cancel(locked: Locked) -> Booking:
        bookings = Booking.objects.select_for_update(of=("self",)).select_related("room", "teacher")
        if not as_admin:
            bookings = bookings.filter(teacher=teacher)
        booking = bookings.filter(pk=booking_id).first()
        if booking is None:
            raise BookingError(BOOKING_NOT_FOUND)
        if not booking.holds_slot:  # cancelled, released or declined already
            return booking
        if booking.end <= timezone.now() and not as_admin:
            raise BookingError.invalid("booking", _("A booking that has ended cannot be cancelled."))
        cancel_booking(booking, alone=True)
        if as_admin and booking.teacher_id != teacher.pk:
            notifications.enqueue(
                teacher=booking.teacher, kind=Notification.Kind.CANCELLED_BY_ADMIN, booking=booking
            )
        return booking

    cancelled = Booking.objects.filter(pk=booking_id, status=Booking.Status.CANCELLED)
    return guarded_write(
        cancel, find=lambda: cancelled.select_related("room", "teacher").first(), on_found=after_cancel
    )


def cancel_booking(
    booking: Booking, *, status: Booking.Status = Booking.Status.CANCELLED, alone: bool = False
) -> None:
    """Cancel (or release) a booking whose row lock the caller holds; after commit, announce
    it and offer the freed period to the waitlist. ``alone``: cancelled by itself, which a
    date of a series then stays (a change of the series never brings it back)."""
    booking.status = status
    booking.cancelled_at = timezone.now()
    booking.detached = booking.detached or (alone and booking.series_id is not None)
    booking.save(update_fields=["status", "cancelled_at", "detached"])
    after_cancel(booking)


def after_cancel(booking: Booking) -> None:
    events.publish_booking_cancelled(booking)
    offer_after_commit(room_id=booking.room_id, start=booking.start, end=booking.end)


KEEP = object()  # a move that leaves a detail as it is


def booking_move(
    *,
    booking_id: int,
    actor: Teacher,
    room_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    attendees=KEEP,
    purpose: str | None = None,
) -> Booking:
    """Change an upcoming booking's room, period, attendees or purpose (a teacher their
    own, staff anyone's), at once or not at all: the new slot is claimed under the full
    guard (its lock, both rooms' rows locked in a fixed order so two crossing moves cannot
    deadlock, the rules, the overlap check, the exclusion constraint) and the old one freed
    in the same transaction. After commit: the old slot's ``bookingCancelled`` (status
    ``moved``) and the new one's ``bookingCreated``, and the old slot offered to its
    waitlist."""
    current = Booking.objects.select_related("room", "teacher").filter(pk=booking_id).first()
    if current is None or not (actor.is_staff or (current.teacher_id == actor.pk and not current.lesson_id)):
        raise BookingError(BOOKING_NOT_FOUND)  # a lesson's date is moved by staff only
    room_id, start, end = room_id or current.room_id, start or current.start, end or current.end
    attendees = current.attendees if attendees is KEEP else attendees
    purpose = current.purpose if purpose is None else purpose
    moving = (room_id, start, end) != (current.room_id, current.start, current.end)
    # Moving a booking under way (or to a period under way) moves it from now on.
    begins = from_now(start, end) if moving else start
    teacher = current.teacher
    limits = limits_for(teacher, room_id)

    def move(locked: Locked) -> Booking:
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("room", "teacher")
            .get(pk=booking_id)
        )
        if not booking.is_confirmed:
            raise BookingError.invalid(
                "booking", _("This booking was cancelled; book the room again instead.")
            )
        if booking.end <= timezone.now():
            raise BookingError.invalid("booking", _("A booking that has ended cannot be moved."))
        room = locked.room(room_id)
        if moving:
            check_direct(limits, room, actor=actor)
            check_room(room, start=begins, end=end, teacher=teacher, attendees=attendees, limits=limits)
            check_free(room, start=begins, end=end, moving=booking)
            check_counts(limits, teacher=teacher, new=[(begins, end)], moving=booking)
        else:
            check_seats(room, attendees)
        before = copy.copy(booking)
        booking.detached = booking.series_id is not None  # a series' date changed by itself
        booking.room, booking.start, booking.end = room, begins, end
        booking.attendees, booking.purpose = attendees, purpose
        if moving:
            booking.check_in_by, booking.checked_in_at = check_in_by(limits, begins), None
        booking.save()
        if moving:
            after_move(before, booking)
        if actor.pk != teacher.pk:
            notifications.enqueue(teacher=teacher, kind=Notification.Kind.MOVED, booking=booking)
        return booking

    moved = Booking.objects.select_related("room", "teacher").filter(
        pk=booking_id, room_id=room_id, start=begins, end=end, status=Booking.Status.CONFIRMED
    )
    return guarded_write(
        move,
        claim=Claim(actor, room_id, start, end) if moving else None,
        rows=Rows(teacher if limits.counts_per_teacher else None, frozenset({current.room_id, room_id})),
        find=moved.first,
        on_found=lambda booking: after_move(current, booking),
    )


MOVED = "moved"  # the status the old slot's event carries


def after_move(before: Booking, after: Booking) -> None:
    before.status = MOVED
    events.publish_booking_cancelled(before)
    events.publish_booking_created(after)
    offer_after_commit(room_id=before.room_id, start=before.start, end=before.end)
    logger.info(
        "Booking %s moved: %s %s-%s to %s %s-%s",
        after.pk,
        before.room.name,
        before.start,
        before.end,
        after.room.name,
        after.start,
        after.end,
    )
