from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from bookings.availability import (
    own_bookings_between,
    rooms_closed_between,
    rooms_free_between,
    rooms_offered_to_others,
    rooms_taken_between,
)
from bookings.rules import from_now, limits_for
from bookings.timetable import week_grid
from config.answers import Problem, server_timing, teacher_required

from .forms import RoomWeekForm, SearchForm
from .models import Room

RESULTS_FRAGMENT = "search-results"
# The best fits are what a teacher needs; a school with hundreds of free rooms gets the
# first ones and a hint to narrow the search, not a page of hundreds of cards.
RESULTS_SHOWN = 30


@require_GET
@teacher_required
@server_timing
def dashboard(request: HttpRequest) -> HttpResponse:
    """Search form and the free rooms, best fit first.

    ``X-Fragment: search-results`` answers with the results region alone, which the live
    refresh swaps into the page.
    """
    form = SearchForm.for_query(request.GET)
    context = {"form": form, "rooms": None, "more": False, "search": None, "taken": [], "unavailable": []}
    if form.is_valid():
        context.update(_results(form, teacher=request.user))
    status = 200 if form.is_valid() else 400
    template = (
        "rooms/_results.html"
        if request.headers.get("X-Fragment") == RESULTS_FRAGMENT
        else "rooms/dashboard.html"
    )
    return render(request, template, context, status=status)


def _results(form: SearchForm, *, teacher) -> dict:
    """The free rooms (best fits first), and the taken ones a teacher could wait for."""
    # A period under way: the rooms free for the rest of it, from now.
    end = form.cleaned_data["period_end"]
    period = from_now(form.cleaned_data["period_start"], end), end
    search = form.summary()
    building = form.cleaned_data.get("building")
    wants = {"seats": search["seats"], "features": list(form.cleaned_data["feature"])}
    found = rooms_free_between(*period, **wants, teacher=teacher)
    if building is not None:
        found = found.filter(building=building)
    rooms = list(found[: RESULTS_SHOWN + 1])
    rooms, more = rooms[:RESULTS_SHOWN], len(rooms) > RESULTS_SHOWN
    # A link to one room (a waitlist offer's "Claim it") shows it first, and the page
    # opens its dialog.
    wanted = form.cleaned_data["room"]
    if wanted is not None:
        pinned = [room for room in rooms if room.pk == wanted] or list(found.filter(pk=wanted))
        rooms = pinned + [room for room in rooms if room.pk != wanted][: RESULTS_SHOWN - len(pinned)]
        search["open_room"] = wanted if pinned else None
    unbookable = rooms_closed_between(
        *period, **wants, teacher=teacher, building_id=building.pk if building else None
    )
    taken = rooms_taken_between(*period, **wants)
    if building is not None:  # the short list below the results, of that building only
        taken = [room for room in taken if room.building_id == building.pk]
    return {
        "rooms": rooms,
        "more": more,
        "search": search,
        "taken": taken,
        "own": own_bookings_between(teacher, *period),
        "offered": rooms_offered_to_others(teacher, *period, seats=search["seats"]),
        "school_closed": unbookable.school_closed,
        "unavailable": unbookable.rooms,
        "unavailable_more": unbookable.more,
        "unavailable_by_reason": _by_reason(unbookable.rooms),
    }


def _by_reason(rooms: list) -> list[tuple[str, list]]:
    """Closed rooms grouped by why (a building's hours close all its rooms at once)."""
    groups: dict[str, list] = {}
    for room in rooms:
        groups.setdefault(room.closed_reason, []).append(room)
    return list(groups.items())


ROOM_FRAGMENT = "timetable"


@require_GET
@teacher_required
def room(request: HttpRequest, room_id: int) -> HttpResponse:
    """A room: where it is, what it has, notes, and its week as a timetable."""
    room = get_object_or_404(
        Room.objects.select_related("building").prefetch_related("features"), pk=room_id, is_active=True
    )
    week = RoomWeekForm(request.GET)
    if not week.is_valid():
        raise Problem.invalid("week", week.errors["week"][0])
    day = week.cleaned_data["week"] or timezone.localdate()
    monday = day - timedelta(days=day.weekday())
    context = {
        "room": room,
        "limits": limits_for(request.user, room.pk),
        "grid": week_grid(room, monday, teacher=request.user),
        "monday": monday,
        "weeks": {"previous": monday - timedelta(weeks=1), "next": monday + timedelta(weeks=1)},
        "day": monday,
        "week_end": monday + timedelta(days=6),
    }
    template = (
        "rooms/_room_week.html" if request.headers.get("X-Fragment") == ROOM_FRAGMENT else "rooms/room.html"
    )
    return render(request, template, context)
