"""The private calendar feed: a teacher's bookings as RFC 5545 iCalendar, at a URL with
a secret token (revocable), so Google Calendar, Outlook or Apple Calendar can follow it."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from rooms.schoolcalendar import calendar as school_calendar
from teachers.models import Teacher

from .models import Booking

HISTORY = timedelta(days=60)


def calendar_url(request: HttpRequest) -> str | None:
    token = request.user.calendar_token
    return request.build_absolute_uri(reverse("bookings:calendar-feed", args=[token])) if token else None


def rotate_token(teacher: Teacher) -> str:
    """A new secret link; the old one stops working at once."""
    teacher.calendar_token = secrets.token_urlsafe(32)
    teacher.save(update_fields=["calendar_token"])
    return teacher.calendar_token


def revoke_token(teacher: Teacher) -> None:
    teacher.calendar_token = None
    teacher.save(update_fields=["calendar_token"])


def feed(teacher: Teacher, *, host: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Roomclaim//Room bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    with translation.override(teacher.mail_language):  # a calendar app sends no language of its own
        calendar.add("x-wr-calname", _("Room bookings: %(name)s") % {"name": teacher.name})
    bookings = (
        Booking.objects.ad_hoc()
        .filter(teacher=teacher, end__gte=timezone.now() - HISTORY)
        .select_related("room__building")
    )
    school = school_calendar()
    for booking in bookings.order_by("start"):
        event = Event()
        event.add("uid", f"booking-{booking.pk}@{host}")
        event.add("dtstamp", booking.cancelled_at or booking.decided_at or booking.created_at)
        event.add("dtstart", booking.start)
        event.add("dtend", booking.end)
        names = school.period_label(booking.start, booking.end)
        summary = booking.room.name + (f" ({names})" if names else "")
        event.add("summary", summary + (f": {booking.purpose}" if booking.purpose else ""))
        event.add("location", f"{booking.room.name}, {booking.room.building.name}")
        # A request awaiting approval is tentative (RFC 5545), a declined one cancelled.
        status = "CONFIRMED" if booking.is_confirmed else "TENTATIVE" if booking.is_requested else "CANCELLED"
        event.add("status", status)
        calendar.add_component(event)
    return calendar.to_ical()
