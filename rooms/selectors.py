"""Reads about rooms: which are free, best fit first.

The arrows between the apps run one way: ``bookings`` reads ``rooms.models`` (a booking is
of a room) and never the search; the search (this module, ``forms``, ``views``) reads
``bookings.models`` and the shared limits in ``bookings.rules``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Exists, F, Func, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from bookings.models import Booking
from bookings.waitlist import with_offers
from teachers.models import Teacher

from .models import Feature, Room


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
    rooms = Room.objects.filter(is_active=True, capacity__gte=seats).exclude(Exists(busy))
    if teacher is not None:
        rooms = with_offers(rooms, teacher=teacher, start=start, end=end).filter(held_until__isnull=True)
    for feature in features:
        rooms = rooms.filter(
            Exists(Room.features.through.objects.filter(room=OuterRef("pk"), feature=feature))
        )
    # A scalar subquery per room rather than a GROUP BY over every room-feature row:
    # PostgreSQL then joins, filters and keeps the top fits in one pass (top-N sort).
    extras = (
        Room.features.through.objects.filter(room=OuterRef("pk"))
        .exclude(feature__in=[feature.pk for feature in features])
        .values("room")
        .annotate(count=Func(F("pk"), function="COUNT"))
        .values("count")
    )
    return (
        rooms.select_related("building")
        .annotate(
            spare_seats=F("capacity") - Value(seats),
            extra_features=Coalesce(Subquery(extras, output_field=IntegerField()), 0),
        )
        .order_by("capacity", "extra_features", "name")
        .prefetch_related(Prefetch("features", queryset=Feature.objects.order_by("name")))
    )


TAKEN_SHOWN = 10


def rooms_taken_between(
    start: datetime, end: datetime, *, seats: int = 1, features: Sequence[Feature] = ()
) -> list[Room]:
    """Rooms that would fit but are booked for part of ``[start, end)``, with who has them
    (``taken_by``: the earliest overlapping booking's teacher) and when they are free
    again (``free_at``: the end of the last one), so a teacher can wait for one. One query."""
    overlapping = Booking.objects.overlapping(start, end).filter(room=OuterRef("pk"))
    rooms = Room.objects.filter(is_active=True, capacity__gte=seats).filter(Exists(overlapping))
    for feature in features:
        rooms = rooms.filter(
            Exists(Room.features.through.objects.filter(room=OuterRef("pk"), feature=feature))
        )
    first = overlapping.order_by("start")
    return list(
        rooms.select_related("building")
        .annotate(
            taken_by_display=Subquery(first.values("teacher__display_name")[:1]),
            taken_by_username=Subquery(first.values("teacher__username")[:1]),
            free_at=Subquery(overlapping.order_by("-end").values("end")[:1]),
        )
        .order_by("capacity", "name")[:TAKEN_SHOWN]
    )
