"""Input an audit tried: each is a 400 naming the field (or, for a series across a change
of daylight saving time, the right local times), never a 500."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import Booking, Conflict
from bookings.rules import MAX_OCCURRENCES, MAX_WAITING_PER_TEACHER
from tests.factories import at, local, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}
BERLIN = ZoneInfo("Europe/Berlin")


def local_times(bookings):
    return [
        (f"{timezone.localtime(b.start, BERLIN):%m-%d %H:%M}", f"{timezone.localtime(b.end, BERLIN):%H:%M}")
        for b in bookings
    ]


def weekly_in_berlin(first: datetime, hours: float, weeks: int):
    with timezone.override(BERLIN):
        _, bookings, _ = services.series_create(
            teacher=make_teacher(),
            room_id=make_room().pk,
            start=first,
            end=first + timedelta(hours=hours),
            rule="weekly",
            until=(first + timedelta(weeks=weeks)).date(),
        )
    return bookings


def test_a_weekly_series_across_the_spring_gap_keeps_its_length_and_moves_on_by_the_gap():
    first = datetime(2027, 3, 21, 2, 30, tzinfo=BERLIN)  # clocks go forward on 28 March, 02:00
    bookings = weekly_in_berlin(first, 1, 2)
    assert local_times(bookings) == [
        ("03-21 02:30", "03:30"),
        ("03-28 03:30", "04:30"),
        ("04-04 02:30", "03:30"),
    ]
    assert {b.end - b.start for b in bookings} == {timedelta(hours=1)}


def test_a_weekly_series_across_the_autumn_fold_keeps_its_length():
    first = datetime(2027, 10, 24, 2, 30, tzinfo=BERLIN)  # clocks go back on 31 October, 03:00
    bookings = weekly_in_berlin(first, 1, 1)
    # The first 02:30 of the night, for an hour: until the clocks show 02:30 again.
    assert local_times(bookings) == [("10-24 02:30", "03:30"), ("10-31 02:30", "02:30")]
    assert {b.end - b.start for b in bookings} == {timedelta(hours=1)}


def test_a_series_longer_than_a_term_is_refused_naming_until(as_alice, room):
    until = (timezone.localtime(at(10)) + timedelta(days=366)).date()
    fields = {
        "start": local(at(7)),
        "end": local(at(19)),
        "repeat": "school_days",
        "until": until.isoformat(),
    }
    response = as_alice.post(f"/rooms/{room.pk}/claim/", fields, **JSON)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "until": [f"A series may have at most {MAX_OCCURRENCES} dates; choose an earlier last date."]
    }
    assert not Booking.objects.exists()


def test_a_start_with_a_trailing_nul_is_refused_naming_start(as_alice, room):
    response = as_alice.post(
        f"/rooms/{room.pk}/claim/", {"start": local(at(10)) + "\x00", "end": local(at(11))}, **JSON
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]


@pytest.mark.parametrize(
    "path", ["/calendar/%00.ics", "/calendar/..%2F..%2Fetc.ics", "/calendar/" + "a" * 300 + ".ics"]
)
def test_odd_calendar_tokens_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_analytics_dates_near_the_end_of_time_name_the_field(admin_client):
    response = admin_client.get("/analytics/", {"start": "9999-12-30", "end": "9999-12-31"})
    assert response.status_code == 400
    assert "Choose a date from 2000 to 2999." in response.content.decode()


def test_a_teacher_may_wait_for_a_few_rooms_at_once_not_the_whole_school(as_alice, alice):
    bob = make_teacher()
    rooms = [make_room() for _ in range(MAX_WAITING_PER_TEACHER + 1)]
    for room in rooms:
        make_booking(room, bob, at(10), at(11))
    answers = [
        as_alice.post(f"/rooms/{room.pk}/waitlist/", {"start": local(at(10)), "end": local(at(11))}, **JSON)
        for room in rooms
    ]
    assert [answer.status_code for answer in answers] == [201] * MAX_WAITING_PER_TEACHER + [400]
    assert "leave one first" in answers[-1].json()["errors"]["start"][0]
    assert Conflict.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "field", "headers"),
    [
        ("/timetable/?date=0001-01-01", "date", {}),
        ("/timetable/?date=9999-12-31", "date", {}),
        ("/timetable/?date=9999-12-31", "date", {"X-Fragment": "timetable"}),
        ("/rooms/{room}/?week=0001-01-01", "week", {}),
        ("/rooms/{room}/?week=0001-01-02", "week", {}),
        ("/rooms/{room}/?week=9999-12-31", "week", {}),
        ("/?date=9999-12-31&start=10:00&end=11:00", "date", {}),
        ("/analytics/?start=0001-01-01&end=2026-12-01", "start", {}),
    ],
)
def test_far_dates_are_a_400_naming_the_field_not_a_500(admin_client, room, path, field, headers):
    response = admin_client.get(path.format(room=room.pk), headers=headers)
    assert response.status_code == 400
    json_answer = admin_client.get(
        path.format(room=room.pk), headers={**headers, "Accept": "application/json"}
    )
    if json_answer.headers["Content-Type"].startswith("application/json"):
        assert field in json_answer.json()["errors"]
    elif not headers:  # a page names the problem; a fragment only says 400
        assert "Choose a date from 2000 to 2999." in response.content.decode()


@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize("action", ["hold", "claim"])
def test_times_finer_than_a_minute_are_a_400_naming_the_field(as_alice, room, field, action):
    asked = {"start": local(at(9)), "end": local(at(10))}
    asked[field] += ":00.000001"
    response = as_alice.post(f"/rooms/{room.pk}/{action}/", asked, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {field: ["Give the time to the minute, e.g. 10:00."]}
    assert not Booking.objects.exists()


def test_a_move_to_a_time_finer_than_a_minute_is_refused(as_alice, alice, room):
    booking = make_booking(room, alice, at(9), at(10))
    response = as_alice.post(
        f"/bookings/{booking.pk}/move/", {"end": local(at(10)) + ":30"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400 and "end" in response.json()["errors"]


def test_trying_many_periods_of_a_taken_room_records_one_conflict(as_alice, room):
    make_booking(room, make_teacher("Bob Brown"), at(8), at(18))
    for hour in range(8, 18):
        as_alice.post(f"/rooms/{room.pk}/hold/", {"start": local(at(hour)), "end": local(at(hour + 1))})
    assert Conflict.objects.count() == 1  # demand, not the number of periods tried


@pytest.mark.parametrize("number", ["99999999999999999999", "9223372036854775808"])
@pytest.mark.parametrize(
    ("method", "address"),
    [
        ("get", "/rooms/{}/"),
        ("post", "/rooms/{}/claim/"),
        ("post", "/rooms/{}/hold/"),
        ("post", "/bookings/{}/cancel/"),
        ("get", "/bookings/{}/move/"),
        ("post", "/api/v1/rooms/{}/claim"),
    ],
)
def test_an_id_past_what_a_database_holds_is_a_404_on_sqlite_too(
    client, alice, room, method, address, number
):
    """Django's ``<int:…>`` took any length, and SQLite raised on it (a 500)."""
    client.force_login(alice)
    answer = getattr(client, method)(address.format(number), **JSON)
    assert answer.status_code == 404
    assert answer.json()["code"] == "NOT_FOUND"
    assert client.get(f"/rooms/{room.pk}/", **JSON).status_code == 200  # a real one still is found
