"""Errors as answers, in one place: a ``BookingError``, "not logged in" and "not found"
become JSON for ``Accept: application/json`` (the pages' ``fetch``) or a page for a
plain form post (no JavaScript)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from .errors import (
    CSRF_FAILED,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    RETRY_AFTER_SECONDS,
    SERVER_ERROR,
    SERVICE_BUSY,
    BookingError,
    database_unavailable,
)
from .serializers import error_payload

logger = logging.getLogger(__name__)


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def error_response(
    request: HttpRequest, error: BookingError, *, page: Callable[[], HttpResponse] | None = None
) -> HttpResponse:
    """JSON with the error's own status; for a page, ``page()`` (the form again with the
    message) or, without one, the not-found page."""
    if wants_json(request):
        response = JsonResponse(error_payload(error), status=error.status)
    elif page is not None:
        response = page()
    elif error.status == 404:
        response = not_found(request)
    else:
        response = render(request, "error.html", {"error": error}, status=error.status)
    if error.status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


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


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's last resort (``handler500``): JSON clients get JSON too."""
    return error_response(request, BookingError(SERVER_ERROR))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: an unknown address, as JSON or as the not-found page."""
    return error_response(request, BookingError(NOT_FOUND))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form or fetch without a valid token (403)."""
    return error_response(request, BookingError(CSRF_FAILED))


class ServiceBusyMiddleware:
    """A database that cannot be reached, or that refuses a statement past its time
    limits (lock, statement, idle transaction, pool checkout), is answered 503
    ``SERVICE_BUSY`` with ``Retry-After``: nothing was written, and trying again later
    will work. Never a 500. (The claim path tells a failed commit apart itself, see
    ``bookings.services``.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unavailable(exception):
            return None
        logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exception)
        return error_response(request, BookingError(SERVICE_BUSY))


class PermissionsPolicyMiddleware:
    """Turns off browser features no page uses (``PERMISSIONS_POLICY``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def server_timing(view):
    """With ``SERVER_TIMING``, say how long the view took (``Server-Timing: app;dur=…``),
    for the benchmarks or an operator's browser tools."""

    @wraps(view)
    def timed(request: HttpRequest, *args, **kwargs):
        if not settings.SERVER_TIMING:
            return view(request, *args, **kwargs)
        started = time.perf_counter()
        response = view(request, *args, **kwargs)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response

    return timed
