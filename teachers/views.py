"""The teacher's account: logging in (with limits), password reset (with limits), and
email notification settings."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import signals
from django.contrib.auth import views as auth_views
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from bookings.responses import teacher_required

from . import throttle
from .forms import NotificationSettingsForm

TOO_MANY_LOGINS = "Too many failed logins from your network. Please wait a few minutes and try again."
TOO_MANY_RESETS = "Too many password reset requests. Please wait an hour, or ask your school's admin."


def locked_out(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer for a locked account (``AXES_LOCKOUT_CALLABLE``): 429, in words."""
    message = (
        f"Too many failed logins for this account. Please wait {settings.LOGIN_LOCKOUT_MINUTES} minutes "
        "and try again, or ask your school's admin to unlock it."
    )
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


class LoginView(auth_views.LoginView):
    """Django's login; axes locks an account after repeated failures, and this refuses an
    address that keeps failing (429) before the password is even checked."""

    def post(self, request, *args, **kwargs):
        if throttle.exceeded(throttle.LOGIN_FAILED, throttle.address(request)):
            return render(request, "registration/locked_out.html", {"message": TOO_MANY_LOGINS}, status=429)
        return super().post(request, *args, **kwargs)


@receiver(signals.user_login_failed)
def count_failed_login(sender, credentials, request=None, **kwargs):
    if request is not None:
        throttle.record(throttle.LOGIN_FAILED, throttle.address(request))


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by email, at most a few requests an hour per account and per address.
    The answer does not say whether the address belongs to anyone."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].lower()
        where = throttle.address(self.request)
        if throttle.exceeded(throttle.RESET_ACCOUNT, email) or throttle.exceeded(
            throttle.RESET_ADDRESS, where
        ):
            form.add_error(None, TOO_MANY_RESETS)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        throttle.record(throttle.RESET_ACCOUNT, email)
        throttle.record(throttle.RESET_ADDRESS, where)
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
@teacher_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    form = NotificationSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Notification settings saved.")
            return redirect("teachers:notification-settings")
        return render(request, "teachers/notifications.html", {"form": form}, status=400)
    return render(request, "teachers/notifications.html", {"form": form})


@require_GET
@teacher_required
def me(request: HttpRequest) -> HttpResponse:
    """Who is logged in (for scripts). It reads nothing beyond the session and the user, so
    the benchmarks use it as the floor: what any authenticated request costs."""
    teacher = request.user
    return JsonResponse(
        {"id": teacher.pk, "username": teacher.username, "name": teacher.name, "isStaff": teacher.is_staff}
    )
