"""Approvers decide requests: the page of open requests for the rooms they decide on,
approve, and decline with a reason."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from config.answers import (
    back_to,
    done,
    error_page,
    not_found,
    teacher_required,
    wants_json,
)
from rooms.schoolcalendar import calendar as school_calendar

from .. import services
from ..rules import rooms_approved_by
from ..selectors import open_requests, recently_decided
from ..serializers import with_reason

LIST_FRAGMENT = "requests-list"


@require_GET
@teacher_required
def requests_page(request: HttpRequest) -> HttpResponse:
    """The open requests for the rooms the teacher decides on, oldest first (nobody else's
    business: not found for a teacher who decides on none)."""
    rooms = rooms_approved_by(request.user)
    if not rooms:
        return not_found(request)
    rows = open_requests(rooms)
    if wants_json(request):
        return JsonResponse(
            {
                "requests": [
                    {
                        **with_reason(row.booking),
                        "purpose": row.booking.purpose,
                        "attendees": row.booking.attendees,
                        "dates": row.dates,
                        "otherRequests": [other.pk for other in row.others],
                    }
                    for row in rows
                ]
            }
        )
    context = {"rows": rows, "decided": recently_decided(rooms)}
    template = "_requests_list" if request.headers.get("X-Fragment") == LIST_FRAGMENT else "requests"
    return render(request, f"bookings/{template}.html", context)


# Where a decision's error is shown to a form post: the requests page, with what happened.
back_to_requests = back_to("bookings:requests")


@require_POST
@teacher_required
@error_page(back_to_requests)
def approve(request: HttpRequest, booking_id: int) -> HttpResponse:
    decision = services.booking_decide(booking_id=booking_id, approver=request.user, approve=True)
    return _decided(request, decision, _("Approved: %(what)s"))


@require_POST
@teacher_required
@error_page(back_to_requests)
def decline(request: HttpRequest, booking_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    decision = services.booking_decide(
        booking_id=booking_id, approver=request.user, approve=False, reason=reason
    )
    return _decided(request, decision, _("Declined: %(what)s"))


def _decided(request: HttpRequest, decision, message: str) -> HttpResponse:
    first = decision.first
    what = f"{first.room.name}, {school_calendar().when(first.start, first.end)}, {first.teacher.name}"
    if len(decision.bookings) > 1:
        count = len(decision.bookings)
        what += ngettext(" (%(count)d date)", " (%(count)d dates)", count) % {"count": count}
    body = {"bookings": [with_reason(booking) for booking in decision.bookings]}
    return done(request, body, message=message % {"what": what}, page="bookings:requests")
