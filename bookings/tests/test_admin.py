"""Django admin as a school admin uses it."""

import pytest
from django.utils import timezone

from bookings.models import Booking
from tests.factories import at, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_admin(client):
    client.force_login(make_teacher("Admin", is_staff=True, is_superuser=True))
    return client


def test_rooms_list_shows_todays_bookings_count(as_admin):
    room = make_room("Room 101")
    teacher = make_teacher()
    now = timezone.localtime()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    make_booking(room, teacher, today + timezone.timedelta(hours=1), today + timezone.timedelta(hours=2))
    make_booking(room, teacher, today + timezone.timedelta(hours=3), today + timezone.timedelta(hours=4))
    make_booking(room, teacher, at(10), at(11))  # tomorrow: not counted
    response = as_admin.get("/admin/rooms/room/")
    assert response.status_code == 200
    row = next(r for r in response.context["cl"].result_list if r.pk == room.pk)
    assert row.today_total == 2
    assert "Bookings today" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["", "?status__exact=confirmed", "?q=Room+101", "?start__day=1&start__month=1&start__year=2030"],
)
def test_bookings_list_filters(as_admin, query):
    room = make_room("Room 101")
    make_booking(room, make_teacher(), at(10), at(11))
    response = as_admin.get(f"/admin/bookings/booking/{query}")
    assert response.status_code == 200


def test_bookings_list_filters_by_room_and_teacher(as_admin):
    room, other = make_room("Room 101"), make_room("Room 102")
    alice, bob = make_teacher("Alice"), make_teacher("Bob")
    make_booking(room, alice, at(10), at(11))
    make_booking(other, bob, at(10), at(11))
    by_room = as_admin.get(f"/admin/bookings/booking/?room__id__exact={room.pk}")
    assert [b.room for b in by_room.context["cl"].result_list] == [room]
    by_teacher = as_admin.get(f"/admin/bookings/booking/?teacher__id__exact={bob.pk}")
    assert [b.teacher for b in by_teacher.context["cl"].result_list] == [bob]


def test_cancel_action_frees_the_slots(as_admin):
    room = make_room()
    booking = make_booking(room, make_teacher(), at(10), at(11))
    response = as_admin.post(
        "/admin/bookings/booking/",
        {"action": "cancel_bookings", "_selected_action": [booking.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Cancelled 1 bookings" in response.content.decode()
    assert Booking.objects.get().status == "cancelled"


def test_teachers_cannot_open_the_admin(client):
    client.force_login(make_teacher())
    assert client.get("/admin/bookings/booking/").status_code == 302


def test_teacher_admin_pages_load(as_admin):
    teacher = make_teacher("Carol")
    assert as_admin.get("/admin/teachers/teacher/").status_code == 200
    assert as_admin.get(f"/admin/teachers/teacher/{teacher.pk}/change/").status_code == 200
    assert as_admin.get("/admin/teachers/teacher/add/").status_code == 200
    assert as_admin.get("/admin/rooms/room/add/").status_code == 200
    assert as_admin.get("/admin/bookings/booking/add/").status_code == 200
