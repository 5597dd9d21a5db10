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
    ("query", "listed"),
    [
        ("", True),
        ("?status__exact=confirmed", True),
        ("?status__exact=cancelled", False),
        ("?q=Room+101", True),
        ("?q=Lab", False),
        ("?start__day=1&start__month=1&start__year=2030", False),
    ],
)
def test_bookings_list_filters(as_admin, query, listed):
    room = make_room("Room 101")
    booking = make_booking(room, make_teacher(), at(10), at(11))
    response = as_admin.get(f"/admin/bookings/booking/{query}")
    assert list(response.context["cl"].result_list) == ([booking] if listed else [])


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
    assert "Cancelled 1 booking." in response.content.decode()
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


def admin_add(client, teacher, room, start, end, **extra):
    """Post the admin's add form as a person fills it (date and time boxes, local time)."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    fields = {
        "teacher": teacher.pk,
        "room": room.pk,
        "attendees": "",
        "purpose": "",
        "repeat": "",
        "until": "",
    }
    for name, moment in (("start", start), ("end", end)):
        fields[f"{name}_0"], fields[f"{name}_1"] = f"{moment:%Y-%m-%d}", f"{moment:%H:%M}"
    return client.post("/admin/bookings/booking/add/", {**fields, **extra})


def test_admin_adds_a_booking_through_the_guard(as_admin):
    room, teacher = make_room("Room 101"), make_teacher("Alice Adams")
    response = admin_add(as_admin, teacher, room, at(10), at(11), purpose="Parents' evening")
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.teacher, booking.room, booking.start, booking.purpose) == (
        teacher,
        room,
        at(10),
        "Parents' evening",
    )


def test_an_overlap_in_the_admin_is_a_form_error_naming_the_holder(as_admin):
    room = make_room("Room 101")
    make_booking(room, make_teacher("Bob Brown"), at(10), at(11))
    response = admin_add(as_admin, make_teacher(), room, at(10.5), at(11.5))
    assert response.status_code == 200
    assert "Room already booked by Bob Brown" in response.content.decode()
    assert Booking.objects.count() == 1


def test_an_end_before_the_start_in_the_admin_names_the_field(as_admin):
    response = admin_add(as_admin, make_teacher(), make_room(), at(11), at(10))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end"] == ["The end must be after the start."]
    assert not Booking.objects.exists()


def test_admin_books_a_weekly_series_for_a_teacher(as_admin):
    room, teacher = make_room("Room 101"), make_teacher()
    until = (timezone.localtime(at(10)) + timezone.timedelta(weeks=2)).date().isoformat()
    response = admin_add(as_admin, teacher, room, at(10), at(11), repeat="weekly", until=until)
    assert response.status_code == 302
    assert Booking.objects.filter(teacher=teacher, series__isnull=False).count() == 3


def test_admin_changes_purpose_but_not_the_period(as_admin):
    booking = make_booking(make_room("Room 101", capacity=20), make_teacher(), at(10), at(11))
    page = as_admin.get(f"/admin/bookings/booking/{booking.pk}/change/")
    assert set(page.context["adminform"].form.fields) == {"attendees", "purpose"}
    too_many = as_admin.post(
        f"/admin/bookings/booking/{booking.pk}/change/", {"attendees": "30", "purpose": "x"}
    )
    assert "Room 101 seats 20" in too_many.content.decode()
    as_admin.post(f"/admin/bookings/booking/{booking.pk}/change/", {"attendees": "12", "purpose": "Drama"})
    booking.refresh_from_db()
    assert (booking.attendees, booking.purpose, booking.start) == (12, "Drama", at(10))


def test_the_admin_names_hours_and_groups_in_plain_words(as_admin):
    building = make_room("Room 101").building
    page = as_admin.get(f"/admin/rooms/building/{building.pk}/change/").content.decode()
    assert "Bookable hours" in page and "weekdays" not in page
    page = as_admin.get("/admin/bookings/bookingrule/add/").content.decode()
    # The two-list picker titles itself from this name: "Available groups", "Choose all groups".
    assert 'data-field-name="groups"' in page and "only groups" not in page
