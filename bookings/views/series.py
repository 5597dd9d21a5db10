"""Changing a series from one of its dates (this date, this and the following, all
upcoming), with a preview first; its last day; cancelling this and the following."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from config.answers import Problem, done, error_page, teacher_required, wants_json

from .. import services
from ..errors import BOOKING_NOT_FOUND, INVALID_INPUT, BookingError
from ..forms import SeriesChangeForm, SeriesUntilForm, add_service_errors, form_errors
from ..models import Series
from ..serializers import booking_payload, series_date_payload, skipped_in_words


def _series(request: HttpRequest, series_id: int) -> Series:
    """The teacher's own series, or anyone's for staff, for the page (the services check
    the same for every change they make)."""
    series = Series.objects.select_related("room", "teacher").filter(pk=series_id).first()
    if series is None or not (request.user.is_staff or series.teacher_id == request.user.pk):
        raise BookingError(BOOKING_NOT_FOUND, _("Series not found"))
    return series


def _page(request: HttpRequest, series: Series, form: SeriesChangeForm, *, plan=None, status: int = 200):
    upcoming = list(series.bookings.filter(end__gt=timezone.now()).select_related("room").order_by("start"))
    context = {"series": series, "form": form, "plan": plan, "upcoming": upcoming, "until": SeriesUntilForm()}
    return render(request, "bookings/series_change.html", context, status=status)


def change_error_page(request: HttpRequest, error: Problem, *, series_id: int) -> HttpResponse | None:
    """A change refused (a date taken, a bad field): the form again, as posted."""
    series = Series.objects.select_related("room", "teacher").filter(pk=series_id).first()
    if series is None or error.status == 404:
        return None
    form = SeriesChangeForm(request.POST)
    add_service_errors(form, error)
    return _page(request, series, form, status=error.status)


@require_http_methods(["GET", "POST"])
@teacher_required
@error_page(change_error_page)
def change(request: HttpRequest, series_id: int) -> HttpResponse:
    """GET: the form, from the date asked for (``date``). POST with ``preview``: what the
    change would do, date by date, and a button to confirm; without: the change."""
    if request.method == "GET":
        series = _series(request, series_id)
        first = series.bookings.filter(end__gt=timezone.now(), status="confirmed").order_by("start").first()
        date = request.GET.get("date") or (first.pk if first else "")
        return _page(request, series, SeriesChangeForm(initial={"date": date}))
    form = SeriesChangeForm(request.POST)
    if not form.is_valid():
        raise BookingError(INVALID_INPUT, errors=form_errors(form))
    options = {
        "series_id": series_id,
        "actor": request.user,
        "date_id": form.cleaned_data["date"],
        "scope": services.Scope(form.cleaned_data["scope"]),
        "edit": form.edit(),
        "reset": form.cleaned_data["reset"],
    }
    if "preview" in request.POST:
        plan = services.series_preview(**options)
        if wants_json(request):
            return JsonResponse({"preview": [series_date_payload(date_plan) for date_plan in plan.dates]})
        return _page(request, plan.series, form, plan=plan)
    plan = services.series_change(**options, free_dates_only=form.cleaned_data["free_dates_only"])
    moved = plan.of(services.DateState.MOVES) + plan.of(services.DateState.STAYS)
    message = ngettext("Series changed: %(count)d date", "Series changed: %(count)d dates", len(moved)) % {
        "count": len(moved)
    }
    body = {"seriesId": plan.series.pk, "dates": [series_date_payload(date_plan) for date_plan in plan.dates]}
    return done(request, body, message=message)


@require_POST
@teacher_required
def until(request: HttpRequest, series_id: int) -> HttpResponse:
    """Move the series' last day: later adds dates as its last one, earlier cancels those
    after it (the dates changed by themselves stay)."""
    form = SeriesUntilForm(request.POST)
    if not form.is_valid():
        raise BookingError(INVALID_INPUT, errors=form_errors(form))
    made = services.series_until(
        series_id=series_id,
        actor=request.user,
        until=form.cleaned_data["until"],
        free_dates_only=form.cleaned_data["free_dates_only"],
    )
    if made.bookings and made.bookings[0].is_confirmed:  # dates added, not cancelled
        message = ngettext(
            "Series extended: %(count)d date", "Series extended: %(count)d dates", len(made.bookings)
        )
        message = message % {"count": len(made.bookings)} + skipped_in_words(made.skipped)
    else:
        message = ngettext(
            "Series shortened: %(count)d date cancelled",
            "Series shortened: %(count)d dates cancelled",
            len(made.bookings),
        ) % {"count": len(made.bookings)}
    body = {
        "seriesId": series_id,
        "until": made.series.until.isoformat(),
        "bookings": [booking_payload(b) for b in made.bookings],
    }
    return done(request, body, message=message)


@require_POST
@teacher_required
def cancel_following(request: HttpRequest, series_id: int) -> HttpResponse:
    """Cancel this date and the following ones: the series ends the day before."""
    date_id = request.POST.get("date", "")
    if not date_id.isdigit():
        raise BookingError.invalid("date", _("Choose an upcoming date of the series."))
    cancelled = services.series_cancel_following(
        series_id=series_id, actor=request.user, date_id=int(date_id)
    )
    message = ngettext(
        "Series cancelled from this date: %(count)d date",
        "Series cancelled from this date: %(count)d dates",
        len(cancelled),
    ) % {"count": len(cancelled)}
    return done(request, {"cancelled": [booking_payload(b) for b in cancelled]}, message=message)
