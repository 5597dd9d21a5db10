"""Join and leave the waitlist for a taken room."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import waitlist
from ..errors import BookingError
from ..forms import ClaimForm
from ..responses import done, error_response, teacher_required
from ..serializers import waitlist_entry_payload
from .booking import claim_error, valid_period


@require_POST
@teacher_required
def join(request: HttpRequest, room_id: int) -> HttpResponse:
    form = ClaimForm(request.POST)  # the period, and the group's size for the offer
    try:
        period = valid_period(form)
        attendees = form.cleaned_data.get("attendees")
        entry = waitlist.waitlist_join(teacher=request.user, room_id=room_id, attendees=attendees, **period)
    except BookingError as error:
        return claim_error(request, error, room_id=room_id, form=ClaimForm(request.POST))
    message = _("You are on the waitlist for %(room)s; we will tell you if it frees up.") % {
        "room": entry.room.name
    }
    return done(request, {"entry": waitlist_entry_payload(entry)}, message=message, status=201)


@require_POST
@teacher_required
def leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        entry = waitlist.waitlist_leave(teacher=request.user, entry_id=entry_id)
    except BookingError as error:
        return error_response(request, error)
    message = _("You left the waitlist for %(room)s.") % {"room": entry.room.name}
    return done(request, {"entry": waitlist_entry_payload(entry)}, message=message)
