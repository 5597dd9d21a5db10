"""A room's door display: a tablet by the door shows the room now, next and the rest of
the day, live. No teacher is signed in there: the room's display key in the address lets
the page (and its socket, ``consumers.DisplayConsumer``) in; staff make a new key on the
door sign page. Any other key, another room's too, is a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..display import room_day, room_shown
from ..models import claim_path
from .checkin import qr_code, site_link


@require_GET
def display(request: HttpRequest, room_id: int) -> HttpResponse:
    """The whole page; with ``part=now`` only what changes (the page's script swaps it in
    when the socket says the room changed, and each minute)."""
    room = room_shown(room_id, request.GET.get("key", ""))
    if room is None:
        raise Http404(_("No such display."))
    day = room_day(room)
    context = {"room": room, "day": day, "key": room.display_key}
    if day.bookable is not None:
        link = site_link(request, claim_path(room.pk, day.bookable.start, day.bookable.end))
        context["qr"] = qr_code(link, title=_("Book %(room)s now") % {"room": room.name}, scale=6)
    elif day.current is not None and day.current.waits_for_check_in:
        link = site_link(request, reverse("bookings:room-door", args=[room.pk]))
        context["qr"] = qr_code(link, title=_("Check in: %(room)s") % {"room": room.name}, scale=6)
    template = "bookings/_display.html" if request.GET.get("part") == "now" else "bookings/display.html"
    response = render(request, template, context)
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"  # the key is in the address
    return response
