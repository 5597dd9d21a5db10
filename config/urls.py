from django.contrib import admin
from django.urls import include, path

from bookings import views as booking_views
from rooms import views as room_views
from teachers import views as teacher_views

urlpatterns = [
    path("", room_views.dashboard, name="dashboard"),
    path("rooms/<int:room_id>/hold/", booking_views.hold, name="room-hold"),
    path("rooms/<int:room_id>/release/", booking_views.release, name="room-release"),
    path("rooms/<int:room_id>/claim/", booking_views.claim, name="room-claim"),
    path("bookings/", booking_views.my_bookings, name="my-bookings"),
    path("bookings/<int:booking_id>/cancel/", booking_views.cancel, name="booking-cancel"),
    path("rooms/<int:room_id>/waitlist/", booking_views.waitlist_join, name="waitlist-join"),
    path("waitlist/<int:entry_id>/leave/", booking_views.waitlist_leave, name="waitlist-leave"),
    path("series/<int:series_id>/cancel/", booking_views.series_cancel, name="series-cancel"),
    path("calendar/link/", booking_views.calendar_link, name="calendar-link"),
    path("calendar/link/revoke/", booking_views.calendar_link_revoke, name="calendar-link-revoke"),
    path("calendar/<str:token>.ics", booking_views.calendar_feed, name="calendar-feed"),
    path("account/notifications/", teacher_views.notification_settings, name="notification-settings"),
    path("analytics/", booking_views.analytics_report, name="analytics"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
