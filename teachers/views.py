"""The teacher's account: logging in (with limits), password reset (with limits), email
notification settings, and personal access tokens for the API."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import signals
from django.contrib.auth import views as auth_views
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.addresses import client_address
from config.answers import INVALID_INPUT, NOT_FOUND, Problem, see_other, teacher_required

from . import throttle, tokens
from .forms import AccessTokenForm, LanguageForm, NotificationSettingsForm


def locked_out(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer for a locked account (``AXES_LOCKOUT_CALLABLE``): 429, in words."""
    message = _(
        "Too many failed logins for this account. Please wait %(minutes)s minutes and try again, "
        "or ask your school's admin to unlock it."
    ) % {"minutes": settings.LOGIN_LOCKOUT_MINUTES}
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


class LoginView(auth_views.LoginView):
    """Django's login; axes locks an account after repeated failures, and this refuses an
    address that keeps failing (429) before the password is even checked."""

    def post(self, request, *args, **kwargs):
        if throttle.exceeded(throttle.LOGIN_FAILED, client_address(request)):
            return render(
                request,
                "registration/locked_out.html",
                {
                    "message": _(
                        "Too many failed logins from your network. Please wait a few minutes and try again."
                    )
                },
                status=429,
            )
        return super().post(request, *args, **kwargs)


@receiver(signals.user_login_failed)
def count_failed_login(sender, credentials, request=None, **kwargs):
    if request is not None:
        throttle.record(throttle.LOGIN_FAILED, client_address(request))


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by email, at most a few requests an hour per account and per address.
    The answer does not say whether the address belongs to anyone. (The project's URLs
    give it the form that sends the mail through the outbox.)"""

    def form_valid(self, form):
        email = form.cleaned_data["email"].lower()
        where = client_address(self.request)
        if throttle.exceeded(throttle.RESET_ACCOUNT, email) or throttle.exceeded(
            throttle.RESET_ADDRESS, where
        ):
            form.add_error(
                None, _("Too many password reset requests. Please wait an hour, or ask your school's admin.")
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        throttle.record(throttle.RESET_ACCOUNT, email)
        throttle.record(throttle.RESET_ADDRESS, where)
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
@teacher_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    form = NotificationSettingsForm(request.POST or None, instance=request.user)
    # Members of a group that approves a room's bookings choose how they hear of requests.
    context = {"form": form, "approves": request.user.groups.filter(approves_rules__isnull=False).exists()}
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Notification settings saved."))
            return redirect("teachers:notification-settings")
        return render(request, "teachers/notifications.html", context, status=400)
    return render(request, "teachers/notifications.html", context)


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Choose the language of pages: a teacher's choice is kept with their account (so it
    follows them to any device, and their emails use it); anyone's is kept in the language
    cookie. Then back to the page they were on."""
    teacher = request.user.is_authenticated
    form = LanguageForm(request.POST, teacher=teacher)
    if not form.is_valid():
        problem = _("Choose one of the languages listed")
        message = _("Language: %(problem)s") % {"problem": problem}
        raise Problem(INVALID_INPUT, message, errors={"language": [problem]})
    chosen = form.cleaned_data["language"]
    if teacher:
        request.user.language = chosen
        request.user.save(update_fields=["language"])
    back = form.cleaned_data["next"]
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        back = "/"
    response = redirect(back)
    if chosen:
        translation.activate(chosen)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            chosen,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=request.is_secure(),
        )
        messages.success(request, _("Language saved."))
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        messages.success(request, _("Pages now follow your browser's language."))
    return response


@require_GET
@teacher_required
def me(request: HttpRequest) -> HttpResponse:
    """Who is logged in (for scripts). It reads nothing beyond the session and the user, so
    the benchmarks use it as the floor: what any authenticated request costs."""
    teacher = request.user
    return JsonResponse(
        {"id": teacher.pk, "username": teacher.username, "name": teacher.name, "isStaff": teacher.is_staff}
    )


@require_http_methods(["GET", "POST"])
@teacher_required
def access_tokens(request: HttpRequest) -> HttpResponse:
    """The teacher's personal access tokens for the API: made here (the token is shown on
    the answer to that post, once), listed with when each was last used, revoked."""
    form = AccessTokenForm(request.POST or None)
    made = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _row, made = tokens.make(request.user, **form.cleaned_data)
            form = AccessTokenForm()
        else:
            status = 400
    context = {
        "form": form,
        "made": made,
        "tokens": request.user.access_tokens.all(),
        "now": timezone.now(),
        "api_requests_per_minute": settings.API_REQUESTS_PER_MINUTE,
    }
    return render(request, "teachers/tokens.html", context, status=status)


@require_POST
@teacher_required
def revoke_access_token(request: HttpRequest, prefix: str) -> HttpResponse:
    row = request.user.access_tokens.filter(prefix=prefix).first()
    if row is None:  # someone else's token is not shown as existing
        raise Problem(NOT_FOUND)
    tokens.revoke(row)
    messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": row.name})
    return see_other("teachers:access-tokens")
