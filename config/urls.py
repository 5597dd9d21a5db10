from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog

from bookings.api import api
from bookings.forms import OutboxPasswordResetForm
from config import health, pages
from teachers.views import LoginView, PasswordResetView

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("accessibility/", pages.accessibility, name="accessibility"),
    # Browsers ask for /favicon.ico on pages that name none (the admin's, Django's own).
    path("favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("", include("rooms.urls")),
    path("", include("bookings.urls")),
    path("", include("teachers.urls")),
    # Django's own log in, log out and password pages (their names are not namespaced);
    # log in and password reset with limits on tries.
    path("accounts/login/", LoginView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        PasswordResetView.as_view(form_class=OutboxPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # The API for a school's other systems, with personal access tokens (docs/api.md).
    path("api/v1/", api.urls),
    # The words the page scripts write, in the page's language (static/js/i18n.js). The
    # pages ask for it with their language in the query, so a cached copy never answers
    # for another language.
    path(
        "jsi18n/",
        cache_control(max_age=3600, private=True)(JavaScriptCatalog.as_view()),
        name="javascript-catalog",
    ),
]

# JSON clients get JSON from Django's own error answers too.
handler404 = "config.answers.page_not_found"
handler500 = "config.answers.server_error"
