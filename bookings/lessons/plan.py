"""Importing the school's timetable: the lessons of a file (``formats``) matched to the
school's teachers, rooms and periods, laid out on every date they take place, and written
under the guard, so a lesson and a booking (or two lessons) never share a room.

Importing from a date replaces the timetable from that date on: a lesson that did not
change keeps its dates (their releases and check-ins too), one no longer in the file ends
the day before, a new one begins; dates before are untouched, and the same file twice
changes nothing. Bookings the lessons clash with are never dropped silently: the import
refuses and lists them, or (``lessons_win``) cancels them through the usual path, telling
their teachers, or (``skip_clashing``) leaves those lesson dates out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise

from django.db.models import Q
from django.utils import formats as date_formats
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config.imports import ImportFileError, Outcome
from rooms.schoolcalendar import Calendar, calendar

from .. import notifications
from ..models import Booking, Lesson, Notification, overlapping_q
from ..services.changes import cancel_booking
from ..services.guard import Locked, Rows, guarded_write
from .formats import read
from .match import Wanted, resolve

BATCH = 2000


@dataclass
class TimetableOutcome(Outcome):
    """What an import did (or would do): lessons new, changed (dates added or removed),
    unchanged and removed; dates added and removed; clashing bookings cancelled or
    lesson dates left out."""

    removed: list[str] = field(default_factory=list)
    dates_added: int = 0
    dates_removed: int = 0
    cancelled: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    def summary(self, *, dry_run: bool) -> str:
        parts = [
            _("%(count)d lessons new") % {"count": len(self.created)},
            _("%(count)d changed") % {"count": len(self.updated)},
            _("%(count)d unchanged") % {"count": len(self.unchanged)},
            _("%(count)d removed") % {"count": len(self.removed)},
            _("%(added)d dates added, %(removed)d removed")
            % {"added": self.dates_added, "removed": self.dates_removed},
        ]
        if self.cancelled:
            parts.append(_("%(count)d clashing bookings cancelled") % {"count": len(self.cancelled)})
        if self.left_out:
            parts.append(_("%(count)d clashing lesson dates left out") % {"count": len(self.left_out)})
        return ", ".join(parts) + (_(" (a dry run: nothing would be saved)") if dry_run else "")

    def lines(self, *, dry_run: bool):
        yield from super().lines(dry_run=dry_run)
        verbs = (
            (_("Would remove %(item)s"), _("Removed %(item)s"), self.removed),
            (_("Would cancel %(item)s"), _("Cancelled %(item)s"), self.cancelled),
            (_("Would leave out %(item)s"), _("Left out %(item)s"), self.left_out),
        )
        for would, did, items in verbs:
            for item in items:
                yield (would if dry_run else did) % {"item": item}


class _DryRun(Exception):
    def __init__(self, outcome: TimetableOutcome) -> None:
        self.outcome = outcome


def import_timetable(
    data: bytes,
    *,
    start: date,
    end: date | None = None,
    format: str = "",
    lessons_win: bool = False,
    skip_clashing: bool = False,
    dry_run: bool = False,
) -> TimetableOutcome:
    """Import the timetable in ``data`` for ``[start, end]`` (``end``: the last day of the
    term ``start`` is in); all or nothing, ``ImportFileError`` naming every problem."""
    school = calendar()
    end = end or _term_end(school, start)
    if end < start:
        raise ImportFileError([_("The last day comes before the first.")])
    wanted = resolve(read(data, format=format), school)
    dates = {lesson.key: _dates(lesson, school, start, end) for lesson in wanted}
    _refuse_clashes_within(wanted, dates)
    room_ids = frozenset(lesson.room.pk for lesson in wanted) | frozenset(
        Lesson.objects.filter(last_day__gte=start).values_list("room_id", flat=True)
    )

    def apply(locked: Locked) -> TimetableOutcome:
        outcome = _apply(
            wanted, dates, school, start=start, end=end, lessons_win=lessons_win, skip_clashing=skip_clashing
        )
        if dry_run:
            raise _DryRun(outcome)
        return outcome

    keys = {lesson.key for lesson in wanted}

    def find() -> TimetableOutcome | None:  # after a lost COMMIT: did the import land?
        landed = set(Lesson.objects.filter(key__in=keys, last_day=end).values_list("key", flat=True))
        return TimetableOutcome() if landed == keys else None

    try:
        return guarded_write(apply, rows=Rows(room_ids=room_ids), find=find)
    except _DryRun as dry:
        return dry.outcome


def _term_end(school: Calendar, start: date) -> date:
    term = school.term_of(start)
    if term is None:
        raise ImportFileError(
            [_("No term holds %(day)s: give the last day to import (--to).") % {"day": start.isoformat()}]
        )
    return term[1]


def _dates(lesson: Wanted, school: Calendar, start: date, end: date) -> list[tuple[datetime, datetime]]:
    """Every date in ``[start, end]`` the lesson takes place on: its weekday, its week
    (A or B), in term and not closed for its room; its periods of that day."""
    tz = timezone.get_current_timezone()
    found = []
    day = start + timedelta(days=(lesson.line.weekday - start.weekday()) % 7)
    while day <= end:
        if (not lesson.line.week or school.week_letter(day) == lesson.line.week) and not school.closed_on(
            day, lesson.room
        ):
            if lesson.first_period:
                periods = school.periods_on(day)
                if len(periods) >= lesson.last_period:
                    found.append(
                        (periods[lesson.first_period - 1].start, periods[lesson.last_period - 1].end)
                    )
            else:
                found.append(
                    (
                        datetime.combine(day, lesson.line.starts, tz),
                        datetime.combine(day, lesson.line.ends, tz),
                    )
                )
        day += timedelta(days=7)
    return found


def _refuse_clashes_within(wanted: list[Wanted], dates: dict[str, list]) -> None:
    """Two lessons of the file in one room at once: named with both lines."""
    by_room = defaultdict(list)
    for lesson in wanted:
        for begins, ends in dates[lesson.key]:
            by_room[lesson.room.pk].append((begins, ends, lesson))
    errors = []
    for taken in by_room.values():
        taken.sort(key=lambda item: item[0])
        for (_b1, e1, one), (b2, _e2, other) in pairwise(taken):
            if b2 < e1 and one.key != other.key:
                message = _("Lines %(one)d and %(other)d put two lessons in %(room)s at once (%(when)s).")
                when = date_formats.date_format(timezone.localtime(b2), "SLOT_FORMAT")
                errors.append(
                    message
                    % {"one": one.line.line, "other": other.line.line, "room": one.room.name, "when": when}
                )
                break
    if errors:
        raise ImportFileError(sorted(set(errors)))


def _apply(
    wanted: list[Wanted],
    dates: dict[str, list],
    school: Calendar,
    *,
    start: date,
    end: date,
    lessons_win: bool,
    skip_clashing: bool,
) -> TimetableOutcome:
    outcome = TimetableOutcome()
    tz = timezone.get_current_timezone()
    from_moment = datetime.combine(start, datetime.min.time(), tz)
    existing = {lesson.key: lesson for lesson in Lesson.objects.filter(last_day__gte=start)}
    keys = {lesson.key for lesson in wanted}
    # Lessons no longer in the file end the day before (or go, if they began since).
    for key, lesson in existing.items():
        if key in keys:
            continue
        gone = Booking.objects.filter(lesson=lesson, start__gte=from_moment)
        outcome.dates_removed += gone.count()
        outcome.removed.append(str(lesson))
        if lesson.first_day >= start:
            lesson.delete()
        else:
            gone.delete()
            lesson.last_day = start - timedelta(days=1)
            lesson.save(update_fields=["last_day"])
    to_add: list[tuple[Wanted, Lesson, datetime, datetime]] = []
    new: list[tuple[Wanted, Lesson]] = []
    for wish in wanted:
        lesson = existing.get(wish.key)
        wished = set(dates[wish.key])
        if lesson is None:
            lesson = _new_lesson(wish, start, end)
            new.append((wish, lesson))
            outcome.created.append(f"{wish.described(school)}: " + _dates_count(len(wished)))
            have = set()
        else:
            rows = Booking.objects.filter(lesson=lesson, start__gte=from_moment)
            have = {(row.start, row.end): row.pk for row in rows.only("start", "end")}
            extra = [pk for period, pk in have.items() if period not in wished]
            if extra:
                Booking.objects.filter(pk__in=extra).delete()
                outcome.dates_removed += len(extra)
            changed = lesson.last_day != end or extra or wished - set(have)
            if lesson.last_day != end:
                lesson.last_day = end
                lesson.save(update_fields=["last_day"])
            if changed:
                outcome.updated.append(wish.described(school))
            else:
                outcome.unchanged.append(wish.described(school))
        to_add += [(wish, lesson, begins, ends) for begins, ends in sorted(wished - set(have))]
    _save_new(new)
    to_add = _settle_clashes(to_add, outcome, lessons_win=lessons_win, skip_clashing=skip_clashing)
    Booking.objects.bulk_create(
        (
            Booking(
                room=wish.room,
                teacher=wish.teachers[0],
                start=begins,
                end=ends,
                purpose=lesson.title,
                lesson=lesson,
            )
            for wish, lesson, begins, ends in to_add
        ),
        batch_size=BATCH,
    )
    outcome.dates_added += len(to_add)
    return outcome


def _new_lesson(wish: Wanted, start: date, end: date) -> Lesson:
    """A new lesson of the file, not saved yet (``_save_new`` saves them all at once)."""
    line = wish.line
    return Lesson(
        key=wish.key,
        room=wish.room,
        group=line.group,
        subject=line.subject,
        weekday=line.weekday,
        first_period=wish.first_period,
        last_period=wish.last_period,
        starts=line.starts,
        ends=line.ends,
        week=line.week,
        first_day=start,
        last_day=end,
    )


def _save_new(new: list[tuple[Wanted, Lesson]]) -> None:
    """The new lessons and their teachers in two inserts, not three queries a lesson."""
    Lesson.objects.bulk_create([lesson for _wish, lesson in new], batch_size=BATCH)
    taught_by = Lesson.teachers.through
    taught_by.objects.bulk_create(
        (
            taught_by(lesson_id=lesson.pk, teacher_id=teacher.pk)
            for wish, lesson in new
            for teacher in wish.teachers
        ),
        batch_size=BATCH,
    )


def _dates_count(count: int) -> str:
    return ngettext("%(count)d date", "%(count)d dates", count) % {"count": count}


def _settle_clashes(
    to_add: list, outcome: TimetableOutcome, *, lessons_win: bool, skip_clashing: bool
) -> list:
    """The lesson dates that clash with bookings already made: refused (the default),
    the bookings cancelled and their teachers told (``lessons_win``), or the dates left
    out (``skip_clashing``). Returns the dates to add."""
    if not to_add:
        return to_add
    school = calendar()
    rooms = {wish.room.pk for wish, *_ in to_add}
    first, last = min(item[2] for item in to_add), max(item[3] for item in to_add)
    booked = defaultdict(list)
    for booking in (
        Booking.objects.holding()
        .filter(overlapping_q(first, last), Q(lesson__isnull=True), room_id__in=rooms)
        .select_related("teacher", "room")
        .select_for_update(of=("self",))
    ):
        booked[booking.room_id].append(booking)
    if not booked:
        return to_add
    clashes, keep, cancelled = [], [], set()
    for item in to_add:
        wish, lesson, begins, ends = item
        hit = [b for b in booked.get(wish.room.pk, []) if b.overlaps(begins, ends) and b.pk not in cancelled]
        if not hit:
            keep.append(item)
            continue
        for booking in hit:
            day = f"{timezone.localtime(booking.start):%Y-%m-%d}"
            when = f"{day} ({school.when(booking.start, booking.end)})"
            described = _("%(when)s, %(room)s: booked by %(name)s (%(lesson)s needs it)") % {
                "when": when,
                "room": booking.room.name,
                "name": booking.teacher.name,
                "lesson": lesson.title,
            }
            clashes.append(described)
            if lessons_win:
                cancel_booking(booking)
                cancelled.add(booking.pk)
                notifications.enqueue(
                    teacher=booking.teacher,
                    kind=Notification.Kind.CANCELLED_BY_ADMIN,
                    booking=booking,
                    details={"lesson": lesson.title},
                )
                outcome.cancelled.append(_("booking of %(item)s") % {"item": described})
        if lessons_win:
            keep.append(item)
        elif skip_clashing:
            outcome.left_out.append(described)
    if clashes and not (lessons_win or skip_clashing):
        head = ngettext(
            "The timetable clashes with %(count)d booking already made. Import with --lessons-win "
            "to cancel it (its teacher is told), or --skip-clashing to leave that lesson date out:",
            "The timetable clashes with %(count)d bookings already made. Import with --lessons-win "
            "to cancel them (their teachers are told), or --skip-clashing to leave those lesson dates out:",
            len(clashes),
        ) % {"count": len(clashes)}
        raise ImportFileError([head, *clashes])
    return keep
