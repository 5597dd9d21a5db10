"""Access rules shared by every teacher-facing view."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, JsonResponse


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def teacher_required(view):
    """Logged-in, active teachers only: pages redirect to log in, JSON gets a 401."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_active:
            return view(request, *args, **kwargs)
        if wants_json(request):
            return JsonResponse({"code": "NOT_AUTHENTICATED", "message": "Log in to continue."}, status=401)
        return redirect_to_login(request.get_full_path())

    return guarded
