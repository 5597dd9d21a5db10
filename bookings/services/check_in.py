"""Check-in: the teacher says they are in the room; bookings nobody checked in to are
released by the sweeper. Both through the guard."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from teachers.models import Teacher

from .. import events, notifications
from ..errors import BOOKING_NOT_FOUND, BookingError
from ..models import Booking, Notification
from .changes import after_cancel, cancel_booking
from .guard import Locked, guarded_write

logger = logging.getLogger(__name__)


def booking_check_in(*, booking_id: int, teacher: Teacher) -> Booking:
    """Say the teacher is in the room, so the booking is not released. Opens
    ``CHECK_IN_OPENS_MINUTES`` before the start and closes at the booking's check-in time."""
    now = timezone.now()

    def check_in(locked: Locked) -> Booking:
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("room", "teacher")
            .filter(pk=booking_id, teacher=teacher)
            .first()
        )
        if booking is None:
            raise BookingError(BOOKING_NOT_FOUND)
        if booking.status == Booking.Status.RELEASED:
            raise BookingError.invalid(
                "booking", _("Too late: the booking was released because nobody checked in.")
            )
        if not booking.is_confirmed:
            raise BookingError.invalid("booking", _("This booking was cancelled."))
        if booking.checked_in_at:
            return booking
        if booking.check_in_by is None:
            raise BookingError.invalid(
                "booking", _("%(room)s needs no check-in.") % {"room": booking.room.name}
            )
        opens = booking.start - timedelta(minutes=settings.CHECK_IN_OPENS_MINUTES)
        if now < opens:
            raise BookingError.invalid(
                "booking", _("Check-in opens at %(time)s.") % {"time": f"{timezone.localtime(opens):%H:%M}"}
            )
        booking.checked_in_at = now
        booking.save(update_fields=["checked_in_at"])
        events.publish_booking_checked_in(booking)
        return booking

    checked_in = Booking.objects.select_related("room", "teacher").filter(
        pk=booking_id, teacher=teacher, checked_in_at__isnull=False
    )
    return guarded_write(check_in, find=checked_in.first)


def release_unchecked() -> int:
    """Release the bookings nobody checked in to by their check-in time: their own
    status, the usual cancellation event, the waitlist offered, the teacher told."""
    overdue = Booking.objects.confirmed().filter(checked_in_at__isnull=True, check_in_by__lte=timezone.now())
    released = 0
    for booking_id in overdue.values_list("pk", flat=True)[:500]:

        def release(locked: Locked, booking_id: int = booking_id) -> Booking | None:
            booking = (
                overdue.select_for_update(of=("self",), skip_locked=True)
                .select_related("room", "teacher")
                .filter(pk=booking_id)
                .first()
            )
            if booking is None:  # checked in, cancelled or released meanwhile
                return None
            cancel_booking(booking, status=Booking.Status.RELEASED)
            notifications.enqueue(teacher=booking.teacher, kind=Notification.Kind.RELEASED, booking=booking)
            logger.info("Booking %s released: not checked in by %s", booking.pk, booking.check_in_by)
            return booking

        was_released = Booking.objects.filter(pk=booking_id, status=Booking.Status.RELEASED)
        released += guarded_write(release, find=was_released.first, on_found=after_cancel) is not None
    return released
