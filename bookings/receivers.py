"""What the bookings app does when the apps below it say something happened."""

from __future__ import annotations

import logging

from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from teachers.models import Teacher
from teachers.signals import teacher_left

from . import services
from .models import Booking

logger = logging.getLogger(__name__)


@receiver(teacher_left, dispatch_uid="bookings-cancel-upcoming-of-a-teacher-who-left")
def cancel_upcoming(sender, *, teacher: Teacher, by: Teacher | None, **kwargs) -> str:
    """A teacher who left keeps no room: their upcoming bookings are cancelled (as ``by``,
    who staff see did it; the teacher themselves when there is nobody) and offered to the
    waitlist."""
    upcoming = Booking.objects.holding().filter(teacher=teacher, end__gt=timezone.now())
    cancelled = 0
    for booking_id in upcoming.values_list("pk", flat=True):
        services.booking_cancel(booking_id=booking_id, teacher=by or teacher, as_admin=by is not None)
        cancelled += 1
    logger.info("Cancelled %d upcoming bookings of %s, who left", cancelled, teacher.username)
    return _(", %(count)d upcoming bookings cancelled") % {"count": cancelled} if cancelled else ""
