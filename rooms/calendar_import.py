"""Terms and closures from a file: an iCalendar (.ics) export of the school's calendar,
or a CSV. Used by ``import_calendar`` and by the admin's "Import from a file".

All or nothing: every bad line is reported with its line number, and then nothing is
imported. Importing the same file twice changes nothing (a term or closure with the same
days, name and scope is already there).

CSV columns (a header line first): ``kind`` (``term`` or ``closure``), ``name`` (the
term's name, or the closure's description), ``first_day`` and ``last_day`` (YYYY-MM-DD),
and for closures ``reason`` (holiday, exams, maintenance, event, other; default holiday),
``building`` and ``room`` (names; both empty: the whole school).

ICS: each event (VEVENT) is one term or closure: SUMMARY is its name, DTSTART its first
day, DTEND the day after its last (all-day events) or its last day; CATEGORIES ``term``
makes it a term, a reason (``exams``…) a closure with that reason; otherwise ``default``
decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _
from icalendar import Calendar

from config.imports import ImportFileError, Outcome, all_or_nothing, parsed_rows, too_long
from config.widgets import SchoolDateField

from .models import Building, Closure, Room, Term

KINDS = ("term", "closure")
REASONS = {choice.value for choice in Closure.Reason}


@dataclass
class Entry:
    line: int
    kind: str
    name: str
    first_day: date
    last_day: date
    reason: str = Closure.Reason.HOLIDAY
    building: Building | None = None
    room: Room | None = None


def read(data: bytes, *, filename: str, default: str = "closure") -> list[Entry]:
    """Parse a file; ``ImportFileError`` with every bad line if any."""
    if default not in KINDS:
        raise ImportFileError([_("The default kind must be one of %(kinds)s.") % {"kinds": ", ".join(KINDS)}])
    if filename.lower().endswith(".ics"):
        return _read_ics(data, default=default)
    return _read_csv(data, default=default)


def apply(entries: list[Entry], *, dry_run: bool = False) -> Outcome:
    """Create what is not there yet, in one transaction (rolled back on a dry run)."""

    def run() -> Outcome:
        outcome = Outcome()
        for entry in entries:
            described = _describe(entry)
            if _existing(entry).exists():
                outcome.unchanged.append(described)
            else:
                _create(entry)
                outcome.created.append(described)
        return outcome

    return all_or_nothing(run, dry_run=dry_run)


def _describe(entry: Entry) -> str:
    days = _("%(first)s to %(last)s") % {
        "first": f"{entry.first_day:%Y-%m-%d}",
        "last": f"{entry.last_day:%Y-%m-%d}",
    }
    if entry.kind == "term":
        return _("term %(name)s, %(days)s") % {"name": entry.name, "days": days}
    scope = entry.room or entry.building or _("whole school")
    message = _("closure %(name)s (%(reason)s), %(days)s, %(scope)s")
    return message % {
        "name": entry.name or entry.reason,
        "reason": entry.reason,
        "days": days,
        "scope": scope,
    }


def _stored_as(entry: Entry) -> tuple[type[Term] | type[Closure], dict]:
    """The model and fields an entry is stored as (and looked up by)."""
    days = {"first_day": entry.first_day, "last_day": entry.last_day}
    if entry.kind == "term":
        return Term, {"name": entry.name, **days}
    return Closure, {
        "description": entry.name,
        "reason": entry.reason,
        "building": entry.building,
        "room": entry.room,
        **days,
    }


def _existing(entry: Entry):
    model, fields = _stored_as(entry)
    return model.objects.filter(**fields)


def _create(entry: Entry) -> None:
    model, fields = _stored_as(entry)
    model.objects.create(**fields)


def _read_csv(data: bytes, *, default: str) -> list[Entry]:
    return parsed_rows(
        data,
        required={"name", "first_day", "last_day"},
        parse=lambda number, row: _entry(number, row, default=default),
        lengths={"name": NAME_MOST, "building": 100, "room": 100},
    )


def _entry(number: int, row: dict, *, default: str) -> Entry:
    kind = (row.get("kind") or default).strip().lower()
    if kind not in KINDS:
        raise ValueError(_("kind “%(kind)s” is neither term nor closure.") % {"kind": kind})
    name = (row.get("name") or "").strip()
    first, last = _day(row.get("first_day"), "first_day"), _day(row.get("last_day"), "last_day")
    if last < first:
        raise ValueError(_("last_day is before first_day."))
    if kind == "term":
        if not name:
            raise ValueError(_("a term needs a name."))
        _check_term_name(name)
        return Entry(number, kind, name, first, last)
    reason = (row.get("reason") or Closure.Reason.HOLIDAY).strip().lower()
    if reason not in REASONS:
        raise ValueError(
            _("reason “%(reason)s” is not one of %(reasons)s.")
            % {"reason": reason, "reasons": ", ".join(sorted(REASONS))}
        )
    building = _named(Building, row.get("building"), "building")
    room = _named(Room, row.get("room"), "room")
    if building and room:
        raise ValueError(_("give a building or a room, not both."))
    return Entry(number, kind, name, first, last, reason, building, room)


def _day(value: str | None, column: str) -> date:
    try:
        return _school_day(date.fromisoformat((value or "").strip()))
    except ValueError:
        raise ValueError(
            _("%(column)s “%(value)s” is not a date like 2026-12-21.")
            % {"column": column, "value": value or ""}
        ) from None


NAME_MOST = 200  # a closure's description; a term's name has 100


def _check_term_name(name: str) -> None:
    if len(name) > 100:
        raise too_long("name", 100)


def _school_day(day: date) -> date:
    """A date a school's calendar could hold (2000-2999), or a ValueError."""
    if not SchoolDateField.EARLIEST <= day <= SchoolDateField.LATEST:
        raise ValueError(_("%(day)s is outside the years 2000 to 2999.") % {"day": day.isoformat()})
    return day


def _event_day(event, name: str) -> date | datetime:
    """An event's DTSTART or DTEND as a date or a time; anything else (a PERIOD, a TIME,
    text) is a ValueError naming the property."""
    try:
        value = event.decoded(name)
    except (ValueError, TypeError, AttributeError, OverflowError) as problem:
        raise ValueError(_("%(property)s is not a date.") % {"property": name.upper()}) from problem
    if not isinstance(value, date):
        raise ValueError(_("%(property)s is not a date.") % {"property": name.upper()})
    return value


def _named(model, value: str | None, column: str):
    name = (value or "").strip()
    if not name:
        return None
    found = model.objects.filter(name=name).first()
    if found is None:
        raise ValueError(_("there is no %(column)s called “%(name)s”.") % {"column": column, "name": name})
    return found


def _read_ics(data: bytes, *, default: str) -> list[Entry]:
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, TypeError, AttributeError, OverflowError, KeyError) as problem:
        raise ImportFileError(
            [_("The file is not a valid iCalendar file (%(problem)s).") % {"problem": problem}]
        ) from None
    entries, errors = [], []
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        name = str(event.get("summary", "")).strip()
        try:
            if len(name) > NAME_MOST:
                raise too_long("SUMMARY", NAME_MOST)
            first = _as_date(_event_day(event, "dtstart"))
            end = event.get("dtend")
            if end is None:
                last = first
            else:
                ends = _event_day(event, "dtend")
                last = _as_date(ends) - timedelta(days=1) if not isinstance(ends, datetime) else ends.date()
            last = max(last, first)
            categories = {str(c).strip().lower() for c in _categories(event)}
            kind = "term" if "term" in categories else "closure" if categories & REASONS else default
            reason = next(iter(sorted(categories & REASONS)), Closure.Reason.HOLIDAY)
            if kind == "term" and not name:
                raise ValueError(_("a term needs a SUMMARY (its name)."))
            if kind == "term":
                _check_term_name(name)
            entries.append(Entry(number, kind, name, _school_day(first), _school_day(last), reason))
        except (KeyError, ValueError) as problem:
            errors.append(
                _("Event %(number)d (%(name)s): %(problem)s")
                % {"number": number, "name": name or _("no summary"), "problem": problem}
            )
    if errors:
        raise ImportFileError(errors)
    if not entries:
        raise ImportFileError([_("The file has no events.")])
    return entries


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _categories(event) -> list[str]:
    found = event.get("categories")
    if found is None:
        return []
    groups = found if isinstance(found, list) else [found]
    return [category for group in groups for category in group.cats]
