"""Real-time events: what is published, to whom, and how.

Only the write path (``bookings.services``, ``bookings.waitlist``) calls ``publish_*``.
Each ``publish_*`` sends after the current transaction commits (at once outside one), as
Zulip's ``send_event_on_commit`` does, so a rolled-back booking is never announced and a
caller cannot publish too early by mistake. The payload is built at commit time. A channel layer
that is down or slow is logged and skipped: it never fails or holds up a booking, since
events for a networked layer go out from a publisher thread, not from the request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import transaction

from rooms.models import Room

from .errors import BookingError
from .models import Booking
from .serializers import (
    booking_payload,
    conflict_payload,
    hold_passed_payload,
    period_payload,
    room_available_payload,
    waitlist_entry_payload,
)

logger = logging.getLogger(__name__)

ALL_TEACHERS = "teachers"


# Each message type (the consumer's handler) and the event name pages see.
EVENT_NAMES = {
    "booking.created": "bookingCreated",
    "booking.cancelled": "bookingCancelled",
    "booking.requested": "bookingRequested",
    "booking.approved": "bookingApproved",
    "booking.declined": "bookingDeclined",
    "booking.conflict": "bookingConflict",
    "booking.checked_in": "bookingCheckedIn",
    "room.available": "roomAvailable",
    "room.held": "roomHeld",
    "room.released": "roomReleased",
    "offer.ended": "offerEnded",
}


def frame(kind: str, payload: dict[str, Any]) -> dict[str, str]:
    """The layer's message for an event: its frame encoded here, once, so that each
    process writes the same text to each of its sockets instead of every socket's
    consumer encoding it again (fan-out to thousands of pages: docs/performance.md)."""
    return {"type": kind, "text": json.dumps({"event": EVENT_NAMES[kind], "data": payload})}


def teacher_group(teacher_id: int) -> str:
    return f"teacher.{teacher_id}"


def publish_booking_created(booking: Booking) -> None:
    """A booking made (``bookingCreated``), or a request made (``bookingRequested``): either
    takes the slot, so every page showing it refreshes."""
    kind = "booking.requested" if booking.is_requested else "booking.created"
    _send_on_commit(ALL_TEACHERS, kind, lambda: booking_payload(booking))


def publish_booking_decided(booking: Booking) -> None:
    """A request approved (``bookingApproved``) or declined (``bookingDeclined``, the slot
    free again), by an approver or by the room's rule."""
    kind = "booking.approved" if booking.is_confirmed else "booking.declined"
    _send_on_commit(ALL_TEACHERS, kind, lambda: booking_payload(booking))


def publish_booking_cancelled(booking: Booking) -> None:
    _send_on_commit(ALL_TEACHERS, "booking.cancelled", lambda: booking_payload(booking))


def publish_booking_checked_in(booking: Booking) -> None:
    """The teacher is in the room (``bookingCheckedIn``): the door's display stops asking."""
    _send_on_commit(ALL_TEACHERS, "booking.checked_in", lambda: booking_payload(booking))


def publish_room_available(entry) -> None:
    """Tell the first teacher in line that the room they wait for is held for them."""
    _send_on_commit(teacher_group(entry.teacher_id), "room.available", lambda: room_available_payload(entry))


def publish_hold_changed(*, room_id: int, start: datetime, end: datetime, held: bool) -> None:
    """Tell every page showing the room (the timetable) that a hold began or ended."""
    kind = "room.held" if held else "room.released"
    _send_on_commit(ALL_TEACHERS, kind, lambda: {"roomId": room_id, **period_payload(start, end)})


def publish_hold_passed(lock) -> None:
    """Tell the first teacher in a lock's line that the lock is theirs now."""

    def payload() -> dict[str, Any]:
        room_name = Room.objects.filter(pk=lock.room_id).values_list("name", flat=True).first() or ""
        return hold_passed_payload(lock, room_name)

    _send_on_commit(teacher_group(lock.holder_id), "room.available", payload)


def publish_offer_ended(entry) -> None:
    """Tell the teacher whose offer lapsed (their My bookings stops showing it)."""
    _send_on_commit(teacher_group(entry.teacher_id), "offer.ended", lambda: waitlist_entry_payload(entry))


def publish_conflict(
    error: BookingError, *, room_id: int, start: datetime, end: datetime, teacher_id: int
) -> None:
    """Tell the teacher whose hold or claim failed, in every tab they have open."""
    _send_on_commit(
        teacher_group(teacher_id),
        "booking.conflict",
        lambda: conflict_payload(error, room_id=room_id, start=start, end=end, teacher_id=teacher_id),
    )


def _send_on_commit(group: str, kind: str, payload: Callable[[], dict[str, Any]]) -> None:
    # robust: an event that cannot be built or sent is logged, never raised into the
    # answer of a write that has committed.
    def send() -> None:  # a named function: Django's robust on_commit logs its name
        _send(group, kind, payload())

    transaction.on_commit(send, robust=True)


def _send(group: str, kind: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = frame(kind, payload)
    if isinstance(layer, InMemoryChannelLayer):
        # In-process and instant (the single-process set-up): send right here.
        _send_now(layer, group, message)
    else:
        # A layer behind the network may be slow or down: hand the message to this
        # process's publisher thread, so the request that made the news never waits.
        _publisher().submit(layer, group, message)


def _send_now(layer, group: str, message: dict[str, Any]) -> None:
    async_to_sync(_deliver)(layer, group, message)


async def _deliver(layer, group: str, message: dict[str, Any]) -> bool:
    """Send one event within the time allowed; a failure is logged, never raised."""
    try:
        await asyncio.wait_for(layer.group_send(group, message), settings.EVENT_PUBLISH_TIMEOUT)
    except Exception as error:
        logger.warning(
            "Could not publish %s to %s (%r); the booking itself is unaffected", message["type"], group, error
        )
        return False
    return True


RESYNC = {"type": "live.resync", "text": json.dumps({"event": "resync"})}


class Publisher:
    """One daemon thread with its own event loop, sending queued events in order.

    An event that could not be sent (or was dropped) means some pages missed news: once
    sending works again, every page is told to resync."""

    MAX_QUEUED = 10_000

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=self.MAX_QUEUED)
        self._loop = asyncio.new_event_loop()
        self._missed = False
        self._thread = threading.Thread(target=self._run, name="event-publisher", daemon=True)
        self._thread.start()

    def submit(self, layer, group: str, message: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((layer, group, message))
        except queue.Full:
            logger.error("Event queue full; dropped %s to %s", message["type"], group)
            self._missed = True

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event has been sent or given up on."""
        done = threading.Event()
        self._queue.put((None, None, done))
        return done.wait(timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        while True:
            layer, group, message = self._queue.get()
            if layer is None:
                message.set()
                continue
            sent = self._loop.run_until_complete(_deliver(layer, group, message))
            if not sent:
                self._missed = True
            elif self._missed and self._loop.run_until_complete(_deliver(layer, ALL_TEACHERS, RESYNC)):
                logger.warning("Events flow again; told every page to resync")
                self._missed = False


_publisher_lock = threading.Lock()
_publisher_instance: Publisher | None = None


def _publisher() -> Publisher:
    global _publisher_instance
    with _publisher_lock:
        if _publisher_instance is None:
            _publisher_instance = Publisher()
        return _publisher_instance


def flush(timeout: float = 5.0) -> bool:
    """Wait for events queued by this process to go out (tests, graceful shutdown)."""
    return _publisher_instance.flush(timeout) if _publisher_instance else True
