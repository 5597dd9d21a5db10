"""The limits every booking obeys, in one place: the claim and hold forms, the search
form (``rooms``) and the series service all read them from here.

Each ``*_errors`` function answers with the problems keyed by the field to blame, so
every refusal is a 400 that names its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rooms.settings_cache import Cached

MAX_LENGTH = timedelta(hours=12)
MAX_AHEAD = timedelta(days=366)
MAX_ATTENDEES = 10_000
# What one request and one teacher may create: a series of at most a term of school days,
# at most this many rooms waited for at once, and one recorded conflict per teacher and
# period in CONFLICT_RECORD_WINDOW (so spamming holds cannot inflate the analytics).
MAX_OCCURRENCES = 70
MAX_WAITING_PER_TEACHER = 10
CONFLICT_RECORD_WINDOW = timedelta(minutes=10)


def this_minute(now: datetime | None = None) -> datetime:
    return (now or timezone.now()).replace(second=0, microsecond=0)


def from_now(start: datetime, end: datetime, *, now: datetime | None = None) -> datetime:
    """Where a booking of ``[start, end)`` begins: a period under way (its start passed,
    its end not) is booked from now, to the minute, so a teacher in the corridor gets the
    lesson that has begun; a booking never starts in the past. The period asked for stays
    the hold's name (every teacher asking for the lesson under way asks for the same)."""
    minute = this_minute(now)
    return minute if start < minute < end else start


def period_errors(start: datetime, end: datetime) -> dict[str, str]:
    """The rules every booking period obeys. A period under way is no error: it is booked
    from now (``from_now``); one that has ended is."""
    if end <= start:
        return {"end": _("The end must be after the start.")}
    if from_now(start, end) < this_minute():
        return {"start": _("The start is in the past.")}
    if start > timezone.now() + MAX_AHEAD:
        return {"start": _("Bookings open at most a year ahead.")}
    if end - start > MAX_LENGTH:
        return {"end": _("A booking may last at most 12 hours.")}
    return {}


def attendees_error(room, attendees: int) -> str:
    """What a group too big for the room is told."""
    message = _("%(room)s seats %(seats)d; %(attendees)d attendees will not fit.")
    return message % {"room": room.name, "seats": room.capacity, "attendees": attendees}


def series_errors(first_day: date, until: date | None) -> dict[str, str]:
    """The rules for the last date of a repeating booking that starts on ``first_day``."""
    if until is None:
        return {"until": _("Say until when the booking repeats.")}
    if until < first_day:
        return {"until": _("The last date must not be before the first.")}
    if until > first_day + MAX_AHEAD:
        return {"until": _("A series may run at most a year.")}
    return {}


# --- The school's booking rules (``BookingRule``, set in Django admin) --------------------


@dataclass(frozen=True)
class Limits:
    """The limits one teacher meets on one room: the school's, the room's over them, and
    the most generous of the teacher's groups' over both. ``None``: no limit."""

    max_length: timedelta = MAX_LENGTH
    max_ahead: timedelta = MAX_AHEAD
    min_notice: timedelta = timedelta(0)
    max_upcoming: int | None = None
    max_hours_per_week: int | None = None
    max_series_dates: int = MAX_OCCURRENCES
    check_in_minutes: int | None = None
    only_groups: tuple[str, ...] = ()  # names; empty: anyone may book the room
    allowed: bool = True  # the teacher is in one of ``only_groups`` (or there are none)
    approval: Approval | None = None  # the room needs approval
    approves: bool = False  # the teacher is one of its approvers (or a superuser): books directly

    @property
    def counts_per_teacher(self) -> bool:
        """Whether a claim must count the teacher's bookings (under the teacher's row lock)."""
        return self.max_upcoming is not None or self.max_hours_per_week is not None

    @property
    def needs_approval(self) -> bool:
        """Whether the teacher's claim on the room is a request, not a booking."""
        return self.approval is not None and not self.approves


@dataclass(frozen=True)
class Approval:
    """A room that needs approval: by whom, by when (hours before the start; ``None``: by
    the start), and what becomes of a request nobody decided by then."""

    group_id: int
    group: str  # the group's name: "Leadership will decide"
    decide_hours: int | None
    undecided: str  # "declined" or "approved" (``BookingRule.Undecided``)

    def decide_by(self, start: datetime) -> datetime:
        return start - timedelta(hours=self.decide_hours or 0)


# Field by field: how a rule's value becomes a limit, and which of two is more generous.
_FIELDS = {
    "max_length_minutes": ("max_length", lambda v: min(timedelta(minutes=v), MAX_LENGTH), max),
    "max_days_ahead": ("max_ahead", lambda v: min(timedelta(days=v), MAX_AHEAD), max),
    "min_notice_minutes": ("min_notice", lambda v: timedelta(minutes=v), min),
    "max_upcoming_bookings": ("max_upcoming", int, max),
    "max_hours_per_week": ("max_hours_per_week", int, max),
    "max_series_dates": ("max_series_dates", lambda v: min(v, MAX_OCCURRENCES), max),
}


@dataclass
class _Rules:
    school: dict[str, object] = field(default_factory=dict)
    rooms: dict[int, dict[str, object]] = field(default_factory=dict)
    groups: dict[int, dict[str, object]] = field(default_factory=dict)
    only_groups: dict[int, dict[int, str]] = field(default_factory=dict)  # room -> {group id: name}
    approvals: dict[int, Approval] = field(default_factory=dict)  # room -> who approves its bookings


def _values(rule) -> dict[str, object]:
    found = {
        limit: convert(getattr(rule, name))
        for name, (limit, convert, _) in _FIELDS.items()
        if getattr(rule, name) is not None
    }
    if rule.check_in_minutes is not None and rule.group_id is None:
        found["check_in_minutes"] = rule.check_in_minutes
    return found


def _load() -> _Rules:
    from .models import BookingRule

    rules = _Rules()
    for rule in BookingRule.objects.select_related("approvers").prefetch_related("only_groups"):
        if rule.room_id:
            rules.rooms[rule.room_id] = _values(rule)
            if rule.approvers_id:
                rules.approvals[rule.room_id] = Approval(
                    rule.approvers_id, rule.approvers.name, rule.decide_hours, rule.undecided
                )
            if groups := {group.pk: group.name for group in rule.only_groups.all()}:
                rules.only_groups[rule.room_id] = groups
        elif rule.group_id:
            rules.groups[rule.group_id] = _values(rule)
        else:
            rules.school = _values(rule)
    return rules


def _cached() -> Cached:
    global _rules
    if _rules is None:
        from django.contrib.auth.models import Group

        from .models import BookingRule

        # A group renamed renames its approvals ("Leadership will decide").
        _rules = Cached(_load, models=[BookingRule, Group], m2m=[BookingRule.only_groups.through])
    return _rules


_rules: Cached | None = None


def _group_ids(teacher) -> set[int]:
    """The teacher's groups, read once per teacher object (one request: a search asks for
    every room's limits and the rooms closed to the teacher)."""
    if not hasattr(teacher, "_roomclaim_group_ids"):
        teacher._roomclaim_group_ids = set(teacher.groups.values_list("pk", flat=True))
    return teacher._roomclaim_group_ids


def limits_for(teacher, room_id: int) -> Limits:
    """The limits ``teacher`` meets on room ``room_id``. No query unless group rules,
    group-only rooms or rooms that need approval are set (then one, for the teacher's
    groups)."""
    rules = _cached().get()
    values = {**rules.school, **rules.rooms.get(room_id, {})}
    only = rules.only_groups.get(room_id, {})
    approval = rules.approvals.get(room_id)
    group_ids: set[int] = set()
    if rules.groups or only or approval:
        group_ids = _group_ids(teacher)
    generous: dict[str, object] = {}
    for group_id in group_ids & rules.groups.keys():
        for limit, value in rules.groups[group_id].items():
            better = next(pick for name, _label, pick in _FIELDS.values() if name == limit)
            generous[limit] = better(generous[limit], value) if limit in generous else value
    return Limits(
        **{**values, **generous},
        only_groups=tuple(sorted(only.values())),
        allowed=not only or bool(group_ids & only.keys()),
        approval=approval,
        approves=approval is not None and _decides(teacher, approval),
    )


def _decides(teacher, approval: Approval) -> bool:
    """Whether ``teacher`` decides the requests ``approval`` covers: a member of its
    group, or a superuser. Everything about who approves asks this."""
    return teacher.is_superuser or approval.group_id in _group_ids(teacher)


def approves(teacher, room_id: int) -> bool:
    """Whether ``teacher`` decides the requests for room ``room_id``."""
    approval = _cached().get().approvals.get(room_id)
    return approval is not None and _decides(teacher, approval)


def rooms_approved_by(teacher) -> list[int]:
    """The rooms whose requests ``teacher`` decides. No query when no room needs approval."""
    approvals = _cached().get().approvals
    return sorted(room_id for room_id, approval in approvals.items() if _decides(teacher, approval))


def approval_of(room_id: int) -> Approval | None:
    return _cached().get().approvals.get(room_id)


def _in_units(length: timedelta) -> tuple[str, int]:
    """A length in its largest whole unit: ("days", 2), ("hours", 3) or ("minutes", 45)."""
    minutes = int(length.total_seconds() // 60)
    if minutes % (24 * 60) == 0 and minutes >= 24 * 60:
        return "days", minutes // (24 * 60)
    if minutes % 60 == 0:
        return "hours", minutes // 60
    return "minutes", minutes


def _duration(length: timedelta) -> str:
    unit, count = _in_units(length)
    if unit == "days":
        return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}
    if unit == "hours":
        return ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}
    return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}


def _notice_error(length: timedelta) -> str:
    unit, count = _in_units(length)
    if unit == "days":
        message = ngettext(
            "Bookings need at least %(count)d day's notice.",
            "Bookings need at least %(count)d days' notice.",
            count,
        )
    elif unit == "hours":
        message = ngettext(
            "Bookings need at least %(count)d hour's notice.",
            "Bookings need at least %(count)d hours' notice.",
            count,
        )
    else:
        message = ngettext(
            "Bookings need at least %(count)d minute's notice.",
            "Bookings need at least %(count)d minutes' notice.",
            count,
        )
    return message % {"count": count}


def limit_errors(limits: Limits, *, room_name: str, start: datetime, end: datetime) -> dict[str, str]:
    """The school's rules for one period (those that need no counting), by field."""
    now = timezone.now()
    if not limits.allowed:
        return {
            "room": _("Only %(groups)s can book %(room)s.")
            % {"groups": _listed(limits.only_groups), "room": room_name}
        }
    if end - start > limits.max_length:
        return {
            "end": _("Bookings can be at most %(length)s long.") % {"length": _duration(limits.max_length)}
        }
    if start > now + limits.max_ahead:
        return {
            "start": _("Bookings can be made at most %(length)s ahead.")
            % {"length": _duration(limits.max_ahead)}
        }
    if limits.min_notice and start < now + limits.min_notice:
        return {"start": _notice_error(limits.min_notice)}
    if limits.needs_approval and limits.approval.decide_hours and limits.approval.decide_by(start) < now:
        message = ngettext(
            "%(room)s needs approval: request it at least %(count)d hour ahead, so %(group)s can decide.",
            "%(room)s needs approval: request it at least %(count)d hours ahead, so %(group)s can decide.",
            limits.approval.decide_hours,
        )
        return {
            "start": message
            % {"room": room_name, "count": limits.approval.decide_hours, "group": limits.approval.group}
        }
    return {}


def series_limit_errors(limits: Limits, dates: int) -> dict[str, str]:
    if dates > limits.max_series_dates:
        most = limits.max_series_dates
        return {
            "until": _("A series can have at most %(most)d dates; choose an earlier last date.")
            % {"most": most}
        }
    return {}


def count_errors(
    limits: Limits, *, teacher, new: list[tuple[datetime, datetime]], moving=None
) -> dict[str, str]:
    """The per-teacher limits, counting the teacher's upcoming bookings and requests with the
    ``new`` periods (less the booking ``moving`` to one of them). The caller holds the
    teacher's row lock, so two claims by one teacher are counted one after the other."""
    from .models import Booking

    now = timezone.now()
    mine = Booking.objects.holding().ad_hoc().filter(teacher=teacher)  # lessons count toward no limit
    if moving is not None:
        mine = mine.exclude(pk=moving.pk)
    if limits.max_upcoming is not None:
        upcoming = mine.filter(end__gt=now).count()
        if upcoming + len(new) > limits.max_upcoming:
            message = _("You can have at most %(most)d upcoming bookings; you have %(upcoming)d.")
            return {"start": message % {"most": limits.max_upcoming, "upcoming": upcoming}}
    if limits.max_hours_per_week is not None:
        weeks: dict[date, timedelta] = {}
        for begins, ends in new:
            monday = _monday(begins)
            weeks[monday] = weeks.get(monday, timedelta(0)) + (ends - begins)
        tz = timezone.get_current_timezone()
        for monday, adding in sorted(weeks.items()):
            week_start = datetime.combine(monday, datetime.min.time(), tz)
            week_end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tz)
            booked = sum(
                (
                    b.end - b.start
                    for b in mine.filter(start__gte=week_start, start__lt=week_end).only("start", "end")
                ),
                timedelta(0),
            )
            if booked + adding > timedelta(hours=limits.max_hours_per_week):
                message = _(
                    "You can book at most %(most)s hours a week; the week of %(monday)s has %(booked)s "
                    "booked already."
                )
                return {
                    "start": message
                    % {
                        "most": limits.max_hours_per_week,
                        "monday": formats.date_format(monday, "DAY_SHORT_MONTH_FORMAT"),
                        "booked": _hours(booked),
                    }
                }
    return {}


def _monday(moment: datetime) -> date:
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


def _hours(length: timedelta) -> str:
    hours = length.total_seconds() / 3600
    return f"{hours:g}"


def _listed(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return _("%(names)s or %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def requested_by(teacher) -> dict[int, str]:
    """The rooms on which ``teacher``'s claim is a request (they need approval and the
    teacher is not among the approvers), with who decides. No query unless such rooms
    exist."""
    approvals = _cached().get().approvals
    return {
        room_id: approval.group for room_id, approval in approvals.items() if not _decides(teacher, approval)
    }


def rooms_closed_to(teacher) -> dict[int, str]:
    """The rooms only some groups may book that ``teacher`` may not, with the reason. No
    query unless such rooms exist."""
    only = _cached().get().only_groups
    if not only:
        return {}
    mine = _group_ids(teacher)
    return {
        room_id: _("only %(groups)s can book it") % {"groups": _listed(tuple(sorted(groups.values())))}
        for room_id, groups in only.items()
        if not mine & groups.keys()
    }
