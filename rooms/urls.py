from django.urls import path

from . import views

app_name = "rooms"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rooms/<int:room_id>/", views.room, name="room"),
]
