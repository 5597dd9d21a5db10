"""The private calendar feed, and the link that reaches it."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.answers import done, teacher_required

from .. import calendar
from ..calendar import calendar_url
from ..selectors import teacher_for_calendar_token


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed; the token in the URL is the only key, so it is long and revocable."""
    teacher = teacher_for_calendar_token(token)
    if teacher is None:
        raise Http404
    response = HttpResponse(
        calendar.feed(teacher, host=request.get_host()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="roomclaim.ics"'
    return response


@require_POST
@teacher_required
def link(request: HttpRequest) -> HttpResponse:
    calendar.rotate_token(request.user)
    message = _("Your private calendar link is ready; any older link no longer works.")
    return done(request, {"url": calendar_url(request)}, message=message)


@require_POST
@teacher_required
def revoke(request: HttpRequest) -> HttpResponse:
    calendar.revoke_token(request.user)
    return done(request, {"url": None}, message=_("Your calendar link no longer works."))
