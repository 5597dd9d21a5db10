"""Real-time events: what is published, to whom, and how.

Only ``bookings.services`` calls ``publish_*``, and only through
``transaction.on_commit``, so a rolled-back booking is never announced. A channel layer
that is down or slow is logged and skipped: it never fails or holds up a booking.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from .errors import BookingError
from .models import Booking
from .serializers import booking_payload, conflict_payload

logger = logging.getLogger(__name__)

ALL_TEACHERS = "teachers"


def teacher_group(teacher_id: int) -> str:
    return f"teacher.{teacher_id}"


def publish_booking_created(booking: Booking) -> None:
    _send(ALL_TEACHERS, "booking.created", booking_payload(booking))


def publish_booking_cancelled(booking: Booking) -> None:
    _send(ALL_TEACHERS, "booking.cancelled", booking_payload(booking))


def publish_conflict(
    error: BookingError, *, room_id: int, start: datetime, end: datetime, teacher_id: int
) -> None:
    """Tell the teacher whose hold or claim failed, in every tab they have open."""
    payload = conflict_payload(error, room_id=room_id, start=start, end=end, teacher_id=teacher_id)
    _send(teacher_group(teacher_id), "booking.conflict", payload)


def _send(group: str, kind: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": kind, "data": payload}
    try:
        async_to_sync(_send_with_timeout)(layer, group, message)
    except Exception:
        logger.exception("Could not publish %s to %s; the booking itself is unaffected", kind, group)


async def _send_with_timeout(layer, group: str, message: dict[str, Any]) -> None:
    await asyncio.wait_for(layer.group_send(group, message), settings.EVENT_PUBLISH_TIMEOUT)
