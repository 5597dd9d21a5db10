"""Hold, release, claim (one date or a series), cancel and My bookings."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.answers import (
    Problem,
    back_to,
    done,
    error_page,
    not_found,
    teacher_required,
    wants_json,
)
from rooms.schoolcalendar import calendar as school_calendar

from .. import availability, services
from ..calendar import calendar_url
from ..errors import BOOKING_NOT_FOUND, INVALID_INPUT, BookingError
from ..forms import ClaimForm, HoldForm, MoveForm, add_service_errors, form_errors
from ..metrics import counts_claims
from ..models import Booking
from ..selectors import (
    bookings_for_teacher,
    movable_booking,
    room_for_claim_page,
    series_for_teacher,
    upcoming_booking_for_teacher,
    upcoming_rows,
    waitlist_for_teacher,
)
from ..serializers import (
    alternatives_payload,
    booking_payload,
    hold_payload,
    moved_message,
    queue_payload,
    queued_message,
    waitlist_entry_payload,
    with_reason,
)

LIST_FRAGMENT = "bookings-list"


def claim_error_page(request: HttpRequest, error: Problem, *, room_id: int) -> HttpResponse | None:
    """Where a hold's, claim's or waitlist's error is shown to a form post: the claim page
    again, with the form as posted and the message (the not-found page when there is no
    such room)."""
    room = room_for_claim_page(room_id)
    if room is None:
        return None
    form = ClaimForm(request.POST)
    return _claim_page(request, room=room, form=form, error=error, status=error.status)


@require_POST
@teacher_required
@error_page(claim_error_page)
def hold(request: HttpRequest, room_id: int) -> HttpResponse:
    period = valid_period(HoldForm(request.POST))
    attempt = services.booking_hold(teacher=request.user, room_id=room_id, **period)
    return _held(request, room_id, period, attempt)


def _held(request: HttpRequest, room_id: int, period: dict, attempt) -> HttpResponse:
    """The answer to a hold that was granted: its expiry, or the claim page."""
    if wants_json(request):
        return JsonResponse({"hold": hold_payload(room_id, attempt)})
    form = ClaimForm(initial=_initial(request, period))
    room = room_for_claim_page(room_id)
    expires_at = attempt.lock.expires_at
    return _claim_page(request, room=room, form=form, expires_at=expires_at, degraded=attempt.degraded)


@require_POST
@teacher_required
@error_page(claim_error_page)
def wait(request: HttpRequest, room_id: int) -> HttpResponse:
    """ "Wait for this room": stand in the line for a room and period another teacher is
    confirming (asking again keeps the place and says where it is). When the lock is free
    it is taken at once, as a hold is."""
    period = valid_period(HoldForm(request.POST))
    attempt = services.booking_hold(teacher=request.user, room_id=room_id, wait=True, **period)
    if attempt.acquired:
        return _held(request, room_id, period, attempt)
    lock = attempt.lock
    if wants_json(request):
        body = {"queue": queue_payload(room_id, attempt), "message": queued_message(attempt)}
        return JsonResponse(body, status=202)
    form = ClaimForm(initial=_initial(request, period))
    room = room_for_claim_page(room_id)
    return _claim_page(
        request, room=room, form=form, waiting={"position": attempt.position, "held_until": lock.expires_at}
    )


@require_POST
@teacher_required
@error_page(claim_error_page)
def release(request: HttpRequest, room_id: int) -> HttpResponse:
    period = valid_period(HoldForm(request.POST))
    released = services.booking_release(teacher=request.user, room_id=room_id, **period)
    if wants_json(request):
        return JsonResponse({"released": released})
    return redirect("rooms:dashboard")


@require_POST
@teacher_required
@counts_claims
@error_page(claim_error_page)
def claim(request: HttpRequest, room_id: int) -> HttpResponse:
    form = ClaimForm(request.POST)
    valid_period(form)
    claimed = form.book(room_id=room_id, actor=request.user)
    return done(request, claimed.body, message=claimed.message, status=claimed.status)


@require_GET
@teacher_required
def alternatives(request: HttpRequest, room_id: int) -> HttpResponse:
    """What a teacher who lost this room for a period could have instead (the dialog asks
    after a 409): other rooms free then, and this room's nearest free periods."""
    form = ClaimForm(request.GET)
    period = valid_period(form)
    seats = form.cleaned_data.get("attendees") or 1
    found = availability.alternatives(room_id=room_id, teacher=request.user, seats=seats, **period)
    return JsonResponse({"alternatives": alternatives_payload(found)})


# Where a cancellation's error is shown to a form post: My bookings, with the message.
back_to_my_bookings = back_to("bookings:my-bookings")


@require_http_methods(["GET", "POST"])
@teacher_required
@error_page(back_to_my_bookings)
def cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    """GET asks first (the page that works without JavaScript); POST cancels."""
    if request.method == "GET":
        booking = upcoming_booking_for_teacher(request.user, booking_id)
        return _ask_first(request, booking, question=_cancel_question, button=_("Cancel booking"))
    booking = services.booking_cancel(booking_id=booking_id, teacher=request.user)
    if booking.status == Booking.Status.DECLINED:  # declined before the teacher withdrew it
        message = _("This request was declined already: %(room)s")
    elif booking.decide_by is not None and booking.decided_at is None:  # a request, never decided
        message = _("Request withdrawn: %(room)s")
    else:
        message = _("Booking cancelled: %(room)s")
    message %= {"room": booking.room.name}
    return done(request, {"booking": booking_payload(booking)}, message=message)


@require_http_methods(["GET", "POST"])
@teacher_required
def series_cancel(request: HttpRequest, series_id: int) -> HttpResponse:
    if request.method == "GET":
        series = series_for_teacher(request.user, series_id)
        return _ask_first(request, series, question=_series_cancel_question, button=_("Cancel series"))
    cancelled = services.series_cancel(series_id=series_id, teacher=request.user)
    body = {"cancelled": [booking_payload(booking) for booking in cancelled]}
    message = ngettext(
        "Series cancelled: %(count)d upcoming booking",
        "Series cancelled: %(count)d upcoming bookings",
        len(cancelled),
    )
    return done(request, body, message=message % {"count": len(cancelled)})


@require_GET
@teacher_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    upcoming, past = bookings_for_teacher(request.user)
    waiting = waitlist_for_teacher(request.user)
    if wants_json(request):
        return JsonResponse(
            {
                "upcoming": [with_reason(booking) for booking in upcoming],
                "past": [with_reason(booking) for booking in past],
                "waitlist": [waitlist_entry_payload(entry) for entry in waiting],
            }
        )
    context = {
        "upcoming": upcoming_rows(upcoming),
        "past": past,
        "waiting": waiting,
        "calendar_url": calendar_url(request),
    }
    if request.headers.get("X-Fragment") == LIST_FRAGMENT:
        return render(request, "bookings/_bookings_list.html", context)
    return render(request, "bookings/my_bookings.html", context)


def valid_period(form: HoldForm) -> dict:
    """The form's start and end, or an ``INVALID_INPUT`` error naming the fields."""
    if not form.is_valid():
        raise BookingError(INVALID_INPUT, errors=form_errors(form))
    return {"start": form.cleaned_data["start"], "end": form.cleaned_data["end"]}


def _claim_page(
    request: HttpRequest,
    *,
    room,
    form: ClaimForm,
    error: Problem | None = None,
    expires_at=None,
    degraded: bool = False,
    waiting: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    if error is not None:
        add_service_errors(form, error)
    context = {
        "room": room,
        "form": form,
        "error": error,
        "expires_at": expires_at,
        "degraded": degraded,
        "waiting": waiting,
    }
    return render(request, "bookings/claim.html", context, status=status)


def _initial(request: HttpRequest, period: dict) -> dict:
    local = {name: timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") for name, moment in period.items()}
    return {
        **local,
        "attendees": request.POST.get("attendees") or None,
        "purpose": request.POST.get("purpose", ""),
    }


def _ask_first(request: HttpRequest, item, *, question: Callable, button: str) -> HttpResponse:
    """The page asking to confirm a cancellation (the path without JavaScript); its form
    posts to the same URL. Not found when the item is not the teacher's."""
    if item is None:
        return not_found(request)
    return render(request, "bookings/confirm_cancel.html", {"question": question(item), "button": button})


def _cancel_question(booking) -> str:
    when = formats.date_format(timezone.localtime(booking.start), "SLOT_FORMAT")
    question = (
        _("Withdraw your request for %(room)s on %(when)s?")
        if booking.is_requested
        else _("Cancel your booking of %(room)s on %(when)s?")
    )
    return question % {"room": booking.room.name, "when": when}


def _series_cancel_question(series) -> str:
    message = _("Cancel every upcoming date of %(room)s, %(rule)s?")
    return message % {"room": series.room.name, "rule": series.get_rule_display().lower()}


def move_error_page(request: HttpRequest, error: Problem, *, booking_id: int) -> HttpResponse | None:
    """Where a move's error is shown to a form post: the move page again, as posted, with
    the problems on their fields (the not-found page for a booking not to be moved)."""
    booking = movable_booking(request.user, booking_id)
    if booking is None:
        return None
    form = _move_form(request, booking)
    add_service_errors(form, error)
    context = {"form": form, "booking": booking, "error": None if error.errors else error}
    return render(request, "bookings/move.html", context, status=error.status)


@require_http_methods(["GET", "POST"])
@teacher_required
@error_page(move_error_page)
def move(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Change an upcoming booking's room, time, attendees or purpose (one's own; staff
    anyone's). GET: the page with the booking's details to change."""
    booking = movable_booking(request.user, booking_id)
    if booking is None:
        raise BookingError(BOOKING_NOT_FOUND)
    form = _move_form(request, booking)
    if request.method == "GET":
        return render(request, "bookings/move.html", {"form": form, "booking": booking})
    if not form.is_valid():
        raise BookingError(INVALID_INPUT, errors=form_errors(form))
    moved = services.booking_move(booking_id=booking_id, actor=request.user, **form.changes())
    return done(request, {"booking": booking_payload(moved)}, message=moved_message(moved))


def _move_form(request: HttpRequest, booking) -> MoveForm:
    free = availability.rooms_free_between(booking.start, booking.end, teacher=booking.teacher)
    return MoveForm(
        request.POST if request.method == "POST" else None,
        booking=booking,
        initial=_move_initial(booking),
        free_room_ids=set(free.values_list("pk", flat=True)),
    )


def _move_initial(booking) -> dict:
    return {
        "room": booking.room_id,
        "start": timezone.localtime(booking.start).strftime("%Y-%m-%dT%H:%M"),
        "end": timezone.localtime(booking.end).strftime("%Y-%m-%dT%H:%M"),
        "attendees": booking.attendees,
        "purpose": booking.purpose,
        "period": school_calendar().period_label(booking.start, booking.end),
    }
