"""Small builders for tests: a teacher, a room, a period, a booking."""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from bookings.models import Booking
from rooms.models import Building, Feature, Room
from teachers.models import Teacher

PASSWORD = "test-pass-123"
_numbers = itertools.count(1)


def make_teacher(name: str | None = None, **fields) -> Teacher:
    number = next(_numbers)
    username = fields.pop("username", f"teacher{number}")
    teacher = Teacher(username=username, display_name=name or f"Teacher {number}", **fields)
    teacher.password = _password_hash()
    teacher.save()
    return teacher


@functools.cache
def _password_hash() -> str:
    return make_password(PASSWORD)  # hashing is slow on purpose; once per run is enough


def make_room(
    name: str | None = None, *, capacity: int = 30, features: tuple[str, ...] = (), **fields
) -> Room:
    building, _ = Building.objects.get_or_create(name=fields.pop("building", "Main Building"))
    room = Room.objects.create(
        name=name or f"Room {100 + next(_numbers)}", building=building, capacity=capacity, **fields
    )
    for slug in features:
        feature, _ = Feature.objects.get_or_create(
            slug=slug, defaults={"name": slug.replace("-", " ").title()}
        )
        room.features.add(feature)
    return room


def at(hour: float, *, days: int = 1) -> datetime:
    """An aware time ``days`` from today at ``hour`` (10.5 is 10:30), school time zone."""
    today = timezone.localdate() + timedelta(days=days)
    midnight = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    return midnight + timedelta(hours=hour)


def make_booking(room: Room, teacher: Teacher, start: datetime, end: datetime, **fields) -> Booking:
    return Booking.objects.create(room=room, teacher=teacher, start=start, end=end, **fields)


def local(moment: datetime) -> str:
    """The form value for a time: ISO 8601 local time without offset."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def lunchtime_zone() -> ZoneInfo:
    """A fixed-offset zone in which the hour is 13 now (Etc/GMT-N is UTC+N): a test set
    there has the afternoon ahead of it, whenever the suite runs."""
    offset = (13 - datetime.now(UTC).hour + 12) % 24 - 12
    return ZoneInfo(f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC")
