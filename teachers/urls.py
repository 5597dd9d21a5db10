from django.urls import path

from . import views

app_name = "teachers"

urlpatterns = [
    path("account/notifications/", views.notification_settings, name="notification-settings"),
    path("account/me/", views.me, name="me"),
    path("account/language/", views.language, name="language"),
    path("account/tokens/", views.access_tokens, name="access-tokens"),
    path("account/tokens/<str:prefix>/revoke/", views.revoke_access_token, name="access-token-revoke"),
]
