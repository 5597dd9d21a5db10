"""Reading a timetable file as a school's timetabling program writes it: Untis' GPU001.TXT,
FET's timetable CSV export, or Roomclaim's plain CSV (docs/interface.md). Each becomes
``LessonLine``s: who teaches which class what, in which room, on which weekday, for which
run of periods (or times), every week or in week A or B. Names (teachers, rooms) are
resolved later (``bookings.lessons.plan``); a line that cannot be read is named here."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import time

from django.utils.translation import gettext as _

from config.imports import ImportFileError, on_line

UNTIS, FET, CSV = "untis", "fet", "csv"
FORMATS = (UNTIS, FET, CSV)
FET_HEADER = ("Activity Id", "Day", "Hour", "Students Sets", "Subject", "Teachers", "Activity Tags", "Room")
CSV_REQUIRED = {"group", "teachers", "room", "weekday"}

# Weekday names a school may have given its days (English, German, and their short forms),
# and numbers: 1 is Monday.
WEEKDAYS = {
    **{
        name: day
        for day, names in enumerate(
            (
                ("monday", "mon", "mo", "montag"),
                ("tuesday", "tue", "tu", "di", "dienstag"),
                ("wednesday", "wed", "we", "mi", "mittwoch"),
                ("thursday", "thu", "th", "do", "donnerstag"),
                ("friday", "fri", "fr", "freitag"),
                ("saturday", "sat", "sa", "samstag"),
                ("sunday", "sun", "su", "so", "sonntag"),
            )
        )
        for name in names
    },
    **{str(number): number - 1 for number in range(1, 8)},
}


@dataclass(frozen=True)
class LessonLine:
    """One lesson as the file gives it. ``periods`` are numbers in the day plan (1 is the
    first) or names (FET's hours, the plain CSV's), resolved against the school's periods
    later; or the lesson has ``starts`` and ``ends``."""

    lines: tuple[int, ...]
    group: str
    subject: str
    teachers: tuple[str, ...]  # codes or usernames
    room: str
    weekday: int  # 0 Monday … 6 Sunday
    first_period: str = ""
    last_period: str = ""
    starts: time | None = None
    ends: time | None = None
    week: str = ""  # "", "A" or "B"

    @property
    def line(self) -> int:
        return self.lines[0]


def read(data: bytes, *, format: str = "") -> list[LessonLine]:
    """The lessons of a timetable file in ``format`` (by its look when not given), or
    ``ImportFileError`` naming every line that cannot be read."""
    text = decoded(data)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFileError([on_line(line, _("it holds a NUL character, which no text has."))])
    if not text.strip():
        raise ImportFileError([_("The file is empty.")])
    format = format or guess_format(text)
    rows = _rows(text)
    if not rows:  # separators and spaces only
        raise ImportFileError([_("The file is empty.")])
    if format == FET:
        lessons, errors = _fet(rows)
    elif format == UNTIS:
        lessons, errors = _untis(rows)
    else:
        lessons, errors = _plain(rows)
    if errors:
        raise ImportFileError(errors)
    return merged(lessons)


def decoded(data: bytes) -> str:
    """UTF-8 (with or without a byte order mark), else Windows-1252, which Untis writes
    on a German Windows: "Müller" either way."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError([_("The file is neither UTF-8 nor Windows-1252 text.")]) from None


def guess_format(text: str) -> str:
    first = text.lstrip().splitlines()[0].lower()
    if "activity id" in first and "hour" in first:
        return FET
    if "group" in first and "room" in first:
        return CSV
    return UNTIS


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """The file's rows with their line numbers, split on commas or semicolons (whichever
    the first line has more of), quoted or not."""
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error as problem:
        message = _("it cannot be read as CSV (%(problem)s).") % {"problem": problem}
        raise ImportFileError([on_line(reader.line_num + 1, message)]) from None
    return rows


def _named(rows: list[tuple[int, list[str]]], *, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    """The rows after a header line, each with its cells by their column's name (lower
    case); ``ImportFileError`` when the header lacks a ``required`` column."""
    number, header = rows[0]
    columns = {name.lower(): index for index, name in enumerate(header)}
    missing = [name for name in required if name not in columns]
    if missing:
        message = _("the header lacks the column(s) %(columns)s.") % {"columns": ", ".join(missing)}
        raise ImportFileError([on_line(number, message)])
    return [
        (line, {name: cells[index] if index < len(cells) else "" for name, index in columns.items()})
        for line, cells in rows[1:]
    ]


def _untis(rows: list[tuple[int, list[str]]]) -> tuple[list[LessonLine], list[str]]:
    """GPU001.TXT: lesson number, class, teacher code, subject, room, day (1 Monday),
    period (1 the first of the day plan); a field 8 of A or B is the lesson's week (as
    Untis writes it with the week column); further fields ignored."""
    lessons, errors = [], []
    for number, cells in rows:
        cells += [""] * (8 - len(cells))
        try:
            _lesson_number, group, teacher, subject, room, day, period, week = cells[:8]
            if not group:
                raise ValueError(_("the class (field 2) is empty."))
            if not room:
                raise ValueError(_("the room (field 5) is empty."))
            if not teacher:
                raise ValueError(_("the teacher (field 3) is empty."))
            weekday = _weekday(day, numbers_only=True)
            if not period.isdigit() or int(period) < 1:
                raise ValueError(
                    _("period “%(period)s” (field 7) is not a period number.") % {"period": period}
                )
            lessons.append(
                LessonLine(
                    (number,),
                    group,
                    subject,
                    (teacher,),
                    room,
                    weekday,
                    period,
                    period,
                    week=week.upper() if week.upper() in ("A", "B") else "",
                )
            )
        except ValueError as problem:
            errors.append(on_line(number, problem))
    return lessons, errors


def _fet(rows: list[tuple[int, list[str]]]) -> tuple[list[LessonLine], list[str]]:
    """FET's timetable export: one row per hour of an activity; days and hours by the
    names the school gave them in FET; teachers and student sets joined with "+"."""
    lessons, errors = [], []
    for number, cell in _named(rows, required=[name.lower() for name in FET_HEADER]):
        try:
            if not cell["room"]:
                continue  # an activity without a room holds none
            teachers = tuple(name.strip() for name in cell["teachers"].split("+") if name.strip())
            if not teachers:
                raise ValueError(_("the activity has no teacher."))
            weekday = _weekday(cell["day"])
            if not cell["hour"]:
                raise ValueError(_("the hour is empty."))
            group = cell["students sets"].replace("+", ", ")
            lessons.append(
                LessonLine(
                    (number,),
                    group or cell["subject"],
                    cell["subject"],
                    teachers,
                    cell["room"],
                    weekday,
                    cell["hour"],
                    cell["hour"],
                    week=_fet_week(cell.get("activity tags", "")),
                )
            )
        except ValueError as problem:
            errors.append(on_line(number, problem))
    return lessons, errors


def _fet_week(tags: str) -> str:
    """FET has no week rotation of its own; schools tag A/B activities ("Week A")."""
    for tag in tags.replace("+", ",").split(","):
        tag = tag.strip().lower()
        if tag in ("week a", "a-week", "woche a", "a"):
            return "A"
        if tag in ("week b", "b-week", "woche b", "b"):
            return "B"
    return ""


def _plain(rows: list[tuple[int, list[str]]]) -> tuple[list[LessonLine], list[str]]:
    """Roomclaim's CSV: group, subject, teachers (codes or usernames, ";"-separated in a
    quoted cell or "+"), room, weekday, period and to_period (numbers or names) or starts
    and ends (HH:MM), week (A, B or empty)."""
    lessons, errors = [], []
    for number, cell in _named(rows, required=sorted(CSV_REQUIRED)):
        try:
            lessons.append(_plain_lesson(number, cell))
        except ValueError as problem:
            errors.append(on_line(number, problem))
    return lessons, errors


def _plain_lesson(number: int, cell: dict[str, str]) -> LessonLine:
    for column in ("group", "room"):
        if not cell.get(column):
            raise ValueError(_("%(column)s is empty.") % {"column": column})
    teachers = tuple(name.strip() for name in cell["teachers"].replace("+", ";").split(";") if name.strip())
    if not teachers:
        raise ValueError(_("teachers is empty."))
    week = cell.get("week", "").upper()
    if week not in ("", "A", "B"):
        raise ValueError(
            _("week “%(week)s” is neither A nor B (or empty: every week).") % {"week": cell["week"]}
        )
    lesson = LessonLine(
        (number,),
        cell["group"],
        cell.get("subject", ""),
        teachers,
        cell["room"],
        _weekday(cell["weekday"]),
        week=week,
    )
    if cell.get("starts") or cell.get("ends"):
        starts, ends = _time(cell.get("starts", ""), "starts"), _time(cell.get("ends", ""), "ends")
        if ends <= starts:
            raise ValueError(_("ends is not after starts."))
        return replace(lesson, starts=starts, ends=ends)
    if not cell.get("period"):
        raise ValueError(_("give a period (and to_period), or starts and ends."))
    return replace(lesson, first_period=cell["period"], last_period=cell.get("to_period") or cell["period"])


def _weekday(value: str, *, numbers_only: bool = False) -> int:
    day = WEEKDAYS.get(value.strip().lower().rstrip("."))
    if day is None or (numbers_only and not value.strip().isdigit()):
        raise ValueError(_("day “%(day)s” is no weekday (1 is Monday, 7 Sunday).") % {"day": value})
    return day


def _time(value: str, column: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            _("%(column)s “%(value)s” is not a time (HH:MM).") % {"column": column, "value": value}
        ) from None


def merged(lessons: list[LessonLine]) -> list[LessonLine]:
    """One lesson per run: consecutive periods of one lesson (same class, subject,
    teachers, room, day and week; period n and n+1, by number) become one lesson of a
    period run; the same lesson twice is kept once."""
    out: list[LessonLine] = []
    seen: set[tuple] = set()
    for lesson in sorted(lessons, key=_run_order):
        same = (lesson.group, lesson.subject, lesson.teachers, lesson.room, lesson.weekday, lesson.week)
        identity = (*same, lesson.first_period, lesson.last_period, lesson.starts, lesson.ends)
        if identity in seen:
            continue
        seen.add(identity)
        previous = out[-1] if out else None
        if (
            previous is not None
            and (
                previous.group,
                previous.subject,
                previous.teachers,
                previous.room,
                previous.weekday,
                previous.week,
            )
            == same
            and previous.last_period.isdigit()
            and lesson.first_period.isdigit()
            and int(lesson.first_period) == int(previous.last_period) + 1
        ):
            out[-1] = replace(previous, last_period=lesson.last_period, lines=previous.lines + lesson.lines)
        else:
            out.append(lesson)
    return sorted(out, key=lambda lesson: lesson.line)


def _run_order(lesson: LessonLine) -> tuple:
    period = int(lesson.first_period) if lesson.first_period.isdigit() else 0
    return (
        lesson.group,
        lesson.subject,
        lesson.teachers,
        lesson.room,
        lesson.weekday,
        lesson.week,
        period,
        lesson.line,
    )
