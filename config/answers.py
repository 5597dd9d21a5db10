"""Answers: what every app's views share. Errors become answers here and nowhere else.

A view raises a ``Problem`` (``bookings.errors.BookingError`` is one) or lets a database
that is out of reach fail; ``ProblemMiddleware`` answers it: JSON with the error's own
status for ``Accept: application/json`` (the pages' ``fetch``), else the page the view
named with ``@error_page`` (its form again, with the message), else the error page.
Django's own refusals (404, 500, CSRF) come through the same ``error_response``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import InterfaceError, InternalError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from psycopg.errors import IdleInTransactionSessionTimeout, TransactionTimeout

logger = logging.getLogger(__name__)

INVALID_INPUT = "INVALID_INPUT"
NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
NOT_FOUND = "NOT_FOUND"
CSRF_FAILED = "CSRF_FAILED"
SERVICE_BUSY = "SERVICE_BUSY"
SERVER_ERROR = "SERVER_ERROR"

# How long a client should wait before trying again after a 503.
RETRY_AFTER_SECONDS = 2


@dataclass
class Problem(Exception):
    """An error a user is told about: a stable ``code`` (never translated), a message in
    the request's language, and for ``INVALID_INPUT`` the problems by field."""

    code: str
    message: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    retry_after: int | None = None  # seconds, for a 429: when trying again will work

    # In the language of the request that met the error; the codes never change.
    MESSAGES: ClassVar[dict[str, Any]] = {
        INVALID_INPUT: gettext_lazy("Please correct the highlighted fields"),
        NOT_AUTHENTICATED: gettext_lazy("Log in to continue."),
        NOT_FOUND: gettext_lazy("Not found"),
        CSRF_FAILED: gettext_lazy("Your page is out of date; reload it and try again"),
        SERVICE_BUSY: gettext_lazy("Booking is briefly unavailable, please try again"),
        SERVER_ERROR: gettext_lazy("Something went wrong and nothing was booked; please try again"),
    }
    STATUS: ClassVar[dict[str, int]] = {
        INVALID_INPUT: 400,
        NOT_AUTHENTICATED: 401,
        NOT_FOUND: 404,
        CSRF_FAILED: 403,
        SERVICE_BUSY: 503,
        SERVER_ERROR: 500,
    }

    def __post_init__(self) -> None:
        self.message = self.message or str(self.MESSAGES[self.code])
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return self.STATUS[self.code]

    @classmethod
    def invalid(cls, field_name: str, message: str):
        return cls(INVALID_INPUT, errors={field_name: [message]})

    def body(self) -> dict[str, Any]:
        """The JSON of the answer: code and message, and the fields' problems."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.code == INVALID_INPUT:
            body["errors"] = self.errors
        return body


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database could not be reached or refused in time (a
    lock, a statement, an idle transaction ended, no pooled connection free): a 503 and
    nothing written, not a bug."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    timed_out = (IdleInTransactionSessionTimeout, TransactionTimeout)
    return isinstance(error, InternalError) and isinstance(error.__cause__, timed_out)


# Everything under it answers JSON, whatever the client's ``Accept`` (bookings.api).
API_PREFIX = "/api/"


def answers_json(path: str, accept: str) -> bool:
    """Whether an answer to ``path`` is JSON: under the API always, elsewhere when the
    client's ``Accept`` asks for it. Also read before Django, by ``config.overload``."""
    return path.startswith(API_PREFIX) or "application/json" in accept


def wants_json(request: HttpRequest) -> bool:
    return answers_json(request.path_info, request.headers.get("Accept", ""))


# A view's error page: (request, problem, **the view's URL arguments) -> the page, or None
# for the plain error page.
ErrorPage = Callable[..., HttpResponse | None]


def error_page(page: ErrorPage):
    """Name the page on which a view's ``Problem`` is shown to a form post (JSON clients
    get JSON): usually the view's own form again, with the problem's messages."""

    def mark(view):
        view.error_page = page
        return view

    return mark


def back_to(name: str) -> ErrorPage:
    """An error page that goes back to the page named ``name`` (a URL name) with the
    problem's messages; a 404 gets the not-found page (what is not one's own is not
    shown as existing)."""

    def page(request: HttpRequest, error: Problem, **kwargs) -> HttpResponse | None:
        if error.status == 404:
            return None
        problems = [problem for field_problems in error.errors.values() for problem in field_problems]
        messages.error(request, " ".join(problems) or error.message)
        return see_other(name)

    return page


def error_response(
    request: HttpRequest, problem: Problem, *, page: ErrorPage | None = None, **kwargs
) -> HttpResponse:
    """The one mapping from a problem to an answer: JSON with the problem's status (to a
    client that asks for JSON, and always under the API); for a page,
    ``page(request, problem, **kwargs)`` or the error page (the not-found page for a 404)."""
    response = None
    if wants_json(request):
        response = JsonResponse(problem.body(), status=problem.status)
    elif page is not None:
        response = page(request, problem, **kwargs)
    if response is None:
        template = "404.html" if problem.status == 404 else "error.html"
        response = render(request, template, {"error": problem}, status=problem.status)
    if problem.status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    elif problem.retry_after:
        response["Retry-After"] = str(problem.retry_after)
    return response


class ProblemMiddleware:
    """Answers what a view raised: a ``Problem`` as ``error_response`` does, on the page the
    view named (``@error_page``); a database that cannot be reached, or that refuses a
    statement past its time limits (lock, statement, idle transaction, pool checkout), as
    503 ``SERVICE_BUSY`` with ``Retry-After``: nothing was written, and trying again later
    will work. Never a 500. (A write tells a failed COMMIT apart itself, see
    ``bookings.services.guard``.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if database_unavailable(exception):
            logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exception)
            return error_response(request, Problem(SERVICE_BUSY))
        if not isinstance(exception, Problem):
            return None
        match = request.resolver_match
        page = getattr(match.func, "error_page", None) if match else None
        return error_response(request, exception, page=page, **(match.kwargs if match else {}))


def done(
    request: HttpRequest, body: dict, *, message: str, status: int = 200, page: str = "bookings:my-bookings"
) -> HttpResponse:
    """A change that worked: JSON with ``body`` and the ``message`` the page shows, or, for
    a form post, ``page`` (a URL name or a path; My bookings) with the message (303)."""
    if wants_json(request):
        return JsonResponse({**body, "message": message}, status=status)
    messages.success(request, message)
    return see_other(page)


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
            return error_response(request, Problem(NOT_AUTHENTICATED))
        return redirect_to_login(request.get_full_path())

    return guarded


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's last resort (``handler500``): JSON clients get JSON too."""
    return error_response(request, Problem(SERVER_ERROR))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: an unknown address, as JSON or as the not-found page."""
    return error_response(request, Problem(NOT_FOUND))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form or fetch without a valid token (403)."""
    return error_response(request, Problem(CSRF_FAILED))


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
