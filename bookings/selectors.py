"""Reads about bookings, waitlists and holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from rooms.models import Room
from teachers.models import Teacher

from .locks import Lock, active_locks
from .models import Booking, Series, WaitlistEntry

PAST_SHOWN = 50


def bookings_for_teacher(teacher: Teacher) -> tuple[QuerySet[Booking], QuerySet[Booking]]:
    """The teacher's upcoming bookings (soonest first) and recent past ones (latest first)."""
    now = timezone.now()
    mine = (
        Booking.objects.ad_hoc()
        .filter(teacher=teacher)
        .select_related("room__building", "series", "booked_by", "decided_by")
    )
    upcoming = mine.filter(end__gt=now).order_by("start", "pk")
    past = mine.filter(end__lte=now).order_by("-start", "-pk")[:PAST_SHOWN]
    return upcoming, past


def waitlist_for_teacher(teacher: Teacher) -> QuerySet[WaitlistEntry]:
    """The teacher's open waitlist entries, soonest period first."""
    return (
        WaitlistEntry.objects.filter(teacher=teacher, status__in=WaitlistEntry.ACTIVE, end__gt=timezone.now())
        .select_related("room__building")
        .order_by("start", "pk")
    )


def room_for_claim_page(room_id: int) -> Room | None:
    return Room.objects.select_related("building").prefetch_related("features").filter(pk=room_id).first()


def upcoming_booking_for_teacher(teacher: Teacher, booking_id: int) -> Booking | None:
    """The teacher's own booking (or request) that has not ended, or None."""
    upcoming, _ = bookings_for_teacher(teacher)
    return upcoming.holding().filter(pk=booking_id).first()


def series_for_teacher(teacher: Teacher, series_id: int) -> Series | None:
    return Series.objects.filter(pk=series_id, teacher=teacher).select_related("room").first()


def teacher_for_calendar_token(token: str) -> Teacher | None:
    return Teacher.objects.filter(calendar_token=token, is_active=True).first()


@dataclass(frozen=True)
class Hold:
    """An active booking lock with the names an operator reads."""

    lock: Lock
    room_name: str
    holder_name: str


def active_holds() -> list[Hold]:
    """The active booking locks, soonest to expire first, with room and holder names."""
    held = active_locks()
    rooms = dict(Room.objects.filter(pk__in={lock.room_id for lock in held}).values_list("pk", "name"))
    teachers = {
        teacher.pk: teacher.name
        for teacher in Teacher.objects.filter(pk__in={lock.holder_id for lock in held})
    }
    return [
        Hold(lock, rooms.get(lock.room_id, "unknown"), teachers.get(lock.holder_id, "unknown"))
        for lock in held
    ]


def movable_booking(user: Teacher, booking_id: int) -> Booking | None:
    """An upcoming confirmed booking ``user`` may change: their own, or anyone's (a lesson's
    date too: to another room) for staff."""
    bookings = Booking.objects.confirmed().filter(pk=booking_id, end__gt=timezone.now())
    if not user.is_staff:
        bookings = bookings.filter(teacher=user, lesson__isnull=True)
    return bookings.select_related("room__building", "teacher").first()


LESSON_DAYS_SHOWN = 14  # My timetable, and the API's lessons, show two weeks at a time


def lesson_dates_for_teacher(
    teacher: Teacher, *, first: date, days: int = LESSON_DAYS_SHOWN
) -> QuerySet[Booking]:
    """The dates of the teacher's lessons still to come from the day ``first`` for ``days``
    days, given back or not, soonest first: "My timetable"."""
    tz = timezone.get_current_timezone()
    begins = datetime.combine(first, datetime.min.time(), tz)
    return (
        Booking.objects.filter(
            lesson__teachers=teacher,
            status__in=(Booking.Status.CONFIRMED, Booking.Status.FREED),
            end__gt=max(begins, timezone.now()),
            start__lt=begins + timedelta(days=days),
        )
        .select_related("room__building", "lesson", "teacher")
        .order_by("start", "room__name")
        .distinct()
    )


@dataclass(frozen=True)
class SeriesRow:
    """A series in My bookings: one row with its upcoming dates (the changed and the
    cancelled ones among them)."""

    series: Series
    dates: list[Booking]


def upcoming_rows(upcoming) -> list[Booking | SeriesRow]:
    """The upcoming bookings as My bookings lists them: a booking alone, or a series as one
    row with its dates, where its first upcoming date would be."""
    rows: list[Booking | SeriesRow] = []
    series_rows: dict[int, SeriesRow] = {}
    for booking in upcoming:
        if booking.series_id is None:
            rows.append(booking)
        elif booking.series_id in series_rows:
            series_rows[booking.series_id].dates.append(booking)
        else:
            series_rows[booking.series_id] = SeriesRow(booking.series, [booking])
            rows.append(series_rows[booking.series_id])
    return rows


@dataclass(frozen=True)
class RequestRow:
    """An open request on the approvers' page: its first date (a series is one request),
    how many dates it has, and what else its teacher has requested that is open."""

    booking: Booking
    dates: int
    others: list[Booking]


DECIDED_SHOWN = 20


def open_requests(room_ids: list[int]) -> list[RequestRow]:
    """The open requests for ``room_ids``, oldest first (a series once, at its first date
    still open), with each teacher's other open requests (any room). Two queries."""
    found = Booking.objects.open_requests(room_ids).select_related(
        "room__building", "teacher", "booked_by", "series"
    )
    firsts: dict[tuple[str, int], Booking] = {}
    counts: dict[tuple[str, int], int] = {}
    for booking in found:
        firsts.setdefault(booking.request_key, booking)
        counts[booking.request_key] = counts.get(booking.request_key, 0) + 1
    teachers = {booking.teacher_id for booking in firsts.values()}
    theirs = (
        Booking.objects.requested()
        .filter(teacher_id__in=teachers, end__gt=timezone.now())
        .select_related("room")
        .order_by("start")
    )
    by_teacher: dict[int, list[Booking]] = {}
    for booking in theirs:
        by_teacher.setdefault(booking.teacher_id, []).append(booking)
    rows = []
    for key, first in firsts.items():
        others = [other for other in by_teacher.get(first.teacher_id, []) if other.request_key != key]
        rows.append(RequestRow(first, counts[key], others))
    return rows


def recently_decided(room_ids: list[int]) -> QuerySet[Booking]:
    """The latest decisions on requests for ``room_ids`` (for approvers to see what their
    colleagues and the rules decided), newest first."""
    return (
        Booking.objects.filter(room_id__in=room_ids, decided_at__isnull=False)
        .select_related("room", "teacher", "decided_by")
        .order_by("-decided_at", "-pk")[:DECIDED_SHOWN]
    )
