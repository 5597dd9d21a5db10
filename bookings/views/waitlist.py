"""Join and leave the waitlist of a booked room."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.answers import done, error_page, teacher_required

from .. import services
from ..forms import ClaimForm
from ..serializers import joined_message, waitlist_entry_payload
from .booking import claim_error_page, valid_period


@require_POST
@teacher_required
@error_page(claim_error_page)
def join(request: HttpRequest, room_id: int) -> HttpResponse:
    form = ClaimForm(request.POST)  # the period, and the group's size for the offer
    period = valid_period(form)
    attendees = form.cleaned_data.get("attendees")
    entry = services.waitlist_join(teacher=request.user, room_id=room_id, attendees=attendees, **period)
    return done(request, {"entry": waitlist_entry_payload(entry)}, message=joined_message(entry), status=201)


@require_POST
@teacher_required
def leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = services.waitlist_leave(teacher=request.user, entry_id=entry_id)
    message = _("You left the waitlist for %(room)s.") % {"room": entry.room.name}
    return done(request, {"entry": waitlist_entry_payload(entry)}, message=message)
