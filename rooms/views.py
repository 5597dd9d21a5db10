import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from bookings.availability import rooms_closed_between, rooms_free_between, rooms_taken_between
from bookings.responses import teacher_required

from .forms import SearchForm

RESULTS_FRAGMENT = "search-results"
# The best fits are what a teacher needs; a school with hundreds of free rooms gets the
# first ones and a hint to narrow the search, not a page of hundreds of cards.
RESULTS_SHOWN = 30


@require_GET
@teacher_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Search form and the free rooms, best fit first.

    ``X-Fragment: search-results`` answers with the results region alone, which the live
    refresh swaps into the page.
    """
    started = time.perf_counter()
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
    response = render(request, template, context, status=status)
    if settings.SERVER_TIMING:  # for the benchmarks, or an operator's dev tools
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response


def _results(form: SearchForm, *, teacher) -> dict:
    """The free rooms (best fits first), and the taken ones a teacher could wait for."""
    period = form.cleaned_data["period_start"], form.cleaned_data["period_end"]
    search = form.summary()
    wants = {"seats": search["seats"], "features": list(form.cleaned_data["feature"])}
    found = rooms_free_between(*period, **wants, teacher=teacher)
    rooms = list(found[: RESULTS_SHOWN + 1])
    rooms, more = rooms[:RESULTS_SHOWN], len(rooms) > RESULTS_SHOWN
    # A link to one room (a waitlist offer's "Claim it") shows it first, and the page
    # opens its dialog.
    wanted = form.cleaned_data["room"]
    if wanted is not None:
        pinned = [room for room in rooms if room.pk == wanted] or list(found.filter(pk=wanted))
        rooms = pinned + [room for room in rooms if room.pk != wanted][: RESULTS_SHOWN - len(pinned)]
        search["open_room"] = wanted if pinned else None
    school_closed, unavailable = rooms_closed_between(*period, **wants, teacher=teacher)
    return {
        "rooms": rooms,
        "more": more,
        "search": search,
        "taken": rooms_taken_between(*period, **wants),
        "school_closed": school_closed,
        "unavailable": unavailable,
        "unavailable_by_reason": _by_reason(unavailable),
    }


def _by_reason(rooms: list) -> list[tuple[str, list]]:
    """Closed rooms grouped by why (a building's hours close all its rooms at once)."""
    groups: dict[str, list] = {}
    for room in rooms:
        groups.setdefault(room.closed_reason, []).append(room)
    return list(groups.items())
