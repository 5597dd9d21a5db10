"""The timetable: who has which room when, as a grid. A day's grid has the rooms down
the side and the day's periods (or hours, where the school has no periods) across; a
room's week has the days down the side. Each cell is free (with the reason when a lesson's
class is away), booked (by me or someone else), a lesson of the school's timetable, being
booked (a hold), closed (with the reason) or past.

Two queries whatever the size: the rooms, and the bookings of the day (or week) for
them; holds come from the lock store, closures from the calendar in memory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from rooms.models import Room
from rooms.schoolcalendar import PeriodTime, calendar
from teachers.models import Teacher

from . import locks
from .models import Booking, overlapping_q, overlaps
from .rules import from_now, requested_by, rooms_closed_to

FREED = Booking.Status.FREED
REQUESTED = Booking.Status.REQUESTED


@dataclass(frozen=True, slots=True)
class Taken:
    """What a cell shows of a booking, as plain values: a grid reads hundreds of them, and
    building model instances was a third of its time."""

    pk: int
    room_id: int
    start: datetime
    end: datetime
    status: str
    purpose: str
    lesson_id: int | None  # a lesson's date (its cell shows ``purpose``, the lesson's title)
    freed_reason: str
    teacher_id: int
    teacher_name: str

    @property
    def is_requested(self) -> bool:
        return self.status == REQUESTED


def _taken(rooms: list[Room], first: datetime, last: datetime) -> dict[int, list[Taken]]:
    """The rooms' bookings, requests and lesson dates overlapping ``[first, last)``, and
    the lesson dates given back (a free cell says why: "7b on a trip"; only lesson dates
    are ever FREED), by room, in one query."""
    rows = (
        Booking.objects.filter(status__in=(*Booking.HOLDING, FREED))
        .filter(overlapping_q(first, last), room__in=[room.pk for room in rooms])
        .order_by("start")
        .values_list(
            "pk",
            "room_id",
            "start",
            "end",
            "status",
            "purpose",
            "lesson_id",
            "freed_reason",
            "teacher_id",
            "teacher__display_name",
            "teacher__first_name",
            "teacher__last_name",
            "teacher__username",
        )
    )
    taken: dict[int, list[Taken]] = defaultdict(list)
    for *fields, display_name, first_name, last_name, username in rows:
        booking = Taken(*fields, Teacher.name_of(display_name, first_name, last_name, username))
        taken[booking.room_id].append(booking)
    return taken


# Without periods: an hour a column, over the school's usual day.
DAY_STARTS, DAY_ENDS = time(8), time(18)


@dataclass
class Column:
    name: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        # Worked out once per column, not per cell: a day's grid has a thousand cells.
        start, end = timezone.localtime(self.start), timezone.localtime(self.end)
        # A period under way offers the rest of it: its times say from when; its values
        # (what a claim asks for, the hold's name) stay the period's.
        begins = timezone.localtime(from_now(self.start, self.end))
        self.under_way = begins != start
        self.times = f"{begins:%H:%M}\u2013{end:%H:%M}"
        self.when = f"{self.name} ({self.times})"
        self.start_value, self.end_value = f"{start:%Y-%m-%dT%H:%M}", f"{end:%Y-%m-%dT%H:%M}"
        self.period = f"{formats.date_format(start, 'SHORT_DAY_FORMAT')}, {self.when}"


@dataclass
class Cell:
    room: Room
    column: Column
    # free, mine (booked or requested by this teacher), booked, requested (by a colleague,
    # awaiting approval), lesson, held, closed, restricted (not for this teacher), past
    state: str
    booking: Taken | None = None
    reason: str = ""

    @property
    def label(self) -> str:
        """What a screen reader says of the cell: “Room 101, Period 3, free”."""
        return self.describe(labels())

    def describe(self, words: dict[str, str]) -> str:
        """``label``, with ``LABELS`` translated already (a grid looks them up once)."""
        purpose = self.booking.purpose if self.booking else ""
        key = self.state
        if self.state == "mine" and self.booking.is_requested:
            key = "mine requested"
        elif self.state == "free" and self.reason:
            key = "free reason"
        if purpose and f"{key} purpose" in LABELS:
            key = f"{key} purpose"
        who = self.who_with(words)
        what = words[key] % {"who": who, "purpose": purpose, "reason": self.reason}
        return f"{self.room.name}, {self.column.when}, {what}"

    @property
    def who(self) -> str:
        return self.who_with(labels())

    def who_with(self, words: dict[str, str]) -> str:
        if self.booking is None:
            return ""
        return self.booking.teacher_name if words["names shown"] else words["colleague"]


# A cell's description by its state (and whether there is a purpose or reason to say).
LABELS = {
    "mine requested": _("requested by you"),
    "mine requested purpose": _("requested by you for %(purpose)s"),
    "mine": _("booked by you"),
    "mine purpose": _("booked by you for %(purpose)s"),
    "requested": _("requested by %(who)s"),
    "requested purpose": _("requested by %(who)s for %(purpose)s"),
    "booked": _("booked by %(who)s"),
    "booked purpose": _("booked by %(who)s for %(purpose)s"),
    "lesson": _("lesson %(purpose)s"),
    "free reason": _("free: %(reason)s"),
    "closed": _("closed: %(reason)s"),
    "restricted": _("not bookable: %(reason)s"),
    "free": _("free"),
    "held": _("being booked"),
    "past": _("past"),
    "colleague": _("a colleague"),
}
_translated: dict[str, dict[str, str]] = {}


def labels() -> dict[str, str]:
    """``LABELS`` in the active language, translated once per language and process: a
    day's grid has a thousand cells, and each ``gettext`` walks the chain of catalogues
    (it was a third of the grid's time)."""
    language = translation.get_language() or ""
    if language not in _translated:
        _translated[language] = {key: str(text) for key, text in LABELS.items()}
    # Settings are read once per grid too (a lazy object's attribute costs a call per cell).
    return {**_translated[language], "names shown": settings.TIMETABLE_SHOWS_NAMES}


@dataclass
class Row:
    header: str
    cells: list[Cell] = field(default_factory=list)
    room: Room | None = None
    day: date | None = None


@dataclass
class Grid:
    columns: list[Column]
    rows: list[Row]
    holds_end: datetime | None = None  # when the first hold on a room shown ends
    staff: bool = False  # the viewer may move anyone's booking, and a lesson's date
    approvals: dict[int, str] = field(default_factory=dict)  # rooms the viewer must request: who decides

    @property
    def next_hold_ends(self) -> str:
        return self.holds_end.isoformat() if self.holds_end else ""


def columns_on(day: date) -> list[Column]:
    """The day's periods, or its hours where the school has no periods."""
    periods: list[PeriodTime] = calendar().periods_on(day)
    if periods:
        return [Column(period.name, period.start, period.end) for period in periods]
    tz = timezone.get_current_timezone()
    return [
        Column(
            f"{hour:02d}:00", datetime.combine(day, time(hour), tz), datetime.combine(day, time(hour + 1), tz)
        )
        for hour in range(DAY_STARTS.hour, DAY_ENDS.hour)
    ]


def day_grid(day: date, *, teacher: Teacher, building_id: int | None = None) -> Grid:
    rooms = (
        Room.objects.filter(is_active=True)
        .select_related("building")
        .only("name", "capacity", "building__name")  # what a row shows
        .order_by("building__name", "name")
    )
    if building_id is not None:
        rooms = rooms.filter(building_id=building_id)
    rooms = list(rooms)
    columns = columns_on(day)
    cells, holds_end = _cells(rooms, {day: columns}, teacher=teacher)
    rows = [Row(room.name, cells[room.pk, day], room=room) for room in rooms]
    return Grid(columns, rows, holds_end, staff=teacher.is_staff, approvals=requested_by(teacher))


def week_grid(room: Room, monday: date, *, teacher: Teacher) -> Grid:
    """One room's week: a row a day, that day's periods (or hours) across."""
    days = [monday + timedelta(days=n) for n in range(7)]
    by_day = {day: columns_on(day) for day in days}
    cells, holds_end = _cells([room], by_day, teacher=teacher)
    widest = max(by_day.values(), key=len)
    rows = [
        Row(formats.date_format(day, "SHORT_DAY_FORMAT"), cells[room.pk, day], room=room, day=day)
        for day in days
    ]
    return Grid(widest, rows, holds_end, staff=teacher.is_staff, approvals=requested_by(teacher))


def _cells(
    rooms: list[Room], by_day: dict[date, list[Column]], *, teacher: Teacher
) -> tuple[dict, datetime | None]:
    """Every room's cells on every day, in one bookings query and one read of the holds;
    and when the first of those holds ends."""
    if not rooms:
        return {}, None
    every = [column for columns in by_day.values() for column in columns]
    first, last = min(column.start for column in every), max(column.end for column in every)
    bookings = _taken(rooms, first, last)
    held: dict[int, list[locks.Lock]] = defaultdict(list)
    shown = {room.pk for room in rooms}
    for lock in locks.active_locks():
        if lock.room_id in shown:
            held[lock.room_id].append(lock)
    school = calendar()
    now = timezone.now()
    restricted = rooms_closed_to(teacher)
    me = teacher.pk  # once: ``teacher`` is the request's lazy user
    result = {}
    for day, columns in by_day.items():
        # What is the same for every room, worked out once per column (a thousand cells):
        # from when a period under way is free, and what the calendar closes then (None:
        # nothing).
        spans = []
        for column in columns:
            shut = school.closed_between(column.start, column.end)
            spans.append((column, from_now(column.start, column.end, now=now), shut if shut else None))
        for room in rooms:
            room_id = room.pk
            mine, holds, why = bookings[room_id], held[room_id], restricted.get(room_id, "")
            result[room_id, day] = [
                _cell(room, column, begins, mine, holds, shut, me=me, now=now, restricted=why)
                for column, begins, shut in spans
            ]
    return result, min((lock.expires_at for holds in held.values() for lock in holds), default=None)


def _cell(room, column, begins, bookings, holds, closed, *, me: int, now, restricted: str) -> Cell:
    # A period under way is free when the rest of it is (``begins``: from now): a booking
    # that ended before now no longer takes the cell.
    here = [b for b in bookings if b.start < column.end and b.end > begins] if bookings else bookings
    booking = next((b for b in here if b.status != FREED), None)
    if booking is not None and booking.lesson_id:
        return Cell(room, column, "lesson", booking)
    if booking is not None and booking.teacher_id == me:
        return Cell(room, column, "mine", booking)
    if booking is not None:
        return Cell(room, column, "requested" if booking.is_requested else "booked", booking)
    freed = next((b.freed_reason for b in here), "")
    reason = closed.reason_for(room) if closed is not None else None
    if reason:
        return Cell(room, column, "closed", reason=reason)
    if column.end <= now:
        return Cell(room, column, "past")
    if restricted:  # a room only some groups may book, and the teacher is in none of them
        return Cell(room, column, "restricted", reason=restricted)
    if any(
        overlaps(lock.start, lock.end, column.start, column.end) and lock.holder_id != me for lock in holds
    ):
        return Cell(room, column, "held")
    return Cell(room, column, "free", reason=freed)
