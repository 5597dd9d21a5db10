"""The booking analytics for staff, as a page in the admin's look or as CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config.answers import INVALID_INPUT, Problem

from .. import analytics
from ..forms import AnalyticsForm, form_errors


@require_GET
@staff_member_required
def report(request: HttpRequest) -> HttpResponse:
    asked = "start" in request.GET or "end" in request.GET  # else the default range
    form = AnalyticsForm(request.GET if asked else None)
    start, end = form.period()
    report = analytics.build_report(start, end)
    if request.GET.get("format") == "csv" and form.is_bound and not form.is_valid():
        raise Problem(INVALID_INPUT, errors=form_errors(form))
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="roomclaim-{start}-{end}.csv"'
        analytics.write_csv(report, response)
        return response
    status = 200 if not form.is_bound or form.is_valid() else 400
    context = {
        **admin.site.each_context(request),
        "title": _("Booking analytics"),
        "form": form,
        "report": report,
        "charts": analytics.charts(report),
        "csv_query": urlencode({"start": start, "end": end, "format": "csv"}),
    }
    return render(request, "bookings/analytics.html", context, status=status)
