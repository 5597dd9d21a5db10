"""The JSON shape of a booking, shared by HTTP answers and WebSocket events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

if TYPE_CHECKING:
    from .errors import BookingError
    from .models import Booking


def iso(moment: datetime) -> str:
    """ISO 8601 in the school's time zone, with its UTC offset."""
    return timezone.localtime(moment).isoformat()


def booking_payload(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.pk,
        "roomId": booking.room_id,
        "roomName": booking.room.name,
        "teacherId": booking.teacher_id,
        "teacherName": booking.teacher.name,
        "startTime": iso(booking.start),
        "endTime": iso(booking.end),
        "status": booking.status,
    }


def conflicting_booking_payload(booking: Booking | None) -> dict[str, Any] | None:
    if booking is None:
        return None
    return {
        "id": booking.pk,
        "teacherName": booking.teacher.name,
        "startTime": iso(booking.start),
        "endTime": iso(booking.end),
    }


def conflict_payload(
    error: BookingError, *, room_id: int, start: datetime, end: datetime, teacher_id: int
) -> dict[str, Any]:
    return {
        "code": error.code,
        "message": error.message,
        "roomId": room_id,
        "startTime": iso(start),
        "endTime": iso(end),
        "userId": teacher_id,
        "conflictingBooking": conflicting_booking_payload(error.conflicting_booking),
    }
