"""Matching a timetable file's lessons to the school: rooms (by name, else timetable
code), teachers (by timetable code, else username) and periods (by number, name or start
time in the day plan); every name that matches nothing is named once, with its lines."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils import formats as date_formats
from django.utils.translation import gettext as _

from config.imports import ImportFileError
from rooms.models import Room
from rooms.schoolcalendar import Calendar
from teachers.models import Teacher

from .formats import LessonLine, merged


@dataclass(frozen=True)
class Wanted:
    """A lesson of the file, matched to the school: its key says whether it is a lesson
    the last import made already."""

    line: LessonLine
    room: Room
    teachers: tuple[Teacher, ...]
    first_period: int | None
    last_period: int | None

    @property
    def key(self) -> str:
        lesson = self.line
        parts = (
            lesson.group,
            lesson.subject,
            ",".join(str(teacher.pk) for teacher in self.teachers),
            str(self.room.pk),
            str(lesson.weekday),
            str(self.first_period or ""),
            str(self.last_period or ""),
            lesson.starts.isoformat() if lesson.starts else "",
            lesson.ends.isoformat() if lesson.ends else "",
            lesson.week,
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]

    def described(self, school: Calendar) -> str:
        lesson = self.line
        day = weekday_name(lesson.weekday)
        if self.first_period:
            names = school.day_plan(lesson.weekday)[0]
            first, last = names[self.first_period - 1], names[self.last_period - 1]
            when = first if first == last else f"{first}\u2013{last}"
        else:
            when = f"{lesson.starts:%H:%M}\u2013{lesson.ends:%H:%M}"
        week = {"A": _(", week A"), "B": _(", week B")}.get(lesson.week, "")
        title = f"{lesson.group} {lesson.subject}".strip()
        return _("lesson %(title)s (%(room)s, %(day)s %(when)s%(week)s)") % {
            "title": title,
            "room": self.room.name,
            "day": day,
            "when": when,
            "week": week,
        }


def resolve(lines: list[LessonLine], school: Calendar) -> list[Wanted]:
    """The file's lessons matched to rooms (by name, else timetable code), teachers (by timetable code, else
    username) and period numbers; every name that matches nothing named once, with its
    lines."""
    rooms = {room.code.lower(): room for room in Room.objects.exclude(code="")}
    rooms.update({room.name.lower(): room for room in Room.objects.all()})  # a name wins over a code
    teachers = {}
    for teacher in Teacher.objects.filter(is_active=True):
        teachers.setdefault(teacher.username.lower(), teacher)
    for teacher in Teacher.objects.filter(is_active=True).exclude(code=""):
        teachers[teacher.code.lower()] = teacher
    unknown: dict[tuple[str, str], list[int]] = defaultdict(list)
    errors, resolved = [], []
    matched: dict[int, tuple[Room, tuple[Teacher, ...]]] = {}
    for lesson in lines:
        room = rooms.get(lesson.room.lower())
        if room is None:
            unknown["room", lesson.room].extend(lesson.lines)
        found = [teachers.get(code.lower()) for code in lesson.teachers]
        for code, teacher in zip(lesson.teachers, found, strict=True):
            if teacher is None:
                unknown["teacher", code].extend(lesson.lines)
        try:
            periods = _period_numbers(lesson, school)
        except ValueError as problem:
            errors.append(_("Line %(number)d: %(problem)s") % {"number": lesson.line, "problem": problem})
            continue
        if room is not None and None not in found:
            numbered = replace(lesson, first_period=periods[0], last_period=periods[1])
            resolved.append(numbered)
            matched[lesson.line] = (room, tuple(sorted(set(found), key=lambda teacher: teacher.pk)))
    for (kind, name), numbers in sorted(unknown.items()):
        listed = ", ".join(str(number) for number in sorted(set(numbers)))
        if kind == "room":
            errors.append(
                _("No room is called “%(name)s” (lines %(lines)s).") % {"name": name, "lines": listed}
            )
        else:
            errors.append(
                _("No teacher has the code or username “%(name)s” (lines %(lines)s).")
                % {"name": name, "lines": listed}
            )
    if errors:
        raise ImportFileError(errors)
    # Periods named by FET or the plain CSV are numbers now: runs of them join up.
    return [
        Wanted(
            line,
            *matched[line.line],
            int(line.first_period) if line.first_period else None,
            int(line.last_period) if line.last_period else None,
        )
        for line in merged(resolved)
    ]


def _period_numbers(lesson: LessonLine, school: Calendar) -> tuple[str, str]:
    """A lesson's first and last period as numbers in its weekday's plan ("" for a lesson
    given by times): a number, a period's name, or its start time."""
    if not lesson.first_period:
        return "", ""
    plans = school.day_plan(lesson.weekday)
    longest = max((len(plan) for plan in plans), default=0)
    day = weekday_name(lesson.weekday)
    if longest == 0:
        raise ValueError(
            _("%(day)s has no periods: set the day plan in admin, or give the lesson's times.") % {"day": day}
        )
    numbers = []
    for name in (lesson.first_period, lesson.last_period):
        if name.isdigit():
            number = int(name)
        else:
            number = next(
                (plan.index(p) + 1 for plan in plans for p in plan if p.lower() == name.lower()), 0
            ) or _by_start(school, lesson.weekday, name)
        if number == 0:
            raise ValueError(
                _("period “%(name)s” is none of %(day)s's periods (%(plan)s).")
                % {"name": name, "day": day, "plan": ", ".join(plans[0])}
            )
        if number > longest:
            raise ValueError(
                _("period %(number)d of a %(count)d-period day plan.") % {"number": number, "count": longest}
            )
        numbers.append(str(number))
    if int(numbers[1]) < int(numbers[0]):
        raise ValueError(_("the last period comes before the first."))
    return numbers[0], numbers[1]


def _by_start(school: Calendar, weekday: int, name: str) -> int:
    """FET hours are often named by their start ("08:00" or "08:00-08:45")."""
    start = name.split("-")[0].strip()
    own = [p for p in school.periods if p.weekday == weekday] or [
        p for p in school.periods if p.weekday is None
    ]
    starts = sorted({f"{p.starts:%H:%M}" for p in own})
    return starts.index(start) + 1 if start in starts else 0


def weekday_name(weekday: int) -> str:
    monday = date(2024, 1, 1)  # a Monday
    return date_formats.date_format(monday + timedelta(days=weekday), "l")
