"""Figures for admins: where and when teachers collide, which rooms are in demand, how
full rooms are, how long waitlists are. Charts are plain SVG drawn by templates."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from rooms.models import Room

from .models import Booking, Conflict, WaitlistEntry, overlapping_q

SCHOOL_DAY = (time(8), time(18))  # the hours a room is counted as available
HOURS = list(range(7, 19))


@dataclass
class RoomFigures:
    name: str
    bookings: int = 0
    booked_hours: float = 0.0
    available_hours: float = 0.0
    conflicts: int = 0
    waitlist_joins: int = 0
    waiting_now: int = 0
    # Rooms that need approval: requests made (a series' dates each), approved, declined
    # (by an approver or the rule), and the hours from request to decision.
    requests: int = 0
    approved: int = 0
    declined: int = 0
    hours_to_decide: float = 0.0

    @property
    def decided(self) -> int:
        return self.approved + self.declined

    @property
    def approval_rate(self) -> float:
        return self.approved / self.decided if self.decided else 0.0

    @property
    def mean_hours_to_decide(self) -> float:
        return self.hours_to_decide / self.decided if self.decided else 0.0

    @property
    def utilisation(self) -> float:
        return self.booked_hours / self.available_hours if self.available_hours else 0.0

    @property
    def demand(self) -> int:
        """Times someone wanted the room and could not have it."""
        return self.conflicts + self.waitlist_joins


@dataclass
class Report:
    start: date
    end: date
    rooms: list[RoomFigures] = field(default_factory=list)
    by_hour: dict[tuple[int, int], int] = field(default_factory=dict)  # (iso weekday, hour) -> conflicts

    @property
    def total_conflicts(self) -> int:
        return sum(room.conflicts for room in self.rooms)

    @property
    def requested_rooms(self) -> list[RoomFigures]:
        return [room for room in self.rooms if room.requests]

    def top(self, key: str, limit: int = 12) -> list[RoomFigures]:
        ranked = sorted(self.rooms, key=lambda room: (-getattr(room, key), room.name))
        return [room for room in ranked[:limit] if getattr(room, key)]

    def heatmap(self) -> list[dict]:
        """Rows per weekday with a cell per hour, each with its count and shade (0-1)."""
        peak = max(self.by_hour.values(), default=0) or 1
        return [
            {
                "day": WEEKDAYS_ABBR[day - 1],
                "cells": [
                    {
                        "hour": hour,
                        "count": self.by_hour.get((day, hour), 0),
                        "shade": self.by_hour.get((day, hour), 0) / peak,
                    }
                    for hour in HOURS
                ],
            }
            for day in range(1, 8)
        ]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tz), datetime.combine(end + timedelta(days=1), time.min, tz)


def school_hours(start: date, end: date) -> float:
    days = sum(1 for n in range((end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5)
    hours = datetime.combine(date.min, SCHOOL_DAY[1]) - datetime.combine(date.min, SCHOOL_DAY[0])
    return days * hours.total_seconds() / 3600


def build_report(start: date, end: date) -> Report:
    since, until = _bounds(start, end)
    report = Report(start, end)
    figures = {
        room.pk: RoomFigures(room.name) for room in Room.objects.filter(is_active=True).only("pk", "name")
    }
    available = school_hours(start, end)
    for room in figures.values():
        room.available_hours = available

    length = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())
    booked = (
        Booking.objects.confirmed()
        .ad_hoc()
        .filter(overlapping_q(since, until))
        .values("room")
        .annotate(count=Count("pk"), duration=Sum(length))
    )
    for row in booked:
        if row["room"] in figures:
            figures[row["room"]].bookings = row["count"]
            figures[row["room"]].booked_hours = row["duration"].total_seconds() / 3600

    conflicts = Conflict.objects.filter(overlapping_q(since, until))
    for row in conflicts.values("room").annotate(count=Count("pk")):
        if row["room"] in figures:
            figures[row["room"]].conflicts = row["count"]
    hourly = conflicts.annotate(day=ExtractIsoWeekDay("start"), hour=ExtractHour("start"))
    report.by_hour = {
        (row["day"], row["hour"]): row["count"]
        for row in hourly.values("day", "hour").annotate(count=Count("pk"))
    }

    entries = (
        WaitlistEntry.objects.filter(overlapping_q(since, until))
        .values("room")
        .annotate(joins=Count("pk"), waiting=Count("pk", filter=Q(status__in=WaitlistEntry.ACTIVE)))
    )
    for row in entries:
        if row["room"] in figures:
            figures[row["room"]].waitlist_joins = row["joins"]
            figures[row["room"]].waiting_now = row["waiting"]
    _requests(figures, since, until)
    report.rooms = sorted(figures.values(), key=lambda room: room.name)
    return report


def _requests(figures: dict[int, RoomFigures], since: datetime, until: datetime) -> None:
    """Requests for dates in the period: every booking that was one (``decide_by`` set),
    whatever became of it; approved ones are those decided and not declined (even if
    cancelled later)."""
    waited = ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField())
    decided = Q(decided_at__isnull=False)
    rows = (
        Booking.objects.filter(decide_by__isnull=False)
        .filter(overlapping_q(since, until))
        .values("room")
        .annotate(
            requests=Count("pk"),
            approved=Count("pk", filter=decided & ~Q(status=Booking.Status.DECLINED)),
            declined=Count("pk", filter=Q(status=Booking.Status.DECLINED)),
            waited=Sum(waited, filter=decided),
        )
    )
    for row in rows:
        if room := figures.get(row["room"]):
            room.requests, room.approved, room.declined = row["requests"], row["approved"], row["declined"]
            room.hours_to_decide = row["waited"].total_seconds() / 3600 if row["waited"] else 0.0


def bars(rooms: list[RoomFigures], key: str, *, percent: bool = False) -> dict:
    """Geometry for a horizontal bar chart, drawn by ``bookings/_bar_chart.svg``."""
    values = [getattr(room, key) for room in rooms]
    # Shares are drawn against 100%, counts against the largest count.
    peak = 1 if percent else (max(values, default=0) or 1)
    row, width = 26, 360
    return {
        "height": row * len(rooms) + 10,
        "rows": [
            {
                "label": room.name,
                "y": index * row + 4,
                "text_y": index * row + 19,
                "width": max(2, round(value / peak * width)),
                "value": f"{value:.1%}" if percent else str(value),
            }
            for index, (room, value) in enumerate(zip(rooms, values, strict=True))
        ],
    }


def charts(report: Report) -> list[dict]:
    return [
        {"title": _("Conflicts per room"), "chart": bars(report.top("conflicts"), "conflicts")},
        {
            "title": _("High-demand rooms (conflicts + waitlist joins)"),
            "chart": bars(report.top("demand"), "demand"),
        },
        {
            "title": _("Utilisation (school hours booked)"),
            "chart": bars(report.top("utilisation"), "utilisation", percent=True),
        },
        {"title": _("Waitlist length now"), "chart": bars(report.top("waiting_now"), "waiting_now")},
    ]


# A piece of a cell that starts like a formula, where a spreadsheet in any locale may split
# a line into cells: at the start, or after a comma, a semicolon (German Excel) or a tab.
FORMULA_START = re.compile(r"(^|[,;\t])(\s*)([=+\-@\t\r])")


def spreadsheet_text(value: str) -> str:
    """Free text for a CSV cell that a spreadsheet must show, never run: every piece that
    starts like a formula gets a leading apostrophe (OWASP's rule against CSV injection),
    wherever a spreadsheet might split the line; and every cell is quoted (``write_csv``)."""
    return FORMULA_START.sub(r"\1\2'\3", value)


def write_csv(report: Report, out) -> None:
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(
        [
            "room",
            "bookings",
            "booked_hours",
            "available_hours",
            "utilisation",
            "conflicts",
            "waitlist_joins",
            "waiting_now",
            "requests",
            "approved",
            "declined",
            "approval_rate",
            "mean_hours_to_decide",
        ]
    )
    for room in report.rooms:
        writer.writerow(
            [
                spreadsheet_text(room.name),
                room.bookings,
                f"{room.booked_hours:.2f}",
                f"{room.available_hours:.0f}",
                f"{room.utilisation:.4f}",
                room.conflicts,
                room.waitlist_joins,
                room.waiting_now,
                room.requests,
                room.approved,
                room.declined,
                f"{room.approval_rate:.4f}",
                f"{room.mean_hours_to_decide:.2f}",
            ]
        )
