"""Hold, claim, cancel, waitlist, series, calendar link and analytics: parse with a
form, call the service, answer.

Every teacher-facing answer comes in two forms: JSON for ``Accept: application/json``
(the dialog's ``fetch``) and a page for a plain form post (no JavaScript).
"""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rooms.models import Room
from teachers.models import Teacher

from . import analytics, calendar, services, waitlist
from .calendar import calendar_url
from .errors import INVALID_INPUT, BookingError
from .forms import AnalyticsForm, ClaimForm, HoldForm, first_errors
from .models import Series
from .responses import error_response, not_found, see_other, teacher_required, wants_json
from .selectors import bookings_for_teacher, waitlist_for_teacher
from .serializers import booking_payload, iso, series_payload, waitlist_entry_payload

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
    series = None
    try:
        period = _valid_period(form)
        details = {"attendees": form.cleaned_data["attendees"], "purpose": form.cleaned_data["purpose"]}
        if form.cleaned_data["repeat"]:
            series, bookings, skipped = services.series_create(
                teacher=request.user,
                room_id=room_id,
                rule=form.cleaned_data["repeat"],
                until=form.cleaned_data["until"],
                free_dates_only=form.cleaned_data["free_dates_only"],
                **details,
                **period,
            )
            booking = bookings[0]
        else:
            booking = services.booking_create(teacher=request.user, room_id=room_id, **details, **period)
    except BookingError as error:
        return _error_response(request, error, room_id=room_id, form=form)
    if wants_json(request):
        body = {"booking": booking_payload(booking)}
        if series is not None:
            body["series"] = series_payload(series, bookings, skipped)
        return JsonResponse(body, status=201)
    note = f" ({len(bookings)} dates, {len(skipped)} taken dates skipped)" if series else ""
    messages.success(request, f"Room booked successfully: {booking.room.name}{note}.")
    return see_other("my-bookings")


@require_POST
@teacher_required
def waitlist_join(request: HttpRequest, room_id: int) -> HttpResponse:
    form = HoldForm(request.POST)
    try:
        entry = waitlist.waitlist_join(teacher=request.user, room_id=room_id, **_valid_period(form))
    except BookingError as error:
        return _error_response(request, error, room_id=room_id, form=ClaimForm(request.POST))
    if wants_json(request):
        return JsonResponse({"entry": waitlist_entry_payload(entry)}, status=201)
    messages.success(
        request, f"You are on the waitlist for {entry.room.name}; we will tell you if it frees up."
    )
    return see_other("my-bookings")


@require_POST
@teacher_required
def waitlist_leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        entry = waitlist.waitlist_leave(teacher=request.user, entry_id=entry_id)
    except BookingError as error:
        return error_response(request, error)
    if wants_json(request):
        return JsonResponse({"entry": waitlist_entry_payload(entry)})
    messages.success(request, f"You left the waitlist for {entry.room.name}.")
    return see_other("my-bookings")


@require_http_methods(["GET", "POST"])
@teacher_required
def series_cancel(request: HttpRequest, series_id: int) -> HttpResponse:
    if request.method == "GET":
        series = Series.objects.filter(pk=series_id, teacher=request.user).select_related("room").first()
        if series is None:
            return not_found(request)
        question = f"Cancel every upcoming date of {series.room.name}, {series.get_rule_display().lower()}?"
        return _confirm_page(request, question=question, button="Cancel series")
    try:
        cancelled = services.series_cancel(series_id=series_id, teacher=request.user)
    except BookingError as error:
        return error_response(request, error)
    if wants_json(request):
        return JsonResponse({"cancelled": [booking_payload(booking) for booking in cancelled]})
    messages.success(request, f"Series cancelled: {len(cancelled)} upcoming bookings.")
    return see_other("my-bookings")


@require_http_methods(["GET", "POST"])
@teacher_required
def cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    """GET asks first (the page that works without JavaScript); POST cancels."""
    if request.method == "GET":
        upcoming, _ = bookings_for_teacher(request.user)
        booking = upcoming.confirmed().filter(pk=booking_id).first()
        if booking is None:
            return not_found(request)
        when = timezone.localtime(booking.start)
        question = f"Cancel your booking of {booking.room.name} on {when:%a} {when.day} {when:%b, %H:%M}?"
        return _confirm_page(request, question=question, button="Cancel booking")
    try:
        booking = services.booking_cancel(booking_id=booking_id, teacher=request.user)
    except BookingError as error:
        if wants_json(request) or error.status == 404:
            return error_response(request, error)
        problems = [problem for field_problems in error.errors.values() for problem in field_problems]
        messages.error(request, " ".join(problems) or error.message)
        return see_other("my-bookings")
    if wants_json(request):
        return JsonResponse({"booking": booking_payload(booking)})
    messages.success(request, f"Booking cancelled: {booking.room.name}.")
    return see_other("my-bookings")


def _confirm_page(request: HttpRequest, *, question: str, button: str) -> HttpResponse:
    return render(request, "bookings/confirm_cancel.html", {"question": question, "button": button})


@require_GET
@teacher_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    upcoming, past = bookings_for_teacher(request.user)
    waiting = waitlist_for_teacher(request.user)
    if wants_json(request):
        return JsonResponse(
            {
                "upcoming": [booking_payload(booking) for booking in upcoming],
                "past": [booking_payload(booking) for booking in past],
                "waitlist": [waitlist_entry_payload(entry) for entry in waiting],
            }
        )
    context = {"upcoming": upcoming, "past": past, "waiting": waiting, "calendar_url": calendar_url(request)}
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
    if not wants_json(request) and not Room.objects.filter(pk=room_id).exists():
        return not_found(request)
    page = partial(_claim_page, request, room_id=room_id, form=form, error=error, status=error.status)
    return error_response(request, error, page=page)


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


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed; the token in the URL is the only key, so it is long and revocable."""
    teacher = Teacher.objects.filter(calendar_token=token, is_active=True).first()
    if teacher is None:
        raise Http404
    response = HttpResponse(
        calendar.feed(teacher, host=request.get_host()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="roomclaim.ics"'
    return response


@require_POST
@teacher_required
def calendar_link(request: HttpRequest) -> HttpResponse:
    calendar.rotate_token(request.user)
    if wants_json(request):
        return JsonResponse({"url": calendar_url(request)})
    messages.success(request, "Your private calendar link is ready; any older link no longer works.")
    return see_other("my-bookings")


@require_POST
@teacher_required
def calendar_link_revoke(request: HttpRequest) -> HttpResponse:
    calendar.revoke_token(request.user)
    if wants_json(request):
        return JsonResponse({"url": None})
    messages.success(request, "Your calendar link no longer works.")
    return see_other("my-bookings")


@require_GET
@staff_member_required
def analytics_report(request: HttpRequest) -> HttpResponse:
    form = AnalyticsForm(request.GET or None)
    start, end = form.period()
    report = analytics.build_report(start, end)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="roomclaim-{start}-{end}.csv"'
        analytics.write_csv(report, response)
        return response
    status = 200 if not form.is_bound or form.is_valid() else 400
    context = {
        **admin.site.each_context(request),
        "title": "Booking analytics",
        "form": form,
        "report": report,
        "charts": analytics.charts(report),
        "csv_query": urlencode({"start": start, "end": end, "format": "csv"}),
    }
    return render(request, "bookings/analytics.html", context, status=status)
