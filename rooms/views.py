from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teachers.decorators import teacher_required

from .forms import SearchForm
from .selectors import rooms_free_between

RESULTS_FRAGMENT = "search-results"


@require_GET
@teacher_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Search form and the free rooms, best fit first.

    ``X-Fragment: search-results`` answers with the results region alone, which the live
    refresh swaps into the page.
    """
    form = SearchForm.for_query(request.GET)
    rooms = None
    if form.is_valid():
        rooms = rooms_free_between(
            form.cleaned_data["period_start"],
            form.cleaned_data["period_end"],
            seats=form.cleaned_data["capacity"],
            features=list(form.cleaned_data["feature"]),
        )
    context = {"form": form, "rooms": rooms}
    status = 200 if form.is_valid() else 400
    if request.headers.get("X-Fragment") == RESULTS_FRAGMENT:
        return render(request, "rooms/_results.html", context, status=status)
    return render(request, "rooms/dashboard.html", context, status=status)
