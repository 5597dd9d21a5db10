"""A class away frees its room: a lesson's teacher (or staff) gives the room back for one
date or a run of dates, with a short reason, and may take it back while it is still free.
Both through the guard; the freed periods are bookable at once (events, waitlist offers,
the grid), as a cancelled booking's are."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from teachers.models import Teacher

from .. import events
from ..errors import BOOKING_NOT_FOUND, ROOM_NOT_AVAILABLE, BookingError
from ..models import Booking, Lesson
from ..waitlist import offers_on
from .changes import after_cancel, cancel_booking
from .checks import check_free
from .guard import Claim, Locked, Rows, guarded_write

FREED = Booking.Status.FREED
REASON_LENGTH = Booking._meta.get_field("freed_reason").max_length


def lesson_release(
    *, date_id: int, teacher: Teacher, reason: str, until: date | None = None
) -> list[Booking]:
    """Give the room of a lesson's date (``date_id``, one of ``Lesson.dates``) back, and
    with ``until`` every later date of that lesson up to that day: each becomes free with
    ``reason`` ("7b on a trip"). The lesson's teachers and staff may; others find nothing.
    Returns the dates freed (a date freed already is left as it is)."""
    reason = " ".join(reason.split())
    if not reason:
        raise BookingError.invalid("reason", _("Say why the room is free, e.g. “7b on a trip”."))
    if len(reason) > REASON_LENGTH:
        raise BookingError.invalid(
            "reason", _("Keep it under %(most)d characters.") % {"most": REASON_LENGTH}
        )
    first = _lesson_date(date_id, teacher)
    last = until or timezone.localtime(first.start).date()
    if last < timezone.localtime(first.start).date():
        raise BookingError.invalid("until", _("The last day comes before the lesson's date."))
    if first.end <= timezone.now():
        raise BookingError.invalid("date", _("This lesson is over."))
    asked_at = timezone.now()

    def release(locked: Locked) -> list[Booking]:
        dates = list(
            Booking.objects.confirmed()
            .filter(
                lesson_id=first.lesson_id,
                start__gte=first.start,
                start__date__lte=last,
                end__gt=timezone.now(),
            )
            .select_for_update(of=("self",))
            .select_related("room", "teacher", "lesson")
            .order_by("start")
        )
        for lesson_date in dates:
            lesson_date.freed_reason = reason
            lesson_date.save(update_fields=["freed_reason"])
            cancel_booking(lesson_date, status=FREED)
        return dates

    def find() -> list[Booking] | None:
        freed = Booking.objects.filter(lesson_id=first.lesson_id, status=FREED, cancelled_at__gte=asked_at)
        return list(freed.select_related("room", "teacher", "lesson")) or None

    def on_found(freed: list[Booking]) -> None:
        for lesson_date in freed:
            after_cancel(lesson_date)

    return guarded_write(
        release, rows=Rows(room_ids=frozenset({first.room_id})), find=find, on_found=on_found
    )


def lesson_restore(*, date_id: int, teacher: Teacher) -> Booking:
    """Take a given-back lesson date back, while its room is still free then (nobody
    booked it, no waitlist offer holds it): under the same guard as a claim."""
    lesson_date = _lesson_date(date_id, teacher)
    if lesson_date.status != FREED:
        raise BookingError.invalid("date", _("This lesson's room was not given back."))
    if lesson_date.end <= timezone.now():
        raise BookingError.invalid("date", _("This lesson is over."))

    def restore(locked: Locked) -> Booking:
        room = locked.room(lesson_date.room_id)
        again = Booking.objects.select_for_update(of=("self",)).select_related("room", "teacher", "lesson")
        again = again.get(pk=date_id)
        if again.status != FREED:
            return again
        check_free(room, start=again.start, end=again.end)
        if offers_on(room, teacher=teacher, start=again.start, end=again.end).held_until is not None:
            raise BookingError(ROOM_NOT_AVAILABLE, _("The room is offered to a teacher on the waitlist now."))
        again.status, again.freed_reason, again.cancelled_at = Booking.Status.CONFIRMED, "", None
        again.save(update_fields=["status", "freed_reason", "cancelled_at"])
        events.publish_booking_created(again)
        return again

    restored = Booking.objects.confirmed().select_related("room", "teacher", "lesson").filter(pk=date_id)
    return guarded_write(
        restore,
        claim=Claim(teacher, lesson_date.room_id, lesson_date.start, lesson_date.end),
        rows=Rows(room_ids=frozenset({lesson_date.room_id})),
        find=restored.first,
        on_found=events.publish_booking_created,
    )


def _lesson_date(date_id: int, teacher: Teacher) -> Booking:
    """A lesson's date that ``teacher`` may give back: theirs, or any for staff."""
    found = Booking.objects.select_related("room", "teacher", "lesson").filter(
        pk=date_id, lesson__isnull=False
    )
    lesson_date = found.first()
    if lesson_date is None:
        raise BookingError(BOOKING_NOT_FOUND)
    if not (teacher.is_staff or Lesson.objects.filter(pk=lesson_date.lesson_id, teachers=teacher).exists()):
        raise BookingError(BOOKING_NOT_FOUND)
    return lesson_date
