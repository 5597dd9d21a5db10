"""The limits every booking obeys, in one place: the claim and hold forms, the search
form (``rooms``) and the series service all read them from here.

Each ``*_errors`` function answers with the problems keyed by the field to blame, so
every refusal is a 400 that names its field.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

MAX_LENGTH = timedelta(hours=12)
MAX_AHEAD = timedelta(days=366)
MAX_ATTENDEES = 10_000
# What one request and one teacher may create: a series of at most a term of school days,
# at most this many rooms waited for at once, and one recorded conflict per teacher and
# period in CONFLICT_RECORD_WINDOW (so spamming holds cannot inflate the analytics).
MAX_OCCURRENCES = 70
MAX_WAITING_PER_TEACHER = 10
CONFLICT_RECORD_WINDOW = timedelta(minutes=10)


def period_errors(start: datetime, end: datetime) -> dict[str, str]:
    """The rules every booking period obeys."""
    now = timezone.now()
    if end <= start:
        return {"end": "The end must be after the start."}
    if start < now.replace(second=0, microsecond=0):
        return {"start": "The start is in the past."}
    if start > now + MAX_AHEAD:
        return {"start": "Bookings open at most a year ahead."}
    if end - start > MAX_LENGTH:
        return {"end": "A booking may last at most 12 hours."}
    return {}


def series_errors(first_day: date, until: date | None) -> dict[str, str]:
    """The rules for the last date of a repeating booking that starts on ``first_day``."""
    if until is None:
        return {"until": "Say until when the booking repeats."}
    if until < first_day:
        return {"until": "The last date must not be before the first."}
    if until > first_day + MAX_AHEAD:
        return {"until": "A series may run at most a year."}
    return {}
