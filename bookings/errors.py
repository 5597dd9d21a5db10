"""The errors, their codes, messages and HTTP statuses, defined once.

The service raises ``BookingError``; ``bookings.responses`` turns it (and "not logged
in", "not found") into an answer, ``bookings.serializers`` gives its JSON shape, and
``bookings.events`` sends conflicts to the teacher they concern.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import InterfaceError, InternalError, OperationalError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from psycopg.errors import IdleInTransactionSessionTimeout, TransactionTimeout

if TYPE_CHECKING:
    from .models import Booking

BOOKING_CONFLICT = "BOOKING_CONFLICT"
ROOM_NOT_AVAILABLE = "ROOM_NOT_AVAILABLE"
ROOM_NOT_FOUND = "ROOM_NOT_FOUND"
BOOKING_NOT_FOUND = "BOOKING_NOT_FOUND"
INVALID_INPUT = "INVALID_INPUT"
NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
SERVICE_BUSY = "SERVICE_BUSY"
OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"
SERVER_ERROR = "SERVER_ERROR"
NOT_FOUND = "NOT_FOUND"
CSRF_FAILED = "CSRF_FAILED"
TOO_MANY_HOLDS = "TOO_MANY_HOLDS"  # a teacher holds HOLDS_PER_TEACHER rooms already
HELD_TOO_LONG = "HELD_TOO_LONG"  # a hold renewed past HOLD_LIMIT_SECONDS without a booking

# In the language of the request that met the error; the codes never change.
MESSAGES = {
    BOOKING_CONFLICT: gettext_lazy("Another teacher is currently booking this room"),
    ROOM_NOT_AVAILABLE: gettext_lazy("Room is not available for the selected time period"),
    ROOM_NOT_FOUND: gettext_lazy("Room not found"),
    BOOKING_NOT_FOUND: gettext_lazy("Booking not found"),
    INVALID_INPUT: gettext_lazy("Please correct the highlighted fields"),
    NOT_AUTHENTICATED: gettext_lazy("Log in to continue."),
    SERVICE_BUSY: gettext_lazy("Booking is briefly unavailable, please try again"),
    OUTCOME_UNKNOWN: gettext_lazy(
        "Booking is briefly unavailable and we could not confirm whether your request was "
        "saved; check My bookings before you try again"
    ),
    SERVER_ERROR: gettext_lazy("Something went wrong and nothing was booked; please try again"),
    NOT_FOUND: gettext_lazy("Not found"),
    CSRF_FAILED: gettext_lazy("Your page is out of date; reload it and try again"),
    TOO_MANY_HOLDS: gettext_lazy("You are holding as many rooms as you may; book or cancel one first"),
    HELD_TOO_LONG: gettext_lazy(
        "You held this room a long time without booking it; colleagues get a turn now. "
        "Book it or try again in a minute"
    ),
}

STATUS = {
    BOOKING_CONFLICT: 409,
    ROOM_NOT_AVAILABLE: 409,
    ROOM_NOT_FOUND: 404,
    BOOKING_NOT_FOUND: 404,
    INVALID_INPUT: 400,
    NOT_AUTHENTICATED: 401,
    SERVICE_BUSY: 503,
    OUTCOME_UNKNOWN: 503,
    SERVER_ERROR: 500,
    NOT_FOUND: 404,
    CSRF_FAILED: 403,
    TOO_MANY_HOLDS: 429,
    HELD_TOO_LONG: 429,
}

# How long a client should wait before trying again after a 503.
RETRY_AFTER_SECONDS = 2


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database could not be reached or refused in time (a
    lock, a statement, an idle transaction ended, no pooled connection free): a 503 and
    nothing written, not a bug."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    timed_out = (IdleInTransactionSessionTimeout, TransactionTimeout)
    return isinstance(error, InternalError) and isinstance(error.__cause__, timed_out)


CONFLICT_CODES = frozenset({BOOKING_CONFLICT, ROOM_NOT_AVAILABLE})


@dataclass
class BookingError(Exception):
    code: str
    message: str = ""
    conflicting_booking: Booking | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflicting_dates: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.message = self.message or str(MESSAGES[self.code])
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return STATUS[self.code]

    @property
    def is_conflict(self) -> bool:
        return self.code in CONFLICT_CODES

    @property
    def can_join_waitlist(self) -> bool:
        """A booking has the room: the teacher may wait for it to be cancelled."""
        return self.code == ROOM_NOT_AVAILABLE and self.conflicting_booking is not None

    @property
    def can_wait(self) -> bool:
        """Another teacher is confirming: the teacher may stand in line for the room."""
        return self.code == BOOKING_CONFLICT

    @classmethod
    def booked_by(cls, booking: Booking) -> BookingError:
        return cls(
            ROOM_NOT_AVAILABLE,
            _("Room already booked by %(name)s") % {"name": booking.teacher.name},
            conflicting_booking=booking,
        )

    @classmethod
    def invalid(cls, field_name: str, message: str) -> BookingError:
        return cls(INVALID_INPUT, errors={field_name: [message]})
