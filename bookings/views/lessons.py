"""My timetable: the teacher's lessons of the coming weeks, each date with "Give the room
back" (a class away) or, once given back, "Take it back"."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.answers import back_to, done, error_page, teacher_required, wants_json

from .. import services
from ..errors import INVALID_INPUT, BookingError
from ..forms import LessonDatesForm, LessonReleaseForm, form_errors
from ..selectors import LESSON_DAYS_SHOWN, lesson_dates_for_teacher
from ..serializers import freed_message, lesson_date_payload


@require_GET
@teacher_required
def my_timetable(request: HttpRequest) -> HttpResponse:
    """Two weeks of the teacher's lessons from today (or ``start``), and a link to the next."""
    shown = LessonDatesForm(request.GET)
    if not shown.is_valid():
        raise BookingError(INVALID_INPUT, errors=form_errors(shown))
    first = max(shown.cleaned_data["start"] or timezone.localdate(), timezone.localdate())
    dates = list(lesson_dates_for_teacher(request.user, first=first))
    if wants_json(request):
        return JsonResponse({"lessons": [lesson_date_payload(lesson_date) for lesson_date in dates]})
    days = [
        (formats.date_format(day, "WEEKDAY_MONTH_FORMAT"), list(on_day))
        for day, on_day in groupby(dates, key=lambda d: timezone.localtime(d.start).date())
    ]
    later = (first + timedelta(days=LESSON_DAYS_SHOWN)).isoformat()
    return render(request, "bookings/my_timetable.html", {"days": days, "later": later, "first": first})


# Where a release's error is shown to a form post: My timetable, with the message.
back_to_my_timetable = back_to("bookings:my-timetable")


@require_POST
@teacher_required
@error_page(back_to_my_timetable)
def release(request: HttpRequest, date_id: int) -> HttpResponse:
    """Give a lesson's room back for its date (and, with ``until``, the same lesson's later
    dates): the room is free for others at once."""
    form = LessonReleaseForm(request.POST)
    if not form.is_valid():
        raise BookingError(INVALID_INPUT, errors=form_errors(form))
    freed = services.lesson_release(
        date_id=date_id,
        teacher=request.user,
        reason=form.cleaned_data["reason"],
        until=form.cleaned_data["until"],
    )
    # None freed: given back already (asking twice is harmless).
    body = {"freed": [lesson_date_payload(lesson_date) for lesson_date in freed]}
    return done(
        request, body, message=freed_message(freed), page=_timetable_from(freed[0] if freed else None)
    )


@require_POST
@teacher_required
@error_page(back_to_my_timetable)
def restore(request: HttpRequest, date_id: int) -> HttpResponse:
    """Take a given-back room back, while nobody has booked it."""
    lesson_date = services.lesson_restore(date_id=date_id, teacher=request.user)
    message = _("The room is yours again: %(room)s") % {"room": lesson_date.room.name}
    body = {"lesson": lesson_date_payload(lesson_date)}
    return done(request, body, message=message, page=_timetable_from(lesson_date))


def _timetable_from(lesson_date) -> str:
    """My timetable, from the day of the lesson date a form post changed (it shows it)."""
    page = reverse("bookings:my-timetable")
    return f"{page}?start={timezone.localtime(lesson_date.start).date().isoformat()}" if lesson_date else page
