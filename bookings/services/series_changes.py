"""Changing a series after it is made: its room, time, attendees or purpose for *this
date*, *this and the following dates* or *all upcoming dates*; its last day; cancelling
this and the following. Each through the guard, all or nothing (or the free dates only),
with a preview that says the same before anything is written.

A date changed or cancelled by itself (``Booking.detached``) stays as it is when the rest
of the series changes, unless the change resets it; a cancelled date never comes back by
itself. "This and the following" splits the series at that date: the dates from it on
become a series of their own (with the old one's rule and last day), the earlier ones
keep theirs, ending the day before."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext as _

from rooms.models import Room
from rooms.schoolcalendar import PeriodError, calendar
from teachers.models import Teacher

from .. import notifications
from ..errors import BOOKING_NOT_FOUND, ROOM_NOT_AVAILABLE, BookingError
from ..models import Booking, Notification, Series
from ..rules import limits_for
from .changes import KEEP, after_move, cancel_booking
from .checks import check_direct, check_room
from .guard import Claim, Locked, Rows, guarded_write


class Scope(StrEnum):
    THIS = "this"
    FOLLOWING = "following"
    ALL = "all"


@dataclass(frozen=True)
class SeriesEdit:
    """What changes: a room, the times of day (``starts`` alone keeps each date's length) or
    a period, attendees, purpose; ``None`` (``KEEP`` for attendees) leaves a detail as it is."""

    room_id: int | None = None
    starts: time | None = None
    ends: time | None = None
    attendees: object = KEEP
    purpose: str | None = None
    period: str = ""  # a period of the day plan by name: each date gets its times that day


class DateState(StrEnum):
    MOVES = "moves"  # to the new room or time
    STAYS = "stays"  # already there (its details may change)
    TAKEN = "taken"  # someone else has the new slot
    CLOSED = "closed"  # the school calendar closes the new slot
    KEPT = "kept"  # changed by itself before: left as it is


@dataclass(frozen=True)
class DatePlan:
    booking: Booking  # the date as it is
    room: Room
    start: datetime
    end: datetime
    state: DateState
    reason: str = ""  # who has it, or why it is closed

    @property
    def day(self) -> date:
        return timezone.localtime(self.booking.start).date()


@dataclass
class SeriesPlan:
    """What a change would do to each date in its scope (the preview), or did."""

    series: Series
    scope: Scope
    dates: list[DatePlan] = field(default_factory=list)

    def of(self, state: DateState) -> list[DatePlan]:
        return [plan for plan in self.dates if plan.state == state]


def series_preview(
    *, series_id: int, actor: Teacher, date_id: int, scope: Scope, edit: SeriesEdit, reset: bool = False
) -> SeriesPlan:
    """What ``series_change`` would do, date by date; nothing is written."""
    series, first = _series_and_date(series_id, actor, date_id)
    return _plan(series, first, scope, edit, reset=reset)


def series_change(
    *,
    series_id: int,
    actor: Teacher,
    date_id: int,
    scope: Scope,
    edit: SeriesEdit,
    reset: bool = False,
    free_dates_only: bool = False,
) -> SeriesPlan:
    """Change the dates of a series in ``scope`` from the date ``date_id``: all of them or
    none (``ROOM_NOT_AVAILABLE`` naming the taken or closed dates), or with
    ``free_dates_only`` those whose new slot is free (the others stay as they are). The new
    slots are claimed under the full guard; the slots left are freed in the same
    transaction (events, waitlist offers). Returns the plan as carried out."""
    series, first = _series_and_date(series_id, actor, date_id)
    preview = _plan(series, first, scope, edit, reset=reset)
    moving = preview.of(DateState.MOVES)
    teacher = series.teacher
    new_room = edit.room_id or first.room_id
    limits = limits_for(teacher, new_room)
    rooms = {plan.booking.room_id for plan in preview.dates} | {new_room}

    def change(locked: Locked) -> SeriesPlan:
        plan = _plan(series, first, scope, edit, reset=reset)  # again, under the row locks
        refused = plan.of(DateState.TAKEN) + plan.of(DateState.CLOSED)
        if refused and not free_dates_only:
            raise _refused(refused)
        going = plan.of(DateState.MOVES)
        if going:
            check_direct(limits, locked.room(new_room), actor=actor)
            check_room(
                locked.room(new_room),
                start=going[0].start,
                end=going[0].end,
                teacher=teacher,
                limits=limits,
                attendees=_attendees(edit, going[0].booking),
                dates_checked=False,
            )
        target = _split(series, first, edit) if scope == Scope.FOLLOWING else series
        for date_plan in plan.of(DateState.MOVES) + plan.of(DateState.STAYS):
            _apply(date_plan, edit, scope=scope, target=target)
        # A date the change left where it was (its new slot taken or closed) is unlike the
        # rest now: it is kept as it is, as a date changed by itself would be.
        Booking.objects.filter(pk__in=[date_plan.booking.pk for date_plan in refused]).update(detached=True)
        if scope == Scope.ALL:
            _retitle(series, edit, new_room)
        if actor.pk != teacher.pk and (going or plan.of(DateState.STAYS)):
            changed = (going or plan.of(DateState.STAYS))[0].booking
            details = {"dates": len(going) + len(plan.of(DateState.STAYS))}
            notifications.enqueue(
                teacher=teacher, kind=Notification.Kind.MOVED, booking=changed, details=details
            )
        plan.series = target
        return plan

    def find() -> SeriesPlan | None:  # after a lost COMMIT: are the dates where they were to go?
        if not moving:
            return None
        there = Booking.objects.filter(
            pk=moving[0].booking.pk, room_id=new_room, start=moving[0].start
        ).exists()
        return preview if there else None

    claim = Claim(actor, new_room, moving[0].start, moving[0].end) if moving else None
    return guarded_write(change, claim=claim, rows=Rows(room_ids=frozenset(rooms)), find=find)


def series_cancel_following(*, series_id: int, actor: Teacher, date_id: int) -> list[Booking]:
    """Cancel a series from this date on (its dates changed by themselves stay): the
    series ends the day before."""
    series, first = _series_and_date(series_id, actor, date_id)

    def cancel(locked: Locked) -> list[Booking]:
        dates = list(
            series.bookings.holding()
            .filter(start__gte=first.start, end__gt=timezone.now(), detached=False)
            .select_for_update(of=("self",))
            .select_related("room", "teacher")
        )
        for booking in dates:
            cancel_booking(booking)
        series.until = min(series.until, timezone.localtime(first.start).date() - timedelta(days=1))
        series.save(update_fields=["until"])
        return dates

    day_before = timezone.localtime(first.start).date() - timedelta(days=1)
    ended = Series.objects.filter(pk=series_id, until__lte=day_before)
    return guarded_write(cancel, find=lambda: [] if ended.exists() else None)


def _series_and_date(series_id: int, actor: Teacher, date_id: int) -> tuple[Series, Booking]:
    """The series (the teacher's own, or anyone's for staff) and its upcoming date."""
    series = Series.objects.select_related("room", "teacher").filter(pk=series_id).first()
    if series is None or not (actor.is_staff or series.teacher_id == actor.pk):
        raise BookingError(BOOKING_NOT_FOUND, _("Series not found"))
    first = (
        series.bookings.confirmed()
        .select_related("room", "teacher")
        .filter(pk=date_id, end__gt=timezone.now())
        .first()
    )
    if first is None:
        raise BookingError.invalid("date", _("Choose an upcoming date of the series."))
    return series, first


def _plan(series: Series, first: Booking, scope: Scope, edit: SeriesEdit, *, reset: bool) -> SeriesPlan:
    room = Room.objects.filter(pk=edit.room_id).first() if edit.room_id else None
    if edit.room_id and (room is None or not room.is_active):
        raise BookingError.invalid("room", _("Choose a room that is open."))
    dates = series.bookings.confirmed().select_related("room", "teacher").filter(end__gt=timezone.now())
    if scope == Scope.THIS:
        dates = dates.filter(pk=first.pk)
    elif scope == Scope.FOLLOWING:
        dates = dates.filter(start__gte=first.start)
    dates = list(dates.order_by("start"))
    moving_ids = {booking.pk for booking in dates}
    school = calendar()
    plan = SeriesPlan(series, scope)
    wanted = []
    for booking in dates:
        if booking.detached and not reset and booking.pk != first.pk:
            plan.dates.append(DatePlan(booking, booking.room, booking.start, booking.end, DateState.KEPT))
            continue
        begins, ends = _new_times(booking, edit)
        wanted.append((booking, room or booking.room, begins, ends))
    taken = _taken_by_others(wanted, moving_ids)
    for booking, new_room, begins, ends in wanted:
        if (new_room.pk, begins, ends) == (booking.room_id, booking.start, booking.end):
            plan.dates.append(DatePlan(booking, new_room, begins, ends, DateState.STAYS))
        elif reason := school.closed_reason(new_room, begins, ends):
            plan.dates.append(DatePlan(booking, new_room, begins, ends, DateState.CLOSED, reason))
        elif clash := taken.get(booking.pk):
            plan.dates.append(DatePlan(booking, new_room, begins, ends, DateState.TAKEN, clash.teacher.name))
        else:
            plan.dates.append(DatePlan(booking, new_room, begins, ends, DateState.MOVES))
    plan.dates.sort(key=lambda date_plan: date_plan.booking.start)
    return plan


def _new_times(booking: Booking, edit: SeriesEdit) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    local_start, local_end = timezone.localtime(booking.start), timezone.localtime(booking.end)
    day = local_start.date()
    if edit.period:
        try:
            return calendar().run_of_periods(day, edit.period)
        except PeriodError as problem:
            raise BookingError.invalid("period", str(problem)) from None
    begins = datetime.combine(day, edit.starts, tz) if edit.starts else booking.start
    if edit.ends:
        ends = datetime.combine(day, edit.ends, tz)
    elif edit.starts:
        ends = begins + (local_end - local_start)
    else:
        ends = booking.end
    if ends <= begins:
        raise BookingError.invalid("end", _("The end must be after the start."))
    return begins, ends


def _taken_by_others(wanted: list, moving_ids: set[int]) -> dict[int, Booking]:
    """For each date, a confirmed booking of someone else (not a date that moves too) in
    the way of its new slot; one query."""
    if not wanted:
        return {}
    rooms = {room.pk for _booking, room, _b, _e in wanted}
    first, last = min(item[2] for item in wanted), max(item[3] for item in wanted)
    others = list(
        Booking.objects.overlapping(first, last)
        .filter(room_id__in=rooms)
        .exclude(pk__in=moving_ids)
        .select_related("teacher")
        .order_by("start")
    )
    taken = {}
    for booking, room, begins, ends in wanted:
        clash = next((o for o in others if o.room_id == room.pk and o.overlaps(begins, ends)), None)
        if clash is not None:
            taken[booking.pk] = clash
    return taken


def _attendees(edit: SeriesEdit, booking: Booking) -> int | None:
    return booking.attendees if edit.attendees is KEEP else edit.attendees


def _apply(date_plan: DatePlan, edit: SeriesEdit, *, scope: Scope, target: Series) -> None:
    """Move one date (or change its details), its row locked by the caller; after commit
    the old slot's ``bookingCancelled`` and the new one's ``bookingCreated``."""
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("room", "teacher")
        .get(pk=date_plan.booking.pk)
    )
    before = copy.copy(booking)
    booking.room, booking.start, booking.end = date_plan.room, date_plan.start, date_plan.end
    booking.attendees = _attendees(edit, booking)
    booking.purpose = booking.purpose if edit.purpose is None else edit.purpose
    booking.series = target
    booking.detached = scope == Scope.THIS
    if date_plan.state == DateState.MOVES:
        booking.checked_in_at = None
    booking.save()
    if date_plan.state == DateState.MOVES:
        after_move(before, booking)


def _split(series: Series, first: Booking, edit: SeriesEdit) -> Series:
    """A series of its own for the dates from ``first`` on (those changed by themselves
    too); the old one ends the day before."""
    day = timezone.localtime(first.start).date()
    later = Series.objects.create(
        room_id=edit.room_id or series.room_id,
        teacher=series.teacher,
        rule=series.rule,
        until=series.until,
        purpose=series.purpose if edit.purpose is None else edit.purpose,
    )
    series.bookings.filter(start__gte=first.start).update(series=later)
    series.until = day - timedelta(days=1)
    series.save(update_fields=["until"])
    return later


def _retitle(series: Series, edit: SeriesEdit, room_id: int) -> None:
    series.room_id = room_id
    series.purpose = series.purpose if edit.purpose is None else edit.purpose
    series.save(update_fields=["room", "purpose"])


def _refused(refused: list[DatePlan]) -> BookingError:
    taken = [plan for plan in refused if plan.state == DateState.TAKEN]
    listed = ", ".join(plan.day.isoformat() for plan in refused[:10]) + (" …" if len(refused) > 10 else "")
    if taken:
        message = _("The new slot is taken on %(count)d of the dates (%(listed)s), first by %(name)s") % {
            "count": len(refused),
            "listed": listed,
            "name": taken[0].reason,
        }
    else:
        message = _("The new slot is closed on %(count)d of the dates (%(listed)s): %(why)s") % {
            "count": len(refused),
            "listed": listed,
            "why": refused[0].reason,
        }
    return BookingError(
        ROOM_NOT_AVAILABLE, message, conflicting_dates=[plan.day.isoformat() for plan in refused]
    )
