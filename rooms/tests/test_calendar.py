"""The school calendar: terms, closures, bookable hours and periods, in claims, series
and the search."""

from datetime import date, time, timedelta

import pytest
from django.utils import formats, timezone

from bookings import services
from bookings.errors import BookingError
from bookings.models import Booking
from rooms.models import BookableHours, Building, Closure, Period, Term
from rooms.schoolcalendar import calendar
from tests.factories import at, local, make_room

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def day_of(moment) -> date:
    return timezone.localtime(moment).date()


def refused(teacher, room, start, end) -> BookingError:
    with pytest.raises(BookingError) as raised:
        services.booking_create(teacher=teacher, room_id=room.pk, start=start, end=end)
    assert raised.value.code == "ROOM_NOT_AVAILABLE" and raised.value.status == 409
    return raised.value


def test_a_school_closure_refuses_every_room_with_the_seed_message_and_the_reason(alice, room):
    day = day_of(at(10))
    Closure.objects.create(first_day=day, last_day=day, description="Staff training day", reason="event")
    error = refused(alice, room, at(10), at(11))
    assert error.message == (
        "Room is not available for the selected time period: the school is closed on "
        f"{day:%a} {day.day} {day:%b}: Staff training day (school event)"
    )
    assert not Booking.objects.exists()


def test_a_building_or_room_closure_closes_only_those_rooms(alice):
    lab, hall = make_room("Lab 1", building="Science Wing"), make_room("Hall")
    day = day_of(at(10))
    Closure.objects.create(first_day=day, last_day=day, reason="maintenance", building=lab.building)
    assert "Science Wing is closed" in refused(alice, lab, at(10), at(11)).message
    assert services.booking_create(teacher=alice, room_id=hall.pk, start=at(10), end=at(11))
    Closure.objects.create(first_day=day, last_day=day, reason="exams", room=hall)
    assert "Hall is closed" in refused(alice, hall, at(12), at(13)).message


def test_outside_term_nothing_can_be_booked(alice, room):
    today = timezone.localdate()
    Term.objects.create(name="Autumn", first_day=today, last_day=day_of(at(10)))
    assert services.booking_create(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    later = day_of(at(10, days=2))
    error = refused(alice, room, at(10, days=2), at(11, days=2))
    assert error.message.endswith(
        f"the school is closed on {later:%a} {later.day} {later:%b} (outside term time)"
    )


def test_bookable_hours_per_building_with_a_room_override(alice):
    room, gym = make_room("Room 101"), make_room("Gym")
    weekday = day_of(at(10)).weekday()
    BookableHours.objects.create(building=room.building, weekday=weekday, opens=time(8), closes=time(17))
    assert services.booking_create(teacher=alice, room_id=room.pk, start=at(16), end=at(17))
    day_name = day_of(at(10)).strftime("%A")
    assert refused(alice, room, at(17), at(18)).message.endswith(
        f"Room 101 is only bookable 08:00\u201317:00 on {day_name}s"
    )
    # No hours on the next weekday: closed all day.
    assert refused(alice, room, at(10, days=2), at(11, days=2)).message.endswith(
        f"Room 101 is not bookable on {day_of(at(10, days=2)):%A}s"
    )
    # The gym keeps its own evening hours.
    BookableHours.objects.create(room=gym, weekday=weekday, opens=time(8), closes=time(23, 59))
    assert services.booking_create(teacher=alice, room_id=gym.pk, start=at(19), end=at(21))


def test_a_weekly_series_skips_closed_dates_by_itself(alice, room):
    start = at(10)
    holiday = day_of(start) + timedelta(weeks=1)
    Closure.objects.create(first_day=holiday, last_day=holiday, description="Bank holiday")
    _, bookings, skipped = services.series_create(
        teacher=alice,
        room_id=room.pk,
        start=start,
        end=at(11),
        rule="weekly",
        until=day_of(start) + timedelta(weeks=3),
    )
    assert [day_of(b.start) for b in bookings] == [day_of(start) + timedelta(weeks=n) for n in (0, 2, 3)]
    assert list(skipped) == [holiday]
    assert skipped[holiday].reason.endswith("Bank holiday (holiday)") and not skipped[holiday].taken


def test_the_series_answer_lists_skipped_dates_with_reasons(client, alice, room):
    start = at(10)
    holiday = day_of(start) + timedelta(weeks=1)
    Closure.objects.create(first_day=holiday, last_day=holiday, description="Bank holiday")
    client.force_login(alice)
    until = (day_of(start) + timedelta(weeks=2)).isoformat()
    response = client.post(
        f"/rooms/{room.pk}/claim/",
        {"start": local(start), "end": local(at(11)), "repeat": "weekly", "until": until},
        **JSON,
    )
    assert response.status_code == 201
    series = response.json()["series"]
    assert series["skippedDates"] == [holiday.isoformat()]
    assert series["skippedReasons"][holiday.isoformat()].endswith("Bank holiday (holiday)")
    first, skipped = (formats.date_format(day, "D j M") for day in (day_of(start), holiday))
    assert response.json()["message"] == (
        f"Room booked successfully: Room 101, {first}, 10:00\u201311:00, 2 dates, "
        f"1 closed date skipped ({skipped})"
    )


def test_periods_follow_the_weekday_plan_and_the_rotation():
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    Term.objects.create(name="Term", first_day=monday, last_day=monday + timedelta(weeks=4))
    Period.objects.create(name="Period 1", starts=time(8, 50), ends=time(9, 40))
    Period.objects.create(name="Period 2", starts=time(9, 40), ends=time(10, 30), week="A")
    Period.objects.create(name="Games", starts=time(9, 40), ends=time(11, 30), week="B")
    Period.objects.create(
        name="Assembly", starts=time(9, 0), ends=time(9, 30), weekday=4
    )  # Friday's own plan
    school = calendar()
    assert [p.name for p in school.periods_on(monday)] == ["Period 1", "Period 2"]
    assert [p.name for p in school.periods_on(monday + timedelta(weeks=1))] == ["Period 1", "Games"]
    assert [p.name for p in school.periods_on(monday + timedelta(days=4))] == ["Assembly"]
    first = school.periods_on(monday)[0]
    assert (timezone.localtime(first.start).time(), timezone.localtime(first.end).time()) == (
        time(8, 50),
        time(9, 40),
    )
    assert school.period_label(first.start, school.periods_on(monday)[1].end) == "Period 1\u2013Period 2"


def test_periods_keep_their_wall_clock_time_across_daylight_saving(settings):
    settings.TIME_ZONE = "Europe/London"
    Period.objects.create(name="Period 1", starts=time(8, 50), ends=time(9, 40))
    with timezone.override("Europe/London"):
        before, after = date(2026, 10, 23), date(2026, 10, 26)  # BST ends on 25 October
        for day in (before, after):
            [period] = calendar().periods_on(day)
            assert timezone.localtime(period.start).time() == time(8, 50)
        assert (
            calendar().periods_on(before)[0].start.utcoffset()
            != calendar().periods_on(after)[0].start.utcoffset()
        )


def search(client, **query):
    return client.get("/", query)


def test_teachers_search_and_see_by_period(client, alice, room):
    Period.objects.create(name="Period 3", starts=time(10, 40), ends=time(11, 30))
    Period.objects.create(name="Period 4", starts=time(11, 30), ends=time(12, 20))
    client.force_login(alice)
    day = day_of(at(10)).isoformat()
    response = search(client, date=day, period="Period 3", to_period="Period 4")
    assert response.status_code == 200
    assert room in response.context["rooms"]
    assert response.context["search"]["label"].endswith("Period 3\u2013Period 4 (10:40\u201312:20)")
    page = response.content.decode()
    assert 'value="' + day + 'T10:40"' in page and 'value="' + day + 'T12:20"' in page  # the claim's period
    bad = search(client, date=day, period="Period 4", to_period="Period 3")
    assert bad.status_code == 400 and bad.context["form"].errors["to_period"] == [
        "Period 3 comes before Period 4."
    ]


def test_times_typed_over_a_chosen_period_search_by_time_and_the_page_says_so(client, alice, room):
    Period.objects.create(name="Period 3", starts=time(10, 40), ends=time(11, 30))
    Period.objects.create(name="Period 4", starts=time(11, 30), ends=time(12, 20))
    client.force_login(alice)
    day = day_of(at(10)).isoformat()
    # The page showed Period 3's times; the teacher typed others and kept the period.
    response = search(client, date=day, period="Period 3", shown="Period 3|", start="10:00", end="10:30")
    assert response.context["search"]["label"].endswith("10:00\u201310:30")
    assert response.context["form"]["period"].value() == ""  # "By time"
    # The teacher chose another period and left the old times: the period wins.
    response = search(client, date=day, period="Period 4", shown="Period 3|", start="10:40", end="11:30")
    assert response.context["search"]["label"].endswith("Period 4 (11:30\u201312:20)")
    page = response.content.decode()
    assert 'data-times="' in page and "&quot;Period 4&quot;: [&quot;11:30&quot;, &quot;12:20&quot;]" in page


def test_the_search_leaves_out_closed_rooms_and_says_why(client, alice):
    make_room("Lab 1", building="Science Wing")
    hall = make_room("Hall")
    day = day_of(at(10))
    Closure.objects.create(
        first_day=day, last_day=day, reason="maintenance", building=Building.objects.get(name="Science Wing")
    )
    client.force_login(alice)
    response = search(client, date=day.isoformat(), start="10:00", end="11:00")
    assert list(response.context["rooms"]) == [hall]
    assert [room.name for room in response.context["unavailable"]] == ["Lab 1"]
    assert "Not bookable for this period" in response.content.decode()
    Closure.objects.create(first_day=day, last_day=day, description="Staff training day", reason="event")
    response = search(client, date=day.isoformat(), start="10:00", end="11:00")
    assert list(response.context["rooms"]) == []
    assert "No room can be booked then: the school is closed" in response.content.decode()


def test_the_search_says_how_many_more_rooms_are_not_bookable_than_it_lists(client, alice):
    for number in range(13):
        make_room(f"Lab {number + 1:02}", building="Science Wing")
    day = day_of(at(10))
    wing = Building.objects.get(name="Science Wing")
    Closure.objects.create(first_day=day, last_day=day, reason="maintenance", building=wing)
    client.force_login(alice)
    response = search(client, date=day.isoformat(), start="10:00", end="11:00")
    assert len(response.context["unavailable"]) == 10
    assert "And 3 more rooms that would fit are not bookable then." in response.content.decode()
    response = search(client, date=day.isoformat(), start="10:00", end="11:00", building=str(wing.pk))
    assert "And 3 more rooms" in response.content.decode()  # the same in that building alone


def test_the_default_search_is_the_next_period(client, alice):
    Period.objects.create(name="Period 1", starts=time(0, 0), ends=time(0, 1))
    Period.objects.create(name="Period 9", starts=time(23, 0), ends=time(23, 59))
    client.force_login(alice)
    form = client.get("/").context["form"]
    # At any hour but the last minute of the day the next period is Period 9, today.
    expected = (
        ("Period 9", timezone.localdate())
        if timezone.localtime().time() < time(23, 59)
        else (
            "Period 1",
            timezone.localdate() + timedelta(days=1),
        )
    )
    assert (form.cleaned_data["period"], form.cleaned_data["date"]) == expected


def test_teachers_claim_by_period_over_json(client, alice, room):
    Period.objects.create(name="Period 3", starts=time(10, 50), ends=time(11, 40))
    Period.objects.create(name="Period 4", starts=time(11, 40), ends=time(12, 30))
    client.force_login(alice)
    day = day_of(at(10)).isoformat()
    response = client.post(
        f"/rooms/{room.pk}/claim/", {"date": day, "period": "Period 3", "to_period": "Period 4"}, **JSON
    )
    assert response.status_code == 201
    booking = response.json()["booking"]
    assert (booking["startTime"][:16], booking["endTime"][:16]) == (f"{day}T10:50", f"{day}T12:30")
    assert booking["periods"] == "Period 3\u2013Period 4"
    response = client.post(f"/rooms/{room.pk}/claim/", {"date": day, "period": "Period 9"}, **JSON)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "period": [f"There is no Period 9 on {day_of(at(10)):%a} {day_of(at(10)).day} {day_of(at(10)):%b}."]
    }
    response = client.post(f"/rooms/{room.pk}/claim/", {"period": "Period 3"}, **JSON)
    assert response.status_code == 400 and response.json()["errors"] == {
        "date": ["Say which day (with a period)."]
    }
