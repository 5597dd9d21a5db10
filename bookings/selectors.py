"""Reads about bookings."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from teachers.models import Teacher

from .models import Booking, WaitlistEntry

PAST_SHOWN = 50


def bookings_for_teacher(teacher: Teacher) -> tuple[QuerySet[Booking], QuerySet[Booking]]:
    """The teacher's upcoming bookings (soonest first) and recent past ones (latest first)."""
    now = timezone.now()
    mine = Booking.objects.filter(teacher=teacher).select_related("room__building", "series")
    upcoming = mine.filter(end__gt=now).order_by("start", "pk")
    past = mine.filter(end__lte=now).order_by("-start", "-pk")[:PAST_SHOWN]
    return upcoming, past


def waitlist_for_teacher(teacher: Teacher) -> QuerySet[WaitlistEntry]:
    """The teacher's open waitlist entries, soonest period first."""
    return (
        WaitlistEntry.objects.filter(teacher=teacher, status__in=WaitlistEntry.ACTIVE, end__gt=timezone.now())
        .select_related("room__building")
        .order_by("start", "pk")
    )
