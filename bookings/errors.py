"""The booking errors, their codes, messages and HTTP statuses, defined once.

The services raise ``BookingError``, a ``config.answers.Problem`` with what a conflict
tells besides (who has the room, which dates, whether the teacher may wait); the one
mapping in ``config.answers`` turns it into an answer, and ``bookings.events`` sends
conflicts to the teacher they concern.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.answers import (
    CSRF_FAILED,
    INVALID_INPUT,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    RETRY_AFTER_SECONDS,
    SERVER_ERROR,
    SERVICE_BUSY,
    Problem,
    database_unavailable,
)

from .serializers import conflicting_booking_payload

if TYPE_CHECKING:
    from .models import Booking

__all__ = [
    "ALREADY_DECIDED",
    "BOOKING_CONFLICT",
    "BOOKING_NOT_FOUND",
    "CSRF_FAILED",
    "HELD_TOO_LONG",
    "INVALID_INPUT",
    "MESSAGES",
    "NOT_AUTHENTICATED",
    "NOT_FOUND",
    "OUTCOME_UNKNOWN",
    "RETRY_AFTER_SECONDS",
    "ROOM_NOT_AVAILABLE",
    "ROOM_NOT_FOUND",
    "SERVER_ERROR",
    "SERVICE_BUSY",
    "TOO_MANY_HOLDS",
    "BookingError",
    "database_unavailable",
]

BOOKING_CONFLICT = "BOOKING_CONFLICT"
ROOM_NOT_AVAILABLE = "ROOM_NOT_AVAILABLE"
ROOM_NOT_FOUND = "ROOM_NOT_FOUND"
BOOKING_NOT_FOUND = "BOOKING_NOT_FOUND"
OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"
TOO_MANY_HOLDS = "TOO_MANY_HOLDS"  # a teacher holds HOLDS_PER_TEACHER rooms already
HELD_TOO_LONG = "HELD_TOO_LONG"  # a hold renewed past HOLD_LIMIT_SECONDS without a booking
ALREADY_DECIDED = "ALREADY_DECIDED"  # a request decided (or withdrawn) before this decision

MESSAGES = {
    **Problem.MESSAGES,
    BOOKING_CONFLICT: gettext_lazy("Another teacher is currently booking this room"),
    ROOM_NOT_AVAILABLE: gettext_lazy("Room is not available for the selected time period"),
    ROOM_NOT_FOUND: gettext_lazy("Room not found"),
    BOOKING_NOT_FOUND: gettext_lazy("Booking not found"),
    OUTCOME_UNKNOWN: gettext_lazy(
        "Booking is briefly unavailable and we could not confirm whether your request was "
        "saved; check My bookings before you try again"
    ),
    TOO_MANY_HOLDS: gettext_lazy("You are holding as many rooms as you may; book or cancel one first"),
    HELD_TOO_LONG: gettext_lazy(
        "You held this room a long time without booking it; colleagues get a turn now. "
        "Book it or try again in a minute"
    ),
    ALREADY_DECIDED: gettext_lazy("This request has been decided already"),
}

STATUS = {
    **Problem.STATUS,
    BOOKING_CONFLICT: 409,
    ROOM_NOT_AVAILABLE: 409,
    ROOM_NOT_FOUND: 404,
    BOOKING_NOT_FOUND: 404,
    OUTCOME_UNKNOWN: 503,
    TOO_MANY_HOLDS: 429,
    HELD_TOO_LONG: 429,
    ALREADY_DECIDED: 409,
}

CONFLICT_CODES = frozenset({BOOKING_CONFLICT, ROOM_NOT_AVAILABLE})


@dataclass
class BookingError(Problem):
    conflicting_booking: Booking | None = None
    conflicting_dates: list[str] = field(default_factory=list)

    MESSAGES: ClassVar[dict[str, Any]] = MESSAGES
    STATUS: ClassVar[dict[str, int]] = STATUS

    @property
    def is_conflict(self) -> bool:
        return self.code in CONFLICT_CODES

    @property
    def can_join_waitlist(self) -> bool:
        """A booking has the room: the teacher may join its waitlist."""
        return self.code == ROOM_NOT_AVAILABLE and self.conflicting_booking is not None

    @property
    def can_wait(self) -> bool:
        """Another teacher holds the room: the teacher may stand in the hold's line."""
        return self.code == BOOKING_CONFLICT

    @classmethod
    def booked_by(cls, booking: Booking) -> BookingError:
        """The room is taken by ``booking``: booked, or requested and awaiting approval."""
        message = (
            _("Room already requested by %(name)s (awaiting approval)")
            if booking.is_requested
            else _("Room already booked by %(name)s")
        )
        return cls(ROOM_NOT_AVAILABLE, message % {"name": booking.teacher.name}, conflicting_booking=booking)

    def body(self) -> dict[str, Any]:
        body = super().body()
        if self.is_conflict:
            body["conflictingBooking"] = conflicting_booking_payload(self.conflicting_booking)
            body["canJoinWaitlist"] = self.can_join_waitlist
            body["canWait"] = self.can_wait
        if self.code == ALREADY_DECIDED:
            # What became of the request: confirmed (approved), declined, or cancelled (withdrawn).
            booking = self.conflicting_booking
            body["requestStatus"] = booking.status if booking is not None else "cancelled"
        if self.conflicting_dates:
            body["conflictingDates"] = self.conflicting_dates
        return body
