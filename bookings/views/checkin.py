"""Check-in: a teacher says they are in the room (from My bookings, or from the room's
door link, printed as a QR code), so a room whose rules ask for it is not released."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.answers import done, teacher_required
from rooms.models import Room
from rooms.models import new_display_key as new_key

from .. import availability, services
from ..models import Booking, claim_path
from ..serializers import booking_payload

logger = logging.getLogger(__name__)


@require_POST
@teacher_required
def check_in(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = services.booking_check_in(booking_id=booking_id, teacher=request.user)
    return done(
        request,
        {"booking": booking_payload(booking)},
        message=_("Checked in: %(room)s") % {"room": booking.room.name},
    )


@require_GET
@teacher_required
def door(request: HttpRequest, room_id: int) -> HttpResponse:
    """The page the QR code by the door opens: the teacher's booking of this room now (or
    starting soon), with a button to check in."""
    room = get_object_or_404(Room.objects.select_related("building"), pk=room_id)
    now = timezone.now()
    booking = (
        Booking.objects.confirmed()
        .filter(
            room=room,
            teacher=request.user,
            end__gt=now,
            start__lte=now + timedelta(minutes=settings.CHECK_IN_OPENS_MINUTES),
        )
        .order_by("start")
        .first()
    )
    context = {"room": room, "booking": booking}
    if booking is None and (free := availability.free_now(room, teacher=request.user)):
        context["free_now"] = free
        context["claim_path"] = claim_path(room.pk, free.start, free.end)
    return render(request, "bookings/door.html", context)


@require_GET
@staff_member_required
def door_sign(request: HttpRequest, room_id: int) -> HttpResponse:
    """A sign to print and put by the door: the room's name and a QR code of its check-in
    link, on ``SITE_URL`` or, where the school has not set it, on the address this page
    was opened on (the page says so, above what prints)."""
    room = get_object_or_404(Room.objects.select_related("building"), pk=room_id)
    link = site_link(request, reverse("bookings:room-door", args=[room.pk]))
    context = {
        "room": room,
        "link": link,
        "qr": qr_code(link, title=f"Check-in link for {room.name}"),
        "site_url_set": settings.SITE_URL_SET,
        "display_link": site_link(request, display_path(room)),
    }
    return render(request, "bookings/door_sign.html", context)


@require_POST
@staff_member_required
def new_display_key(request: HttpRequest, room_id: int) -> HttpResponse:
    """A new address for the room's door display: the old one shows nothing any more."""
    room = get_object_or_404(Room, pk=room_id)
    room.display_key = new_key()
    room.save(update_fields=["display_key"])
    logger.info("%s made a new display key for room %s", request.user.username, room.pk)
    messages.success(request, _("The display has a new address. Open it on the tablet by the door."))
    return redirect("bookings:room-door-sign", room_id=room.pk)


def display_path(room: Room) -> str:
    return f"{reverse('bookings:room-display', args=[room.pk])}?{urlencode({'key': room.display_key})}"


def site_link(request: HttpRequest, path: str) -> str:
    """``path`` on ``SITE_URL`` or, where the school has not set it, on the address this
    page was opened on: what a printed or scanned code must point at."""
    return settings.SITE_URL + path if settings.SITE_URL_SET else request.build_absolute_uri(path)


def qr_code(link: str, *, title: str, scale: int = 8) -> str:
    """``link`` as a QR code, inline SVG that scales with its box."""
    svg = segno.make(link, error="m").svg_inline(scale=scale, dark="#111", omitsize=True, title=title)
    return mark_safe(svg)  # segno writes the SVG and escapes the title
