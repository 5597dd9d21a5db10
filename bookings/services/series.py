"""Series: a repeating period booked at once (all dates or none, or the free ones), and
cancelled at once, each through the guard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from rooms.models import Room
from rooms.schoolcalendar import calendar
from teachers.models import Teacher

from .. import events
from ..errors import BOOKING_NOT_FOUND, INVALID_INPUT, ROOM_NOT_AVAILABLE, BookingError
from ..models import Booking, Series
from ..rules import MAX_OCCURRENCES, Limits, from_now, limit_errors, limits_for, series_limit_errors
from .changes import after_cancel, cancel_booking
from .checks import check_counts, check_room, closed
from .claim import announce_booked, approval_needed, for_colleague, new_booking
from .guard import Claim, Locked, Rows, guarded_write

Period = tuple[datetime, datetime]


class Skipped(NamedTuple):
    """Why a series left a date out: closed (``reason`` from the school calendar) or taken
    (``reason`` names who has it)."""

    reason: str
    taken: bool = False


class SeriesBooked(NamedTuple):
    series: Series
    bookings: list[Booking]
    skipped: dict[date, Skipped]  # by date, in date order


def series_periods(start: datetime, end: datetime, *, rule: str, until: date) -> list[Period]:
    """Every occurrence from ``start`` until ``until``: each starts at the first date's
    local wall-clock time and lasts as long as the first, so a series keeps its hour across
    a change of daylight saving time. A start that falls in the spring gap moves on by the
    gap (02:30 becomes 03:30); one in the autumn fold is the first of the two. Stops one
    past ``MAX_OCCURRENCES`` (the caller refuses so long a series)."""
    tz = timezone.get_current_timezone()
    local_start = timezone.localtime(start, tz)
    wall_time, length = local_start.time().replace(tzinfo=None), end - start
    step = 7 if rule == Series.Rule.WEEKLY else 1
    periods, day = [], local_start.date()
    while day <= until and len(periods) <= MAX_OCCURRENCES:
        if rule == Series.Rule.WEEKLY or day.weekday() < 5:
            # fold=0: the offset in force before a change, which moves a gap's time on.
            begins = datetime.combine(day, wall_time, tz).astimezone(UTC)
            periods.append((begins, begins + length))
        day += timedelta(days=step)
    return periods


def series_create(
    *,
    teacher: Teacher,
    room_id: int,
    start: datetime,
    end: datetime,
    rule: str,
    until: date,
    attendees: int | None = None,
    purpose: str = "",
    free_dates_only: bool = False,
    booked_by: Teacher | None = None,
) -> SeriesBooked:
    """Book a repeating period: all dates or none, or (``free_dates_only``) the free
    ones. Dates the school calendar closes (holidays, outside term, outside bookable
    hours) are skipped by themselves; they are not conflicts. Every occurrence gets the
    same guarantees as a single claim: row lock, rules, overlap check, exclusion
    constraint."""
    booked_by = for_colleague(teacher, booked_by)
    periods = series_periods(start, end, rule=rule, until=until)
    if not periods:
        raise BookingError.invalid("until", _("No school day falls between the start and this date."))
    if len(periods) > MAX_OCCURRENCES:
        raise BookingError.invalid(
            "until",
            _("A series may have at most %(most)d dates; choose an earlier last date.")
            % {"most": MAX_OCCURRENCES},
        )
    periods[0] = (from_now(*periods[0]), periods[0][1])  # a first date under way: from now
    limits = limits_for(teacher, room_id)
    approval = approval_needed(limits, room_id=room_id, booked_by=booked_by)  # one request

    def book(locked: Locked) -> SeriesBooked:
        room = locked.room(room_id)
        first = periods[0][0]
        check_room(
            room,
            start=first,
            end=end,
            teacher=teacher,
            attendees=attendees,
            limits=limits,
            dates_checked=False,
        )
        free, shut, taken = _bookable(
            room, periods, limits=limits, teacher=teacher, free_dates_only=free_dates_only, which="every date"
        )
        series = Series.objects.create(room=room, teacher=teacher, rule=rule, until=until, purpose=purpose)
        bookings = Booking.objects.bulk_create(
            new_booking(
                room=room,
                teacher=teacher,
                start=begins,
                end=ends,
                attendees=attendees,
                purpose=purpose,
                limits=limits,
                booked_by=booked_by,
                series=series,
                approval=approval,
            )
            for begins, ends in free
        )
        announce_booked(bookings, booked_by=booked_by, approval=approval)
        return SeriesBooked(series, bookings, _skipped(shut, taken))

    def find() -> SeriesBooked | None:
        series = (
            Series.objects.filter(teacher=teacher, room_id=room_id, rule=rule, until=until)
            .filter(bookings__start=periods[0][0])
            .select_related("room")
            .order_by("-pk")
            .first()
        )
        if series is None:
            return None
        bookings = list(series.bookings.select_related("room", "teacher").order_by("start"))
        booked = {_day(booking.start) for booking in bookings}
        shut = _closed_dates(series.room, periods)
        rest = [(b, e) for b, e in periods if _day(b) not in booked and _day(b) not in shut]
        taken = _taken(series.room, rest) if rest else {}
        return SeriesBooked(series, bookings, _skipped(shut, taken))

    def on_found(found: SeriesBooked) -> None:
        for booking in found.bookings:
            events.publish_booking_created(booking)

    return guarded_write(
        book,
        claim=Claim(booked_by or teacher, room_id, start, end),
        rows=Rows(teacher if limits.counts_per_teacher else None, frozenset({room_id})),
        find=find,
        on_found=on_found,
    )


def _bookable(
    room: Room, periods: list[Period], *, limits: Limits, teacher: Teacher, free_dates_only: bool, which: str
) -> tuple[list[Period], dict[date, Skipped], dict[date, Booking]]:
    """Which of a series' ``periods`` can be booked in ``room`` (the caller holds its row
    lock): the dates the calendar closes are skipped, the school's limits checked; a taken
    date refuses them all, or (``free_dates_only``) is left out. Returns the free periods,
    the closed dates and the taken ones."""
    shut = _closed_dates(room, periods)
    open_periods = [(b, e) for b, e in periods if _day(b) not in shut]
    if not open_periods:
        raise closed(f"{which} of the series is closed ({next(iter(shut.values())).reason})")
    _check_series_limits(limits, open_periods)
    taken = _taken(room, open_periods)
    if (taken and not free_dates_only) or len(taken) == len(open_periods):
        raise _series_refused(taken, total=len(open_periods))
    free = [(b, e) for b, e in open_periods if _day(b) not in taken]
    check_counts(limits, teacher=teacher, new=free)
    return free, shut, taken


def _day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _skipped(shut: dict[date, Skipped], taken: dict[date, Booking]) -> dict[date, Skipped]:
    by = {
        day: Skipped(_("booked by %(name)s") % {"name": b.teacher.name}, taken=True)
        for day, b in taken.items()
    }
    return dict(sorted({**shut, **by}.items()))


def _closed_dates(room: Room, periods: list[Period]) -> dict[date, Skipped]:
    """The dates among ``periods`` the school calendar closes for ``room``, with the reason."""
    school = calendar()
    shut = {}
    for begins, ends in periods:
        if reason := school.closed_reason(room, begins, ends):
            shut[_day(begins)] = Skipped(reason)
    return shut


def _check_series_limits(limits: Limits, periods: list[Period]) -> None:
    problems = series_limit_errors(limits, len(periods))
    last = periods[-1][0]
    if not problems and last > timezone.now() + limits.max_ahead:
        problems = {"until": limit_errors(limits, room_name="", start=last, end=periods[-1][1])["start"]}
    if problems:
        raise BookingError(INVALID_INPUT, errors={field: [message] for field, message in problems.items()})


def _taken(room: Room, periods: list[Period]) -> dict[date, Booking]:
    """The dates among ``periods`` that a confirmed booking overlaps, in one query."""
    existing = list(
        room.bookings.overlapping(periods[0][0], periods[-1][1]).select_related("teacher").order_by("start")
    )
    taken: dict[date, Booking] = {}
    for begins, ends in periods:
        clash = next((b for b in existing if b.overlaps(begins, ends)), None)
        if clash is not None:
            taken[_day(begins)] = clash
    return taken


def _series_refused(taken: dict[date, Booking], *, total: int) -> BookingError:
    dates = sorted(taken)
    first = taken[dates[0]]
    listed = ", ".join(day.isoformat() for day in dates[:10]) + (" …" if len(dates) > 10 else "")
    return BookingError(
        ROOM_NOT_AVAILABLE,
        _("Room already booked on %(taken)d of the %(total)d dates (%(listed)s), first by %(name)s")
        % {"taken": len(dates), "total": total, "listed": listed, "name": first.teacher.name},
        conflicting_booking=first,
        conflicting_dates=[day.isoformat() for day in dates],
    )


def series_cancel(*, series_id: int, teacher: Teacher) -> list[Booking]:
    """Cancel the series' bookings that have not begun; past ones stay as they were."""
    asked_at = timezone.now()

    def cancel(locked: Locked) -> list[Booking]:
        series = Series.objects.filter(pk=series_id, teacher=teacher).first()
        if series is None:
            raise BookingError(BOOKING_NOT_FOUND, _("Series not found"))
        upcoming = list(
            series.bookings.holding()
            .filter(start__gt=timezone.now())
            .select_for_update(of=("self",))
            .select_related("room", "teacher")
        )
        for booking in upcoming:
            cancel_booking(booking)
        return upcoming

    def find() -> list[Booking] | None:
        cancelled = Booking.objects.filter(
            series_id=series_id, series__teacher=teacher, cancelled_at__gte=asked_at
        ).select_related("room", "teacher")
        return list(cancelled) or None

    def on_found(cancelled: list[Booking]) -> None:
        for booking in cancelled:
            after_cancel(booking)

    return guarded_write(cancel, find=find, on_found=on_found)


def series_until(
    *, series_id: int, actor: Teacher, until: date, free_dates_only: bool = False
) -> SeriesBooked:
    """Move a series' last day. Earlier: its dates after it are cancelled (those changed by
    themselves stay). Later: it goes on as its last date (room, time, details), all new
    dates or none (a taken date refuses, naming who) or the free ones; closed dates are
    skipped. Returns the series, the dates added and those skipped (or, shortening, the
    dates cancelled, none skipped)."""
    series = Series.objects.select_related("room", "teacher").filter(pk=series_id).first()
    if series is None or not (actor.is_staff or series.teacher_id == actor.pk):
        raise BookingError(BOOKING_NOT_FOUND, _("Series not found"))
    if until < timezone.localdate():
        raise BookingError.invalid("until", _("The last day cannot be in the past."))
    if until <= series.until:
        return _shorten(series, until)
    template = series.bookings.holding().filter(detached=False).order_by("-start").first()
    template = template or series.bookings.order_by("-start").first()
    periods = [
        (begins, ends)
        for begins, ends in series_periods(template.start, template.end, rule=series.rule, until=until)
        if _day(begins) > series.until and begins > timezone.now()
    ]
    if not periods:
        raise BookingError.invalid("until", _("No school day falls between the start and this date."))
    if series.bookings.count() + len(periods) > MAX_OCCURRENCES:
        raise BookingError.invalid(
            "until",
            _("A series may have at most %(most)d dates; choose an earlier last date.")
            % {"most": MAX_OCCURRENCES},
        )
    teacher, room_id = series.teacher, template.room_id
    booked_by = for_colleague(teacher, actor)
    limits = limits_for(teacher, room_id)
    # On a room that needs approval the new dates are requested (an approver decides them).
    approval = approval_needed(limits, room_id=room_id, booked_by=booked_by)

    def extend(locked: Locked) -> SeriesBooked:
        room = locked.room(room_id)
        begins, ends = periods[0]
        check_room(
            room,
            start=begins,
            end=ends,
            teacher=teacher,
            attendees=template.attendees,
            limits=limits,
            dates_checked=False,
        )
        free, shut, taken = _bookable(
            room,
            periods,
            limits=limits,
            teacher=teacher,
            free_dates_only=free_dates_only,
            which="every new date",
        )
        added = Booking.objects.bulk_create(
            new_booking(
                room=room,
                teacher=teacher,
                start=b,
                end=e,
                attendees=template.attendees,
                purpose=template.purpose,
                limits=limits,
                booked_by=booked_by,
                series=series,
                approval=approval,
            )
            for b, e in free
        )
        series.until = until
        series.save(update_fields=["until"])
        announce_booked(added, booked_by=booked_by, approval=approval)
        return SeriesBooked(series, added, _skipped(shut, taken))

    def find() -> SeriesBooked | None:
        if not Series.objects.filter(pk=series_id, until=until).exists():
            return None
        added = list(series.bookings.filter(start__gte=periods[0][0]).select_related("room", "teacher"))
        return SeriesBooked(series, added, {})

    return guarded_write(
        extend,
        claim=Claim(actor, room_id, periods[0][0], periods[0][1]),
        rows=Rows(teacher if limits.counts_per_teacher else None, frozenset({room_id})),
        find=find,
    )


def _shorten(series: Series, until: date) -> SeriesBooked:
    def cancel(locked: Locked) -> SeriesBooked:
        later = [
            booking
            for booking in series.bookings.holding()
            .filter(detached=False, end__gt=timezone.now())
            .select_for_update(of=("self",))
            .select_related("room", "teacher")
            if _day(booking.start) > until
        ]
        for booking in later:
            cancel_booking(booking)
        series.until = until
        series.save(update_fields=["until"])
        return SeriesBooked(series, later, {})

    return guarded_write(
        cancel,
        find=lambda: (
            SeriesBooked(series, [], {})
            if Series.objects.filter(pk=series.pk, until=until).exists()
            else None
        ),
    )
