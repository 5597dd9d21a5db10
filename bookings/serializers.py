"""The JSON shapes of bookings, errors and waitlist entries, shared by HTTP answers and
WebSocket events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rooms.schoolcalendar import calendar

from .models import claim_path

if TYPE_CHECKING:
    from .errors import BookingError
    from .locks import Lock
    from .models import Booking, WaitlistEntry


def iso(moment: datetime) -> str:
    """ISO 8601 in the school's time zone, with its UTC offset."""
    return timezone.localtime(moment).isoformat()


def period_payload(start: datetime, end: datetime) -> dict[str, str]:
    return {"startTime": iso(start), "endTime": iso(end)}


def _period(item: Booking | WaitlistEntry) -> dict[str, str]:
    return period_payload(item.start, item.end)


def _room_and_period(item: Booking | WaitlistEntry) -> dict[str, Any]:
    return {"roomId": item.room_id, "roomName": item.room.name, **_period(item)}


def booking_payload(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.pk,
        **_room_and_period(booking),
        "teacherId": booking.teacher_id,
        "teacherName": booking.teacher.name,
        "status": booking.status,
        "periods": calendar().period_label(booking.start, booking.end),
        "checkInBy": iso(booking.check_in_by) if booking.check_in_by else None,
        "checkedInAt": iso(booking.checked_in_at) if booking.checked_in_at else None,
        **_request(booking),
    }


def _request(booking: Booking) -> dict[str, Any]:
    """A request's deadline, or a decided request's decision (``decidedBy`` null: the
    room's rule decided, nobody having decided in time). The reason of a decline is for
    its teacher (``with_reason``), not in the events every teacher gets."""
    if booking.decide_by is None and booking.decided_at is None:
        return {}
    return {
        "decideBy": iso(booking.decide_by) if booking.decide_by else None,
        "decidedAt": iso(booking.decided_at) if booking.decided_at else None,
        "decidedBy": booking.decided_by.name if booking.decided_by_id else None,
    }


def with_reason(booking: Booking) -> dict[str, Any]:
    """A booking as its own teacher (or an approver) reads it: with why it was declined."""
    payload = booking_payload(booking)
    if booking.decided_at is not None:
        payload["decisionReason"] = booking.decision_reason
    return payload


def conflicting_booking_payload(booking: Booking | None) -> dict[str, Any] | None:
    if booking is None:
        return None
    return {"id": booking.pk, "teacherName": booking.teacher.name, **_period(booking)}


def conflict_payload(
    error: BookingError, *, room_id: int, start: datetime, end: datetime, teacher_id: int
) -> dict[str, Any]:
    """The ``bookingConflict`` event: the error, and which claim met it."""
    payload = {
        "code": error.code,
        "message": error.message,
        "roomId": room_id,
        "startTime": iso(start),
        "endTime": iso(end),
        "userId": teacher_id,
        "conflictingBooking": conflicting_booking_payload(error.conflicting_booking),
        "canJoinWaitlist": error.can_join_waitlist,
        "canWait": error.can_wait,
    }
    return payload


def alternatives_payload(alternatives: dict) -> dict[str, Any]:
    """Other rooms for the same period (with the addresses to hold and claim them), and
    the same room's nearest free periods."""
    return {
        "rooms": [
            {
                "id": room.pk,
                "name": room.name,
                "building": room.building.name,
                "capacity": room.capacity,
                "holdUrl": reverse("bookings:room-hold", args=[room.pk]),
                "claimUrl": reverse("bookings:room-claim", args=[room.pk]),
                "releaseUrl": reverse("bookings:room-release", args=[room.pk]),
                "queueUrl": reverse("bookings:room-queue", args=[room.pk]),
                "waitlistUrl": reverse("bookings:waitlist-join", args=[room.pk]),
                "alternativesUrl": reverse("bookings:room-alternatives", args=[room.pk]),
            }
            for room in alternatives["rooms"]
        ],
        "periods": [
            {"startTime": iso(period.start), "endTime": iso(period.end), "name": period.name}
            for period in alternatives["periods"]
        ],
    }


def room_available_payload(entry: WaitlistEntry) -> dict[str, Any]:
    return {
        "entryId": entry.pk,
        **_room_and_period(entry),
        "expiresAt": iso(entry.offer_expires_at),
        "claimUrl": entry.claim_path,
        "fromQueue": False,
    }


def hold_passed_payload(lock: Lock, room_name: str) -> dict[str, Any]:
    """``roomAvailable`` for a lock that came to the first in its line: held for them
    until ``expiresAt``, the usual dialog hold."""
    return {
        "entryId": None,
        "roomId": lock.room_id,
        "roomName": room_name,
        "startTime": iso(lock.start),
        "endTime": iso(lock.end),
        "expiresAt": iso(lock.expires_at),
        "claimUrl": claim_path(lock.room_id, lock.start, lock.end),
        "fromQueue": True,
    }


def hold_payload(room_id: int, attempt) -> dict[str, Any]:
    """A hold granted (``locks.Attempt``): until when, and whether the lock store was out
    of reach (``degraded``: nothing is held, the database decides the claim)."""
    lock = attempt.lock
    return {
        "roomId": room_id,
        "startTime": iso(lock.start),
        "endTime": iso(lock.end),
        "expiresAt": iso(lock.expires_at),
        "degraded": attempt.degraded,
    }


def queue_payload(room_id: int, attempt) -> dict[str, Any]:
    """A place in the line for a hold another teacher has, and until when they hold it."""
    lock = attempt.lock
    return {
        "roomId": room_id,
        "startTime": iso(lock.start),
        "endTime": iso(lock.end),
        "position": attempt.position,
        "heldUntil": iso(lock.expires_at),
    }


def waitlist_entry_payload(entry: WaitlistEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        **_room_and_period(entry),
        "status": entry.status,
        "offerExpiresAt": iso(entry.offer_expires_at) if entry.offer_expires_at else None,
        "claimUrl": entry.claim_path if entry.status == entry.Status.OFFERED else None,
    }


def series_payload(series, bookings, skipped: dict) -> dict[str, Any]:
    return {
        "id": series.pk,
        "rule": series.rule,
        "until": series.until.isoformat(),
        "bookings": [booking_payload(booking) for booking in bookings],
        "skippedDates": [day.isoformat() for day in skipped],
        "skippedReasons": {day.isoformat(): why.reason for day, why in skipped.items()},
    }


def skipped_in_words(skipped: dict) -> str:
    """“, 2 taken dates skipped (Thu 3 Dec, Thu 10 Dec), 1 closed date skipped (Thu 17
    Dec)”: what a series left out, which dates, and why."""
    taken = [day for day, why in sorted(skipped.items()) if why.taken]
    closed = [day for day, why in sorted(skipped.items()) if not why.taken]
    words = ""
    if taken:
        words += ngettext(
            ", %(count)d taken date skipped (%(dates)s)",
            ", %(count)d taken dates skipped (%(dates)s)",
            len(taken),
        ) % {"count": len(taken), "dates": _days_listed(taken)}
    if closed:
        words += ngettext(
            ", %(count)d closed date skipped (%(dates)s)",
            ", %(count)d closed dates skipped (%(dates)s)",
            len(closed),
        ) % {"count": len(closed), "dates": _days_listed(closed)}
    return words


def _days_listed(days: list) -> str:
    return ", ".join(formats.date_format(day, "SHORT_DAY_FORMAT") for day in days)


def lesson_date_payload(booking: Booking) -> dict[str, Any]:
    """A date of a lesson: the booking it is, its lesson, and why its room is free when
    its class is away."""
    lesson = booking.lesson
    return {
        **booking_payload(booking),
        "lesson": {"id": lesson.pk, "group": lesson.group, "subject": lesson.subject, "title": lesson.title},
        "freedReason": booking.freed_reason,
    }


def series_date_payload(date_plan) -> dict[str, Any]:
    """One date of a series' change (``services.DatePlan``): where it is, where it would go,
    and what happens to it (``moves``, ``stays``, ``taken`` by whom, ``closed`` why, ``kept``
    as changed by itself)."""
    booking = date_plan.booking
    return {
        "bookingId": booking.pk,
        "date": date_plan.day.isoformat(),
        "from": {"roomId": booking.room_id, "startTime": iso(booking.start), "endTime": iso(booking.end)},
        "to": {"roomId": date_plan.room.pk, "startTime": iso(date_plan.start), "endTime": iso(date_plan.end)},
        "state": str(date_plan.state),
        "reason": date_plan.reason,
    }


# The words of an answer, for the pages and the API alike.


def moved_message(booking: Booking) -> str:
    """“Booking moved: Lab 1, Thu 3 Dec 10:00-11:00” (an en dash between the times)."""
    start = formats.date_format(timezone.localtime(booking.start), "SLOT_FORMAT")
    when = f"{start}\u2013{timezone.localtime(booking.end):%H:%M}"
    return _("Booking moved: %(room)s, %(when)s") % {"room": booking.room.name, "when": when}


def queued_message(attempt) -> str:
    return _("You are number %(position)d in line for this room.") % {"position": attempt.position}


def joined_message(entry: WaitlistEntry) -> str:
    return _("You are on the waitlist for %(room)s; we will tell you if it frees up.") % {
        "room": entry.room.name
    }


def freed_message(freed: list[Booking]) -> str:
    """A lesson's room given back, for one date or several; none: given back already."""
    if not freed:
        return _("This lesson's room was given back already.")
    return ngettext(
        "Room given back: %(room)s, %(count)d lesson",
        "Room given back: %(room)s, %(count)d lessons",
        len(freed),
    ) % {"room": freed[0].room.name, "count": len(freed)}
