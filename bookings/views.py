"""Hold, claim and cancel: parse with a form, call the service, answer.

Every answer comes in two forms: JSON for ``Accept: application/json`` (the dialog's
``fetch``) and a page for a plain form post (no JavaScript).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from rooms.models import Room
from teachers.decorators import teacher_required, wants_json

from . import services
from .errors import INVALID_INPUT, BookingError
from .forms import ClaimForm, HoldForm, first_errors
from .selectors import bookings_for_teacher
from .serializers import booking_payload, iso

LIST_FRAGMENT = "bookings-list"


@require_POST
@teacher_required
def hold(request: HttpRequest, room_id: int) -> HttpResponse:
    form = HoldForm(request.POST)
    try:
        period = _valid_period(form)
        lock = services.booking_hold(teacher=request.user, room_id=room_id, **period)
    except BookingError as error:
        return _error_response(request, error, room_id=room_id, form=ClaimForm(request.POST))
    if wants_json(request):
        body = {
            "roomId": room_id,
            "startTime": iso(lock.start),
            "endTime": iso(lock.end),
            "expiresAt": iso(lock.expires_at),
        }
        return JsonResponse({"hold": body})
    return _claim_page(
        request,
        room_id=room_id,
        form=ClaimForm(initial=_initial(request, period)),
        expires_at=lock.expires_at,
    )


@require_POST
@teacher_required
def release(request: HttpRequest, room_id: int) -> HttpResponse:
    form = HoldForm(request.POST)
    try:
        period = _valid_period(form)
    except BookingError as error:
        return _error_response(request, error, room_id=room_id, form=ClaimForm(request.POST))
    released = services.booking_release(teacher=request.user, room_id=room_id, **period)
    if wants_json(request):
        return JsonResponse({"released": released})
    return redirect("dashboard")


@require_POST
@teacher_required
def claim(request: HttpRequest, room_id: int) -> HttpResponse:
    form = ClaimForm(request.POST)
    try:
        period = _valid_period(form)
        booking = services.booking_create(
            teacher=request.user,
            room_id=room_id,
            attendees=form.cleaned_data["attendees"],
            purpose=form.cleaned_data["purpose"],
            **period,
        )
    except BookingError as error:
        return _error_response(request, error, room_id=room_id, form=form)
    if wants_json(request):
        return JsonResponse({"booking": booking_payload(booking)}, status=201)
    messages.success(request, f"Room booked successfully: {booking.room.name}.")
    return _see_other("my-bookings")


@require_POST
@teacher_required
def cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    try:
        booking = services.booking_cancel(booking_id=booking_id, teacher=request.user)
    except BookingError as error:
        if wants_json(request):
            return JsonResponse(error.as_json(), status=error.status)
        if error.status == 404:
            return render(request, "404.html", status=404)
        problems = [problem for field_problems in error.errors.values() for problem in field_problems]
        messages.error(request, " ".join(problems) or error.message)
        return _see_other("my-bookings")
    if wants_json(request):
        return JsonResponse({"booking": booking_payload(booking)})
    messages.success(request, f"Booking cancelled: {booking.room.name}.")
    return _see_other("my-bookings")


@require_GET
@teacher_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    upcoming, past = bookings_for_teacher(request.user)
    if wants_json(request):
        return JsonResponse(
            {
                "upcoming": [booking_payload(booking) for booking in upcoming],
                "past": [booking_payload(booking) for booking in past],
            }
        )
    context = {"upcoming": upcoming, "past": past}
    if request.headers.get("X-Fragment") == LIST_FRAGMENT:
        return render(request, "bookings/_bookings_list.html", context)
    return render(request, "bookings/my_bookings.html", context)


def _valid_period(form: HoldForm) -> dict:
    if not form.is_valid():
        raise BookingError(INVALID_INPUT, errors=first_errors(form))
    return {"start": form.cleaned_data["start"], "end": form.cleaned_data["end"]}


def _initial(request: HttpRequest, period: dict) -> dict:
    local = {name: timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") for name, moment in period.items()}
    return {
        **local,
        "attendees": request.POST.get("attendees") or None,
        "purpose": request.POST.get("purpose", ""),
    }


def _error_response(
    request: HttpRequest, error: BookingError, *, room_id: int, form: ClaimForm
) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(error.as_json(), status=error.status)
    if not Room.objects.filter(pk=room_id).exists():
        return render(request, "404.html", status=404)
    return _claim_page(request, room_id=room_id, form=form, error=error, status=error.status)


def _claim_page(
    request: HttpRequest,
    *,
    room_id: int,
    form: ClaimForm,
    error: BookingError | None = None,
    expires_at=None,
    status: int = 200,
) -> HttpResponse:
    room = Room.objects.select_related("building").prefetch_related("features").get(pk=room_id)
    if error is not None:
        # Problems only the service could see (seats, say) join the form's own.
        for field, problems in error.errors.items():
            for problem in problems:
                if field in form.fields and problem not in form.errors.get(field, []):
                    form.add_error(field, problem)
    context = {"room": room, "form": form, "error": error, "expires_at": expires_at}
    return render(request, "bookings/claim.html", context, status=status)


def _see_other(name: str) -> HttpResponse:
    response = redirect(name)
    response.status_code = 303
    return response
