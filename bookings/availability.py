"""Which rooms are free when: the query behind the search page (best fit first), the
rooms taken for a period, and what to offer a teacher who lost a room (alternatives).

The arrows between the apps run one way: ``bookings`` reads ``rooms.models`` (a booking is
of a room); the search page (``rooms.forms``, ``rooms.views``) reads this module and the
shared limits in ``bookings.rules``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from rooms.models import Feature, Room
from rooms.schoolcalendar import calendar
from teachers.models import Teacher

from .models import Booking, overlapping_q, overlaps
from .rules import from_now, rooms_closed_to, this_minute
from .waitlist import open_offers, without_offers_to_others


def rooms_free_between(
    start: datetime,
    end: datetime,
    *,
    seats: int = 1,
    features: Sequence[Feature] = (),
    teacher: Teacher | None = None,
) -> QuerySet[Room]:
    """Active rooms that seat ``seats``, offer every feature asked for, and have no
    confirmed booking sharing any instant with ``[start, end)``, nor an open waitlist offer
    to a teacher other than ``teacher`` (it holds the room for them).

    Best fit first: the smallest room that seats the group (fewest empty seats), then
    the one with fewest features nobody asked for (keep the lab free for a lab lesson),
    then by name. One query for the rooms, one for their features.
    """
    busy = Booking.objects.overlapping(start, end).filter(room=OuterRef("pk"))
    rooms = bookable_between(start, end, teacher=teacher).filter(capacity__gte=seats).exclude(Exists(busy))
    if teacher is not None:
        rooms = without_offers_to_others(rooms, teacher=teacher, start=start, end=end)
    for feature in features:
        rooms = rooms.filter(
            Exists(Room.features.through.objects.filter(room=OuterRef("pk"), feature=feature))
        )
    # Every room left has each feature asked for, so its features nobody asked for are its
    # count less theirs: the ranking reads a column (``Room.feature_count``), and
    # PostgreSQL keeps the top fits in one pass (top-N sort) without counting per room.
    return (
        rooms.select_related("building")
        .annotate(
            spare_seats=F("capacity") - Value(seats),
            extra_features=F("feature_count") - Value(len(features)),
        )
        .order_by("capacity", "feature_count", "name")
        .prefetch_related(Prefetch("features", queryset=Feature.objects.order_by("name")))
    )


def bookable_between(start: datetime, end: datetime, *, teacher: Teacher | None = None) -> QuerySet[Room]:
    """Active rooms the school calendar opens for ``[start, end)`` (no closure, in term,
    within bookable hours) and, given a ``teacher``, that they may book."""
    closed = calendar().closed_between(start, end)
    if closed.school:
        return Room.objects.none()
    rooms = Room.objects.filter(is_active=True)
    shut = set(closed.rooms) | {room_id for room_id, reason in closed.own_hours.items() if reason}
    if teacher is not None:
        shut |= rooms_closed_to(teacher).keys()
    if shut:
        rooms = rooms.exclude(pk__in=shut)
    if closed.buildings:
        rooms = rooms.exclude(building_id__in=closed.buildings)
    if closed.building_hours:
        own_hours_open = [room_id for room_id, reason in closed.own_hours.items() if not reason]
        rooms = rooms.exclude(Q(building_id__in=closed.building_hours) & ~Q(pk__in=own_hours_open))
    return rooms


UNAVAILABLE_SHOWN = 10


class Unbookable(NamedTuple):
    """What the search lists as not bookable for a period."""

    school_closed: str | None  # why the whole school is closed, if it is
    rooms: list[Room]  # the first UNAVAILABLE_SHOWN, each with its ``closed_reason``
    more: int  # how many more there are


def rooms_closed_between(
    start: datetime,
    end: datetime,
    *,
    teacher: Teacher,
    seats: int = 1,
    features: Sequence[Feature] = (),
    building_id: int | None = None,
) -> Unbookable:
    """Rooms that would fit but the calendar or the rules close to ``teacher`` for the
    period (the first ten, and how many more), or why the whole school is closed."""
    closed = calendar().closed_between(start, end)
    if closed.school:
        return Unbookable(closed.school, [], 0)
    restricted = rooms_closed_to(teacher)
    fitting = Room.objects.filter(is_active=True, capacity__gte=seats)
    if building_id is not None:
        fitting = fitting.filter(building_id=building_id)
    for feature in features:
        fitting = fitting.filter(
            Exists(Room.features.through.objects.filter(room=OuterRef("pk"), feature=feature))
        )
    maybe = Q(pk__in=set(closed.rooms) | set(closed.own_hours) | restricted.keys()) | Q(
        building_id__in=set(closed.buildings) | set(closed.building_hours)
    )
    found, more = [], 0
    for room in fitting.filter(maybe).select_related("building").order_by("capacity", "name"):
        room.closed_reason = closed.reason_for(room) or restricted.get(room.pk)
        if not room.closed_reason:
            continue
        if len(found) < UNAVAILABLE_SHOWN:
            found.append(room)
        else:
            more += 1
    return Unbookable(None, found, more)


def rooms_offered_to_others(
    teacher: Teacher, start: datetime, end: datetime, *, seats: int = 1
) -> list[Room]:
    """Rooms an open waitlist offer holds for another teacher during ``[start, end)``, with
    ``held_until``: neither free nor taken for this teacher, but worth naming."""
    offers = open_offers(start=start, end=end).exclude(teacher=teacher).filter(room__capacity__gte=seats)
    held: dict[int, datetime] = {}
    for room_id, until in offers.values_list("room_id", "offer_expires_at"):
        held[room_id] = min(until, held.get(room_id, until))
    rooms = list(Room.objects.filter(pk__in=held, is_active=True).select_related("building").order_by("name"))
    for room in rooms:
        room.held_until = held[room.pk]
    return rooms


class FreeNow(NamedTuple):
    """The room is free from now until ``until``: book ``[start, end)`` (a period under
    way keeps its own start, the claim runs it from now)."""

    start: datetime
    end: datetime
    until: datetime


def free_now(room: Room, *, teacher: Teacher | None) -> FreeNow | None:
    """For a teacher standing at the door: the period under way (or, off the periods, the
    rest of this hour) if the room is free and open to them for all that is left of it.
    For the door's display (``teacher`` None: whoever scans it) the room's group rules are
    left to the claim, and an offer to anyone keeps the room."""
    now = timezone.now()
    begins = this_minute(now)
    running = [p for p in calendar().periods_on(timezone.localtime(now).date()) if p.start < now < p.end]
    if running:
        start, end = running[0].start, running[0].end
    else:
        start = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=1)
    if not room.is_active or end <= begins or (teacher is not None and room.pk in rooms_closed_to(teacher)):
        return None
    if calendar().closed_reason(room, begins, end) or room.bookings.overlapping(begins, end).exists():
        return None
    offers = open_offers(start=begins, end=end).filter(room=room)
    if (offers.exclude(teacher=teacher) if teacher is not None else offers).exists():
        return None
    return FreeNow(start, end, end)


def own_bookings_between(teacher: Teacher, start: datetime, end: datetime) -> list[Booking]:
    """The teacher's own bookings sharing any instant with ``[start, end)``: a second
    room then is allowed, but worth a word. Read by the teacher's own rows (a few hundred
    at most), not the range index: on every room's range that index scans every booking
    of the period (25 ms with a school year of lessons, against 0.1 ms this way)."""
    mine = Booking.objects.holding().filter(teacher=teacher).filter(overlapping_q(start, end))
    return list(mine.select_related("room"))


TAKEN_SHOWN = 10
TAKEN_CANDIDATES = 60


def rooms_taken_between(
    start: datetime, end: datetime, *, seats: int = 1, features: Sequence[Feature] = ()
) -> list[Room]:
    """Rooms that would fit but are booked (or requested) for part of ``[start, end)``, with
    who has them (``taken_by``: the earliest overlapping booking's teacher, ``taken_status``
    its status; ``taken_by_lesson``: its
    lesson's title, when a lesson of the timetable holds it) and when they are free again
    (``free_at``: the end of the last one), so a teacher can wait for one. One query."""
    overlapping = Booking.objects.overlapping(start, end).filter(room=OuterRef("pk"))
    fitting = Room.objects.filter(is_active=True, capacity__gte=seats)
    for feature in features:
        fitting = fitting.filter(
            Exists(Room.features.through.objects.filter(room=OuterRef("pk"), feature=feature))
        )
    # Among the best-fitting rooms only (bounded work however large the school): the ones
    # a teacher would have wanted, taken.
    best = fitting.order_by("capacity", "name").values("pk")[:TAKEN_CANDIDATES]
    rooms = Room.objects.filter(pk__in=Subquery(best)).filter(Exists(overlapping))
    first = overlapping.order_by("start")
    return list(
        rooms.select_related("building")
        .annotate(
            taken_by_display=Subquery(first.values("teacher__display_name")[:1]),
            taken_by_username=Subquery(first.values("teacher__username")[:1]),
            # A lesson of the timetable holds it: "Lesson: 7b Maths" (its title).
            taken_by_lesson=Subquery(
                first.annotate(
                    title=Case(When(lesson__isnull=False, then=F("purpose")), default=Value(""))
                ).values("title")[:1]
            ),
            # "requested": a request awaiting approval holds it ("Requested by …").
            taken_status=Subquery(first.values("status")[:1]),
            free_at=Subquery(overlapping.order_by("-end").values("end")[:1]),
        )
        .order_by("capacity", "name")[:TAKEN_SHOWN]
    )


ALTERNATIVE_ROOMS = 3


def alternatives(*, room_id: int, start: datetime, end: datetime, teacher: Teacher, seats: int = 1) -> dict:
    """What a teacher who lost ``room_id`` for ``[start, end)`` could have instead: up to
    three other rooms free for the same period (the search's ranking, asking for the lost
    room's features), and the lost room's nearest free periods of the same length before
    and after, on the same day and not in the past."""
    room = Room.objects.filter(pk=room_id).prefetch_related("features").first()
    if room is None:
        return {"rooms": [], "periods": []}
    features = list(room.features.all())
    free = rooms_free_between(start, end, seats=seats, features=features, teacher=teacher)
    others = free.exclude(pk=room_id)
    return {
        "rooms": list(others[:ALTERNATIVE_ROOMS]),
        "periods": _nearest_free_periods(room, start=start, end=end, teacher=teacher),
    }


def _nearest_free_periods(room: Room, *, start: datetime, end: datetime, teacher: Teacher) -> list:
    local = timezone.localtime(start)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = day_start + timedelta(days=1)
    length = end - start
    busy = [
        (booking.start, booking.end)
        for booking in room.bookings.overlapping(day_start, day_end).order_by("start")
    ]
    busy += [
        (entry.start, entry.end)
        for entry in open_offers(start=day_start, end=day_end).filter(room=room).exclude(teacher=teacher)
    ]

    busy.append((start, end))  # taken or held: the period asked for is not to be had

    def clash(begins: datetime, ends: datetime) -> list:
        return [(b, e) for b, e in busy if overlaps(b, e, from_now(begins, ends), ends)]

    school = calendar()
    if day_periods := school.periods_on(local.date()):
        return _nearest_free_runs(room, day_periods, start=start, end=end, clash=clash)
    periods = []
    earliest = max(day_start, timezone.now())
    ends = end
    while ends - length >= earliest and (blocking := clash(ends - length, ends)):
        ends = min(b for b, _ in blocking)
    if ends - length >= earliest:
        periods.append((ends - length, ends))
    begins = start
    while begins + length <= day_end and (blocking := clash(begins, begins + length)):
        begins = max(e for _, e in blocking)
    if begins + length <= day_end:
        periods.append((begins, begins + length))
    return [FreePeriod(b, e) for b, e in periods if not school.closed_reason(room, b, e)]


@dataclass(frozen=True)
class FreePeriod:
    start: datetime
    end: datetime
    name: str = ""  # "Period 3", "Period 3-Period 4" where the school has periods


def _nearest_free_runs(room: Room, day_periods: list, *, start: datetime, end: datetime, clash) -> list:
    """Where the school has periods: the nearest run of as many periods as were asked for,
    free in this room, before the one asked for and after it (a run under way counts
    from now), by name."""
    count = max(1, sum(1 for period in day_periods if overlaps(period.start, period.end, start, end)))
    school = calendar()
    runs = [
        (day_periods[first], day_periods[first + count - 1]) for first in range(len(day_periods) - count + 1)
    ]

    def free(run) -> bool:
        begins, ends = run[0].start, run[1].end
        return (
            ends > this_minute()
            and not clash(begins, ends)
            and not school.closed_reason(room, from_now(begins, ends), ends)
        )

    before = [run for run in runs if run[1].end <= start and free(run)]
    after = [run for run in runs if run[0].start >= end and free(run)]
    chosen = before[-1:] + after[:1]
    return [
        FreePeriod(first.start, last.end, first.name if first == last else f"{first.name}\u2013{last.name}")
        for first, last in chosen
    ]
