from django.contrib import admin
from django.urls import include, path

from bookings import views as booking_views
from rooms import views as room_views

urlpatterns = [
    path("", room_views.dashboard, name="dashboard"),
    path("rooms/<int:room_id>/hold/", booking_views.hold, name="room-hold"),
    path("rooms/<int:room_id>/release/", booking_views.release, name="room-release"),
    path("rooms/<int:room_id>/claim/", booking_views.claim, name="room-claim"),
    path("bookings/", booking_views.my_bookings, name="my-bookings"),
    path("bookings/<int:booking_id>/cancel/", booking_views.cancel, name="booking-cancel"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
