"""Errors as answers, in one place: a ``BookingError``, "not logged in" and "not found"
become JSON for ``Accept: application/json`` (the pages' ``fetch``) or a page for a
plain form post (no JavaScript)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from .errors import NOT_AUTHENTICATED, BookingError
from .serializers import error_payload


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def error_response(
    request: HttpRequest, error: BookingError, *, page: Callable[[], HttpResponse] | None = None
) -> HttpResponse:
    """JSON with the error's own status; for a page, ``page()`` (the form again with the
    message) or, without one, the not-found page."""
    if wants_json(request):
        return JsonResponse(error_payload(error), status=error.status)
    if page is None:
        return not_found(request)
    return page()


def done(request: HttpRequest, body: dict, *, message: str, status: int = 200) -> HttpResponse:
    """A change that worked: JSON with ``body`` and the ``message`` the page shows, or, for
    a form post, My bookings with the message (303)."""
    if wants_json(request):
        return JsonResponse({**body, "message": message}, status=status)
    messages.success(request, message)
    return see_other("bookings:my-bookings")


def not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "404.html", status=404)


def see_other(name: str, *args) -> HttpResponse:
    """303 to a named page: the answer to a form post that worked."""
    response = redirect(name, *args)
    response.status_code = 303
    return response


def teacher_required(view):
    """Logged-in, active teachers only: pages redirect to log in, JSON gets a 401."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_active:
            return view(request, *args, **kwargs)
        if wants_json(request):
            return error_response(request, BookingError(NOT_AUTHENTICATED))
        return redirect_to_login(request.get_full_path())

    return guarded
