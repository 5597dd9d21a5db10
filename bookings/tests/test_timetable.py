"""The timetable, room pages, booking for a colleague and moving a booking."""

from datetime import time, timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings import locks, notifications, services
from bookings.errors import BookingError
from bookings.integrity import overlapping_pairs
from bookings.models import Booking, BookingRule, WaitlistEntry
from bookings.timetable import day_grid
from rooms.models import Closure, Period
from tests.factories import at, local, make_booking, make_room, make_teacher
from tests.live import connect_socket
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)
JSON = {"HTTP_ACCEPT": "application/json"}


def tomorrow():
    return timezone.localtime(at(10)).date()


def cells_of(grid, room):
    [row] = [row for row in grid.rows if row.room == room]
    return {cell.column.name: cell for cell in row.cells}


def test_the_day_grid_shows_who_has_each_room_by_period(alice, bob, room):
    Period.objects.create(name="Period 1", starts=time(9), ends=time(10))
    Period.objects.create(name="Period 2", starts=time(10), ends=time(11))
    Period.objects.create(name="Period 3", starts=time(11), ends=time(12))
    Period.objects.create(name="Period 4", starts=time(12), ends=time(13))
    hall = make_room("Hall")
    make_booking(room, bob, at(9), at(10), purpose="Year 9 chemistry")
    make_booking(room, alice, at(10), at(11))
    locks.acquire(room_id=room.pk, start=at(11), end=at(12), teacher_id=bob.pk)
    Closure.objects.create(first_day=tomorrow(), last_day=tomorrow(), room=hall, reason="maintenance")
    grid = day_grid(tomorrow(), teacher=alice)
    assert [column.name for column in grid.columns] == ["Period 1", "Period 2", "Period 3", "Period 4"]
    cells = cells_of(grid, room)
    assert {name: cell.state for name, cell in cells.items()} == {
        "Period 1": "booked",
        "Period 2": "mine",
        "Period 3": "held",
        "Period 4": "free",
    }
    assert (
        cells["Period 1"].label
        == "Room 101, Period 1 (09:00\u201310:00), booked by Bob Brown for Year 9 chemistry"
    )
    assert cells["Period 4"].label == "Room 101, Period 4 (12:00\u201313:00), free"
    assert cells_of(grid, hall)["Period 1"].state == "closed"
    assert cells_of(grid, hall)["Period 1"].label.startswith(
        "Hall, Period 1 (09:00\u201310:00), closed: Hall is closed"
    )


def test_a_room_only_some_groups_may_book_is_not_bookable_on_an_outsiders_grid(alice, bob, room):
    leadership = Group.objects.create(name="Leadership")
    bob.groups.add(leadership)
    hall = make_room("Room 112")
    BookingRule.objects.create(room=hall).only_groups.add(leadership)
    outsider = cells_of(day_grid(tomorrow(), teacher=alice), hall)["10:00"]
    assert outsider.state == "restricted"
    assert outsider.label == "Room 112, 10:00 (10:00\u201311:00), not bookable: only Leadership can book it"
    assert cells_of(day_grid(tomorrow(), teacher=bob), hall)["10:00"].state == "free"
    assert cells_of(day_grid(tomorrow(), teacher=alice), room)["10:00"].state == "free"


def test_without_periods_the_grid_has_hours_and_names_can_be_hidden(settings, alice, bob, room):
    settings.TIMETABLE_SHOWS_NAMES = False
    make_booking(room, bob, at(9), at(10))
    grid = day_grid(tomorrow(), teacher=alice)
    assert [column.name for column in grid.columns][:3] == ["08:00", "09:00", "10:00"]
    assert cells_of(grid, room)["09:00"].label.endswith("booked by a colleague")


def test_the_grid_costs_two_queries_however_many_rooms(alice, school_settings_loaded):
    for number in range(20):
        room = make_room(f"Room {number}")
        make_booking(room, alice, at(9), at(10))
    with CaptureQueriesContext(connection) as captured:
        day_grid(tomorrow(), teacher=alice)
    assert len(captured.captured_queries) == 2  # the rooms, the day's bookings


def test_the_timetable_page_filters_by_building_and_its_buttons_work_without_javascript(client, alice, room):
    lab = make_room("Lab 1", building="Science Wing")
    client.force_login(alice)
    page = client.get("/timetable/", {"date": tomorrow().isoformat(), "building": lab.building_id})
    assert page.status_code == 200
    rows = [row.room for row in page.context["grid"].rows]
    assert rows == [lab]
    text = page.content.decode()
    assert 'aria-label="Lab 1, 08:00 (08:00\u201309:00), free: claim"' in text
    start, end = local(at(10)), local(at(11))
    response = client.get("/timetable/", {"claim": f"{lab.pk}|{start}|{end}"})
    assert response.status_code == 302
    assert response["Location"] == f"/?date={start[:10]}&start=10:00&end=11:00&room={lab.pk}"
    assert client.get("/timetable/", {"building": "nope"}).status_code == 400


def test_the_dashboard_search_filters_by_building(client, alice, room):
    lab = make_room("Lab 1", building="Science Wing")
    client.force_login(alice)
    query = {"date": tomorrow().isoformat(), "start": "10:00", "end": "11:00"}
    assert list(client.get("/", {**query, "building": lab.building_id}).context["rooms"]) == [lab]
    assert set(client.get("/", query).context["rooms"]) == {room, lab}
    response = client.get("/", {**query, "building": "999"})
    assert response.status_code == 400 and response.context["form"].errors["building"] == [
        "Unknown building."
    ]


def test_the_room_page_shows_the_room_and_its_week(client, alice, room):
    room.floor, room.accessibility_notes = "Ground floor", "Step-free from the car park."
    room.save()
    make_booking(room, alice, at(10), at(11), purpose="Maths")
    client.force_login(alice)
    page = client.get(f"/rooms/{room.pk}/", {"week": tomorrow().isoformat()})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ground floor" in text and "Step-free from the car park." in text
    assert "Check-in" not in text  # no rule asks for it here
    assert len(page.context["grid"].rows) == 7
    states = [cell.state for row in page.context["grid"].rows for cell in row.cells]
    assert "mine" in states
    assert client.get("/rooms/999999/").status_code == 404
    client.logout()
    assert client.get(f"/rooms/{room.pk}/").status_code == 302


def test_staff_book_for_a_colleague_who_gets_it_and_an_email(client, bob, room):
    staff = make_teacher("Sam Staff", is_staff=True)
    bob.email = "bob@school.example"
    bob.save()
    client.force_login(staff)
    response = client.post(
        f"/rooms/{room.pk}/claim/",
        {"start": local(at(10)), "end": local(at(11)), "for_teacher": bob.pk},
        **JSON,
    )
    assert response.status_code == 201
    assert response.json()["message"].endswith(", 10:00\u201311:00, for Bob Brown")
    booking = Booking.objects.get()
    assert (booking.teacher, booking.booked_by) == (bob, staff)
    notifications.send_pending()
    [sent] = mail.outbox
    assert sent.to == ["bob@school.example"] and sent.subject.startswith("Booked for you: Room 101")
    assert "Sam Staff booked a room for you" in sent.body
    client.force_login(bob)
    assert "Booked for you by Sam Staff" in client.get("/bookings/").content.decode()


def test_only_staff_book_for_others(client, alice, bob, room):
    client.force_login(alice)
    response = client.post(
        f"/rooms/{room.pk}/claim/",
        {"start": local(at(10)), "end": local(at(11)), "for_teacher": bob.pk},
        **JSON,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"for_teacher": ["Only staff can book a room for someone else."]}
    assert not Booking.objects.exists()


def move(client, booking, **fields):
    return client.post(f"/bookings/{booking.pk}/move/", fields, **JSON)


def test_a_teacher_moves_a_booking_to_another_room_and_the_old_slot_goes_to_the_waitlist(
    client, alice, bob, room
):
    hall = make_room("Hall")
    booking = services.booking_create(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    entry = services.waitlist_join(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    client.force_login(alice)
    response = move(client, booking, room=hall.pk)
    assert response.status_code == 200
    assert response.json()["message"].startswith("Booking moved: Hall, ")
    booking.refresh_from_db()
    assert (booking.room, booking.start, booking.status) == (hall, at(10), "confirmed")
    assert Booking.objects.count() == 1  # the same booking, moved
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED


def test_a_move_to_a_taken_slot_changes_nothing_and_says_why(client, alice, bob, room):
    hall = make_room("Hall")
    booking = make_booking(room, alice, at(10), at(11))
    make_booking(hall, bob, at(10), at(12))
    client.force_login(alice)
    response = move(client, booking, room=hall.pk)
    assert response.status_code == 409
    assert response.json()["message"] == "Room already booked by Bob Brown"
    booking.refresh_from_db()
    assert booking.room == room


def test_a_booking_can_grow_over_its_own_time_and_change_its_details(client, alice, room):
    booking = make_booking(room, alice, at(10), at(11))
    client.force_login(alice)
    response = move(client, booking, end=local(at(12)), purpose="Double lesson", attendees="12")
    assert response.status_code == 200
    booking.refresh_from_db()
    assert (booking.end, booking.purpose, booking.attendees) == (at(12), "Double lesson", 12)


def test_moves_are_for_ones_own_bookings_and_staff(client, alice, bob, room):
    booking = make_booking(room, alice, at(10), at(11))
    client.force_login(bob)
    assert move(client, booking, end=local(at(12))).status_code == 404
    assert client.get(f"/bookings/{booking.pk}/move/").status_code == 404
    staff = make_teacher("Sam Staff", is_staff=True)
    alice.email = "alice@school.example"
    alice.save()
    client.force_login(staff)
    assert move(client, booking, start=local(at(14)), end=local(at(15))).status_code == 200
    notifications.send_pending()
    assert [m.subject[:6] for m in mail.outbox] == ["Moved:"]


def test_the_move_page_works_without_javascript(client, alice, room):
    hall = make_room("Hall")
    booking = make_booking(room, alice, at(10), at(11))
    client.force_login(alice)
    page = client.get(f"/bookings/{booking.pk}/move/")
    assert page.status_code == 200 and "Change booking" in page.content.decode()
    response = client.post(
        f"/bookings/{booking.pk}/move/",
        {"room": hall.pk, "start": local(at(10)), "end": local(at(11)), "attendees": "", "purpose": ""},
    )
    assert response.status_code == 303
    booking.refresh_from_db()
    assert booking.room == hall


def test_the_move_page_shows_which_rooms_are_free_then_and_moves_by_period_name(client, alice, bob, room):
    Period.objects.create(name="Period 2", starts=time(10), ends=time(11))
    Period.objects.create(name="Period 3", starts=time(11), ends=time(12))
    make_room("Hall")
    lab = make_room("Lab")
    make_booking(lab, bob, at(10), at(11))
    booking = make_booking(room, alice, at(10), at(11))
    client.force_login(alice)
    form = client.get(f"/bookings/{booking.pk}/move/").context["form"]
    groups = {
        str(name): [label.split(" (")[0] for _, label in options]
        for name, options in form.fields["room"].choices[1:]
    }
    assert groups == {"Free then": ["Hall", "Room 101"], "Taken or closed then": ["Lab"]}
    assert form["period"].value() == "Period 2"
    response = client.post(
        f"/bookings/{booking.pk}/move/", {"period": "Period 3"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200, response.content
    booking.refresh_from_db()
    assert (booking.room, booking.start, booking.end) == (room, at(11), at(12))


@pytest.mark.postgres
def test_crossing_moves_race_without_deadlock_or_overlap():
    teachers = [make_teacher(f"Teacher {n}") for n in range(8)]
    east, west = make_room("East"), make_room("West")
    bookings = []
    for n, teacher in enumerate(teachers):
        room = east if n % 2 == 0 else west
        bookings.append(make_booking(room, teacher, at(8 + n), at(9 + n)))

    # Each booking moves to the other room, to a half hour nobody has: every move locks
    # both rooms' rows, half of them in the opposite order of the rooms they cross to.
    def crossing(booking, n):
        return lambda: services.booking_move(
            booking_id=booking.pk,
            actor=booking.teacher,
            room_id=west.pk if booking.room_id == east.pk else east.pk,
            start=at(16 + n / 2),
            end=at(16.5 + n / 2),
        )

    results = race([crossing(booking, n) for n, booking in enumerate(bookings)])
    assert all(isinstance(result, Booking) for result in results), results
    for booking in bookings:
        booking.refresh_from_db()
    assert {booking.room_id for booking in bookings[0::2]} == {west.pk}
    assert {booking.room_id for booking in bookings[1::2]} == {east.pk}
    assert overlapping_pairs() == 0


@pytest.mark.postgres
def test_crossing_moves_into_each_others_slots_never_both_win():
    alice, bob = make_teacher("Alice"), make_teacher("Bob")
    east, west = make_room("East"), make_room("West")
    a = make_booking(east, alice, at(10), at(11))
    b = make_booking(west, bob, at(10), at(11))
    for _ in range(5):
        results = race(
            [
                lambda: services.booking_move(booking_id=a.pk, actor=alice, room_id=west.pk),
                lambda: services.booking_move(booking_id=b.pk, actor=bob, room_id=east.pk),
            ]
        )
        # Each target is taken by the other's booking: both refused, nothing changes, no deadlock.
        assert all(isinstance(result, BookingError) for result in results), results
        assert {result.code for result in results} <= {"ROOM_NOT_AVAILABLE", "BOOKING_CONFLICT"}
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.room, b.room) == (east, west)


@pytest.mark.asyncio
async def test_holds_and_releases_reach_every_page(people):
    alice, bob, room = people
    socket = await connect_socket(bob, skip=frozenset())
    await sync_to_async(services.booking_hold)(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    frame = await socket.receive_json_from(timeout=2)
    assert (frame["event"], frame["data"]["roomId"]) == ("roomHeld", room.pk)
    await sync_to_async(services.booking_release)(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    frame = await socket.receive_json_from(timeout=2)
    assert (frame["event"], frame["data"]["startTime"][:16]) == ("roomReleased", local(at(10)))
    await socket.disconnect()


def test_the_room_page_says_who_may_book_it_and_about_check_in(client, alice, room):
    rule = BookingRule.objects.create(room=room, check_in_minutes=10)
    rule.only_groups.add(Group.objects.create(name="Leadership"))
    client.force_login(alice)
    text = client.get(f"/rooms/{room.pk}/").content.decode()
    assert "Leadership only (not you)" in text
    assert "Within 10 minutes of the start" in text


def test_date_fields_show_dates_the_browsers_date_picker_accepts(client, alice, admin_client):
    client.force_login(alice)
    today = timezone.localdate()
    page = client.get("/timetable/").content.decode()
    assert f'type="date" name="date" value="{today.isoformat()}"' in page  # today's view names today
    analytics = admin_client.get("/analytics/", HTTP_ACCEPT_LANGUAGE="en-gb").content.decode()
    assert f'value="{(today - timedelta(days=30)).isoformat()}"' in analytics


def test_a_closures_reason_is_written_once_a_row_not_in_every_cell(client, alice):
    hall = make_room("Hall")
    Closure.objects.create(first_day=tomorrow(), last_day=tomorrow(), room=hall, reason="maintenance")
    client.force_login(alice)
    page = client.get("/timetable/", {"date": tomorrow().isoformat()}).content.decode()
    row = page[page.index(f'<tr data-room-id="{hall.pk}"') :].split("</tr>")[0]
    assert row.count('<span class="reason">Hall is closed') == 1
    assert row.count('<span class="reason visually-hidden">Hall is closed') == 9  # 08:00-18:00, read aloud
