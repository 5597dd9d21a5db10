"""The period under way can be booked: a teacher in the corridor at 13:17 gets the rest of
Period 5 (12:50-13:40), from 13:17, through the search, the grid, the hold, the claim, the
line, the waitlist, a series and a move. The clock is fixed inside the period."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from bookings import locks, services, waitlist
from bookings.models import Booking, WaitlistEntry
from bookings.timetable import day_grid
from rooms.models import Period
from tests.factories import make_booking, make_room

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def _next_thursday() -> datetime:
    today = timezone.localdate()
    return today + timedelta(days=(3 - today.weekday()) % 7 or 7)


DAY = _next_thursday()


def local_at(hour: int, minute: int, second: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(DAY, time(hour, minute, second)))


NOW = local_at(13, 17, 25)


@pytest.fixture(autouse=True)
def lunchtime(monkeypatch):
    """Thursday, 13:17:25, during Period 5: every ``timezone.now()`` says so."""
    monkeypatch.setattr(timezone, "now", lambda: NOW.astimezone(UTC))
    Period.objects.create(name="Period 4", starts=time(12, 0), ends=time(12, 50))
    Period.objects.create(name="Period 5", starts=time(12, 50), ends=time(13, 40))
    Period.objects.create(name="Period 6", starts=time(13, 40), ends=time(14, 30))


def hhmm(iso: str) -> str:
    return iso[11:16]


def test_a_claim_of_the_period_under_way_runs_from_now_to_its_end(as_alice, room):
    response = as_alice.post(
        f"/rooms/{room.pk}/claim/", {"date": DAY.isoformat(), "period": "Period 5"}, **JSON
    )
    assert response.status_code == 201, response.content
    booking = response.json()["booking"]
    assert (hhmm(booking["startTime"]), hhmm(booking["endTime"])) == ("13:17", "13:40")
    assert booking["periods"] == "Period 5"
    stored = Booking.objects.get()
    assert (stored.start, stored.end) == (local_at(13, 17), local_at(13, 40))


def test_a_claim_by_time_whose_start_has_passed_runs_from_now(as_alice, room):
    response = as_alice.post(
        f"/rooms/{room.pk}/claim/", {"start": f"{DAY}T12:50", "end": f"{DAY}T13:40"}, **JSON
    )
    assert response.status_code == 201
    assert Booking.objects.get().start == local_at(13, 17)


def test_a_period_that_has_ended_is_still_refused_naming_the_start(as_alice, room):
    response = as_alice.post(
        f"/rooms/{room.pk}/claim/", {"date": DAY.isoformat(), "period": "Period 4"}, **JSON
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"start": ["The start is in the past."]}
    assert not Booking.objects.exists()


def test_the_hold_of_the_period_under_way_is_one_for_every_teacher_asking(client, alice, bob, room):
    client.force_login(alice)
    asked = {"date": DAY.isoformat(), "period": "Period 5"}
    assert client.post(f"/rooms/{room.pk}/hold/", asked, **JSON).status_code == 200
    client.force_login(bob)
    # A minute later the period asked for is the same, so is the hold.
    response = client.post(
        f"/rooms/{room.pk}/hold/", {"start": f"{DAY}T12:50", "end": f"{DAY}T13:40"}, **JSON
    )
    assert response.status_code == 409 and response.json()["code"] == "BOOKING_CONFLICT"
    # Bob stands in line; when Alice lets go, the hold is his, and so is the rest of the period.
    assert client.post(f"/rooms/{room.pk}/queue/", asked, **JSON).json()["queue"]["position"] == 1
    services.booking_release(teacher=alice, room_id=room.pk, start=local_at(12, 50), end=local_at(13, 40))
    response = client.post(f"/rooms/{room.pk}/claim/", asked, **JSON)
    assert response.status_code == 201
    assert Booking.objects.get().teacher == bob


def test_the_search_shows_rooms_free_for_the_rest_of_the_period(as_alice, alice, bob, room):
    ended = make_room("Room 102")
    busy = make_room("Room 103")
    make_booking(ended, bob, local_at(12, 50), local_at(13, 10))  # over before now
    make_booking(busy, bob, local_at(13, 20), local_at(13, 40))  # still to come
    response = as_alice.get("/")  # the dashboard's own choice: the period under way
    assert response.status_code == 200
    assert {r.name for r in response.context["rooms"]} == {"Room 101", "Room 102"}
    assert [r.name for r in response.context["taken"]] == ["Room 103"]
    assert response.context["search"]["label"].endswith("Period 5 (13:17\u201313:40)")
    # The card's claim names the period asked for: the hold every teacher shares.
    assert response.context["search"]["start"] == f"{DAY}T12:50"


def test_the_grid_shows_the_period_under_way_free_when_the_rest_of_it_is(alice, bob, room):
    ended = make_room("Room 102")
    make_booking(ended, bob, local_at(12, 50), local_at(13, 10))
    make_booking(room, bob, local_at(13, 0), local_at(13, 30))
    grid = day_grid(DAY, teacher=alice)
    states = {row.room.name: {cell.column.name: cell.state for cell in row.cells} for row in grid.rows}
    assert states["Room 102"] == {"Period 4": "past", "Period 5": "free", "Period 6": "free"}
    assert states["Room 101"] == {"Period 4": "past", "Period 5": "booked", "Period 6": "free"}
    [row] = [row for row in grid.rows if row.room == ended]
    assert row.cells[1].label == "Room 102, Period 5 (13:17\u201313:40), free"
    assert row.cells[1].column.start_value == f"{DAY}T12:50"  # what the claim asks for


def test_a_weekly_series_from_the_period_under_way_starts_now_then_keeps_the_period(as_alice, room):
    response = as_alice.post(
        f"/rooms/{room.pk}/claim/",
        {
            "date": DAY.isoformat(),
            "period": "Period 5",
            "repeat": "weekly",
            "until": (DAY + timedelta(days=7)).isoformat(),
        },
        **JSON,
    )
    assert response.status_code == 201, response.content
    starts = [timezone.localtime(b.start) for b in Booking.objects.order_by("start")]
    assert [f"{start:%H:%M}" for start in starts] == ["13:17", "12:50"]


def test_moving_a_booking_under_way_moves_it_from_now(as_alice, alice, room):
    hall = make_room("Hall")
    booking = make_booking(room, alice, local_at(12, 50), local_at(13, 40))
    response = as_alice.post(f"/bookings/{booking.pk}/move/", {"room": hall.pk}, **JSON)
    assert response.status_code == 200, response.content
    booking.refresh_from_db()
    assert (booking.room, booking.start, booking.end) == (hall, local_at(13, 17), local_at(13, 40))


def test_a_waitlist_for_the_period_under_way_is_offered_the_rest_of_it(
    alice, bob, room, django_capture_on_commit_callbacks
):
    booking = make_booking(room, bob, local_at(12, 50), local_at(13, 40))
    entry = services.waitlist_join(
        teacher=alice, room_id=room.pk, start=local_at(12, 50), end=local_at(13, 40)
    )
    assert waitlist.expire_offers() == 0  # begun, not ended: Alice still waits
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking_id=booking.pk, teacher=bob)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    attempt = locks.acquire(room_id=room.pk, start=entry.start, end=entry.end, teacher_id=bob.pk)
    assert not attempt.acquired  # the offer holds the room for Alice
    mine = services.booking_create(teacher=alice, room_id=room.pk, start=entry.start, end=entry.end)
    assert (mine.start, mine.end) == (local_at(13, 17), local_at(13, 40))


def test_the_door_page_offers_a_free_room_for_the_rest_of_the_period(client, alice, bob, room):
    client.force_login(alice)
    page = client.get(f"/rooms/{room.pk}/check-in/").content.decode()
    assert "Free now until 13:40." in page
    claim = f"/?date={DAY}&amp;start=12:50&amp;end=13:40&amp;room={room.pk}"
    assert f'href="{claim}"' in page  # the search for Period 5, this room's dialog opening
    make_booking(room, bob, local_at(13, 30), local_at(13, 40))
    page = client.get(f"/rooms/{room.pk}/check-in/").content.decode()
    assert "Free now" not in page
