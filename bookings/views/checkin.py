"""Check-in: a teacher says they are in the room (from My bookings, or from the room's
door link, printed as a QR code), so a room whose rules ask for it is not released."""

from __future__ import annotations

from datetime import timedelta

import segno
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.answers import done, teacher_required
from rooms.models import Room

from .. import availability, services
from ..models import Booking, claim_path
from ..serializers import booking_payload


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
    path = reverse("bookings:room-door", args=[room.pk])
    link = settings.SITE_URL + path if settings.SITE_URL_SET else request.build_absolute_uri(path)
    qr = segno.make(link, error="m")
    svg = qr.svg_inline(scale=8, dark="#111", omitsize=True, title=f"Check-in link for {room.name}")
    context = {"room": room, "link": link, "qr": mark_safe(svg), "site_url_set": settings.SITE_URL_SET}
    return render(request, "bookings/door_sign.html", context)
