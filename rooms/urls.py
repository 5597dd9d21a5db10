from django.urls import path

from config import ids  # noqa: F401  (registers <id:…>)

from . import views

app_name = "rooms"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rooms/<id:room_id>/", views.room, name="room"),
]
