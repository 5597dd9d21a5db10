"""The day's timetable: rooms down the side, periods (or hours) across, live."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from config.answers import server_timing, teacher_required
from rooms.schoolcalendar import calendar

from ..forms import TimetableForm
from ..models import claim_path
from ..timetable import day_grid

GRID_FRAGMENT = "timetable"


@require_GET
@teacher_required
@server_timing
def timetable(request: HttpRequest) -> HttpResponse:
    """The grid; a cell's button without JavaScript (``claim`` or ``wait``) goes on to
    the search for that room and period, which opens its dialog or offers the waitlist."""
    if chosen := request.GET.get("claim") or request.GET.get("wait"):
        return _go_to_cell(chosen, pinned="claim" in request.GET)
    query = request.GET.copy()
    if not query.get("date"):  # today's grid shows today in its date field
        query["date"] = timezone.localdate().isoformat()
    form = TimetableForm(query)
    valid = form.is_valid()
    day = form.day()
    building = form.cleaned_data.get("building") if valid else None
    grid = day_grid(day, teacher=request.user, building_id=building.pk if building else None)
    context = {
        "form": form,
        "day": day,
        "building": building,
        "grid": grid,
        "closed": calendar().school_closed_reason(day),
        "days": {
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
            "today": timezone.localdate(),
        },
    }
    template = (
        "bookings/_timetable_grid.html"
        if request.headers.get("X-Fragment") == GRID_FRAGMENT
        else "bookings/timetable.html"
    )
    return render(request, template, context, status=200 if valid else 400)


def _go_to_cell(value: str, *, pinned: bool) -> HttpResponse:
    """``<room id>|<start>|<end>`` (ISO local times) to the search for that period."""
    try:
        room_id, start, end = value.split("|")
        begins, ends = (timezone.make_aware(datetime.fromisoformat(moment)) for moment in (start, end))
        target = claim_path(int(room_id), begins, ends)
    except (ValueError, TypeError):
        return redirect("bookings:timetable")
    # Waiting: the search for the period, which lists the taken room with "Join waitlist".
    return redirect(target if pinned else target.rsplit("&room=", 1)[0])
