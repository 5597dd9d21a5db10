"""When rooms can be used: terms, closures, bookable hours and the day's periods, as set
in Django admin. Read from a copy in memory (``rooms.settings_cache``), so the claim path
and the search pay no query for it.

With nothing set, every day and hour is open and there are no periods. Times are local
wall-clock times in the school's time zone, so a period keeps its hour across a change
of daylight saving time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import BookableHours, Closure, Period, Room, Term
from .settings_cache import Cached

# "Not bookable on Mondays": the weekday as a habit, which languages say in their own way.
ON_WEEKDAYS = {
    0: gettext_lazy("on Mondays"),
    1: gettext_lazy("on Tuesdays"),
    2: gettext_lazy("on Wednesdays"),
    3: gettext_lazy("on Thursdays"),
    4: gettext_lazy("on Fridays"),
    5: gettext_lazy("on Saturdays"),
    6: gettext_lazy("on Sundays"),
}


def _day(day: date) -> str:
    return formats.date_format(day, "SHORT_DAY_FORMAT")


@dataclass(frozen=True)
class PeriodTime:
    """One period on one date."""

    name: str
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return f"{self.name} ({self.start:%H:%M}\u2013{self.end:%H:%M})"


class PeriodError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name


@dataclass
class Closed:
    """What the calendar closes for one period. A room with hours of its own follows them
    (``own_hours``: the reason it is closed, or ``None`` if open), not its building's."""

    school: str | None = None
    buildings: dict[int, str] = field(default_factory=dict)  # closures
    building_hours: dict[int, str] = field(default_factory=dict)
    rooms: dict[int, str] = field(default_factory=dict)  # closures
    own_hours: dict[int, str | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        """Whether it closes anything at all."""
        return bool(self.school or self.buildings or self.building_hours or self.rooms or self.own_hours)

    def reason_for(self, room: Room) -> str | None:
        if self.school:
            return self.school
        if reason := self.rooms.get(room.pk) or self.buildings.get(room.building_id):
            return reason
        if room.pk in self.own_hours:
            return self.own_hours[room.pk]
        return self.building_hours.get(room.building_id)


@dataclass
class Calendar:
    terms: list[tuple[date, date]] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)
    periods: list[Period] = field(default_factory=list)
    # (kind, id) -> weekday -> [(opens, closes)]; kind is "building" or "room".
    hours: dict[tuple[str, int], dict[int, list[tuple[time, time]]]] = field(default_factory=dict)
    # What pages work out from the calendar alone, kept as long as this copy is in use.
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    def remembered(self, key, make):
        """``make()`` once per ``key`` for this copy of the calendar (a new copy, after an
        admin's change or ``SCHOOL_SETTINGS_SECONDS``, works it out again)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    # --- terms and the week rotation ---------------------------------------------------

    def term_of(self, day: date) -> tuple[date, date] | None:
        return next(((first, last) for first, last in self.terms if first <= day <= last), None)

    def week_letter(self, day: date) -> str | None:
        """``A`` or ``B`` in a two-week rotation counted from the first week of the term."""
        term = self.term_of(day)
        if term is None:
            return None
        weeks = (
            (day - timedelta(days=day.weekday())) - (term[0] - timedelta(days=term[0].weekday()))
        ).days // 7
        return "AB"[weeks % 2]

    # --- periods -------------------------------------------------------------------------

    def periods_on(self, day: date) -> list[PeriodTime]:
        """The day's periods in order: the weekday's own plan if it has one, else the
        everyday plan, keeping the periods of the day's rotation week."""
        own = [period for period in self.periods if period.weekday == day.weekday()]
        plan = own or [period for period in self.periods if period.weekday is None]
        week = self.week_letter(day)
        plan = [period for period in plan if not period.week or period.week == week]
        tz = timezone.get_current_timezone()
        return sorted(
            (
                PeriodTime(
                    period.name,
                    datetime.combine(day, period.starts, tz),
                    datetime.combine(day, period.ends, tz),
                )
                for period in plan
            ),
            key=lambda period: period.start,
        )

    def run_of_periods(self, day: date, first: str, last: str | None = None) -> tuple[datetime, datetime]:
        """The start of period ``first`` and the end of ``last`` (or of ``first``) on ``day``;
        ``PeriodError`` naming the field (``period`` or ``to_period``) if there is no such run."""
        periods = {period.name: period for period in self.periods_on(day)}
        last = last or first
        for field_name, name in (("period", first), ("to_period", last)):
            if name not in periods:
                raise PeriodError(
                    field_name, _("There is no %(period)s on %(day)s.") % {"period": name, "day": _day(day)}
                )
        if periods[last].end <= periods[first].start:
            raise PeriodError(
                "to_period", _("%(last)s comes before %(first)s.") % {"last": last, "first": first}
            )
        return periods[first].start, periods[last].end

    def when(self, start: datetime, end: datetime, *, shown_from: datetime | None = None) -> str:
        """“Thu 3 Dec, Period 3 (10:50-11:40)”, or “Thu 3 Dec, 10:50-11:40” off the
        periods; ``shown_from``: the times from then (the rest of a period under way)."""
        local_start, local_end = timezone.localtime(start), timezone.localtime(end)
        begins = timezone.localtime(shown_from or start)
        periods = self.period_label(start, end)
        times = f"{begins:%H:%M}\u2013{local_end:%H:%M}"
        return f"{_day(local_start.date())}, " + (f"{periods} ({times})" if periods else times)

    def period_label(self, start: datetime, end: datetime) -> str:
        """“Period 3”, or “Period 3-Period 4” for a run, when ``start`` and ``end`` fall on
        the day's period boundaries (or ``start`` inside the first period: the rest of a
        period booked while it was under way); else empty."""
        local_start, local_end = timezone.localtime(start), timezone.localtime(end)
        periods = self.periods_on(local_start.date())
        first = next((period for period in periods if period.start == local_start), None) or next(
            (period for period in periods if period.start < local_start < period.end), None
        )
        last = next((period for period in periods if period.end == local_end), None)
        if first is None or last is None or last.start < first.start:
            return ""
        return first.name if first == last else f"{first.name}\u2013{last.name}"

    # --- when a room cannot be used ------------------------------------------------------

    def closed_reason(self, room: Room, start: datetime, end: datetime) -> str | None:
        """Why ``room`` cannot be booked for ``[start, end)`` (a closure, outside term,
        outside its bookable hours), or ``None``."""
        local_start, local_end = timezone.localtime(start), timezone.localtime(end)
        days = _days(local_start, local_end)
        for day in days:
            reason = self._closed_on(day, room_id=room.pk, building_id=room.building_id)
            if reason:
                return reason
        outside = self._outside_hours(room, local_start, local_end)
        return _("%(room)s is %(why)s") % {"room": room.name, "why": outside} if outside else None

    def closed_on(self, day: date, room: Room) -> str | None:
        """Why ``room`` is closed all of ``day`` (outside term, a closure of the school, its
        building or itself), or ``None``. Bookable hours aside: they bound ad-hoc bookings,
        not the timetable's lessons."""
        return self._closed_on(day, room_id=room.pk, building_id=room.building_id)

    def day_plan(self, weekday: int) -> list[list[str]]:
        """The names of a weekday's periods in order, once per rotation week it differs in
        (one list when weeks A and B share a plan): the periods a timetable may name."""
        own = [period for period in self.periods if period.weekday == weekday]
        plan = own or [period for period in self.periods if period.weekday is None]
        weeks = {period.week for period in plan if period.week} or {""}
        return [
            [p.name for p in sorted(plan, key=lambda p: p.starts) if not p.week or p.week == week]
            for week in sorted(weeks)
        ]

    def school_closed_reason(self, day: date) -> str | None:
        """Why the whole school is closed on ``day`` (outside term, a school closure)."""
        return self._closed_on(day, room_id=None, building_id=None)

    def closed_between(self, start: datetime, end: datetime) -> Closed:
        """What is closed for ``[start, end)``, school-wide, by building and by room, for
        the search to leave out (one pass over the calendar, no query)."""
        local_start, local_end = timezone.localtime(start), timezone.localtime(end)
        closed = Closed()
        for day in _days(local_start, local_end):
            closed.school = closed.school or self._closed_on(day, room_id=None, building_id=None)
            for closure in self.closures:
                if closure.first_day <= day <= closure.last_day:
                    reason = self._closed_on(day, room_id=closure.room_id, building_id=closure.building_id)
                    if closure.room_id:
                        closed.rooms.setdefault(closure.room_id, reason)
                    elif closure.building_id:
                        closed.buildings.setdefault(closure.building_id, reason)
        for kind, key in self.hours:
            stand_in = Room(
                pk=key if kind == "room" else None, building_id=key if kind == "building" else None
            )
            reason = self._outside_hours(stand_in, local_start, local_end)
            if kind == "room":
                closed.own_hours[key] = reason
            elif reason:
                closed.building_hours[key] = reason
        return closed

    def _closed_on(self, day: date, *, room_id: int | None, building_id: int | None) -> str | None:
        if self.terms and self.term_of(day) is None:
            return _("the school is closed on %(day)s (outside term time)") % {"day": _day(day)}
        for closure in self.closures:
            if not closure.first_day <= day <= closure.last_day:
                continue
            whole_school = closure.room_id is None and closure.building_id is None
            if (
                whole_school
                or (room_id and closure.room_id == room_id)
                or (building_id and closure.building_id == building_id)
            ):
                if whole_school:
                    return _("the school is closed on %(day)s: %(why)s") % {
                        "day": _day(day),
                        "why": closure.label,
                    }
                message = _("%(place)s is closed on %(day)s: %(why)s")
                return message % {"place": closure.scope, "day": _day(day), "why": closure.label}
        return None

    def _outside_hours(self, room: Room, start: datetime, end: datetime) -> str | None:
        hours = self.hours.get(("room", room.pk)) or self.hours.get(("building", room.building_id))
        if hours is None:
            return None
        day = start.date()
        windows = hours.get(day.weekday(), [])
        # Wall-clock times from the day's midnight; a window closing at 23:59 runs to midnight.
        if end.date() == day:
            ends = _clock(end.time())
        elif end.date() == day + timedelta(days=1) and end.time() == time(0):
            ends = timedelta(days=1)
        else:
            ends = None
        closing = [
            (_clock(opens), timedelta(days=1) if closes == time(23, 59) else _clock(closes))
            for opens, closes in windows
        ]
        if ends is not None and any(
            opens <= _clock(start.time()) and ends <= closes for opens, closes in closing
        ):
            return None
        if not windows:
            return _("not bookable %(on_weekdays)s") % {"on_weekdays": ON_WEEKDAYS[day.weekday()]}
        listed = ", ".join(f"{opens:%H:%M}\u2013{closes:%H:%M}" for opens, closes in windows)
        message = _("only bookable %(hours)s %(on_weekdays)s")
        return message % {"hours": listed, "on_weekdays": ON_WEEKDAYS[day.weekday()]}


def _clock(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second)


def _days(start: datetime, end: datetime) -> list[date]:
    last = (end - timedelta(microseconds=1)).date()
    days, day = [], start.date()
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days


def _load() -> Calendar:
    hours: dict = defaultdict(lambda: defaultdict(list))
    for row in BookableHours.objects.order_by("opens"):
        key = ("room", row.room_id) if row.room_id else ("building", row.building_id)
        hours[key][row.weekday].append((row.opens, row.closes))
    return Calendar(
        terms=list(Term.objects.values_list("first_day", "last_day")),
        closures=list(Closure.objects.select_related("room", "building")),
        periods=list(Period.objects.all()),
        hours={key: dict(days) for key, days in hours.items()},
    )


_calendar = Cached(_load, models=[Term, Closure, Period, BookableHours])


def calendar() -> Calendar:
    """The school calendar as admins set it (a copy at most ``SCHOOL_SETTINGS_SECONDS`` old)."""
    return _calendar.get()
