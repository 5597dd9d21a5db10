"""Recurring bookings: every week or every school day, all or nothing (or the free dates)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings import services
from bookings.errors import ROOM_NOT_AVAILABLE, BookingError
from bookings.integrity import overlapping_pairs
from bookings.models import Booking, BookingRule, Series
from bookings.services import Skipped
from tests.factories import at, local, make_booking, make_room, make_teacher
from tests.races import race

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def next_weekday(weekday: int, hour: float):
    """The next ``weekday`` (0 = Monday) at least two days ahead, at ``hour``."""
    start = at(hour, days=2)
    while timezone.localtime(start).weekday() != weekday:
        start += timedelta(days=1)
    return start


def create(teacher, room, start, *, rule, weeks=3, **options):
    until = timezone.localtime(start).date() + timedelta(weeks=weeks - 1, days=1)
    return services.series_create(
        teacher=teacher,
        room_id=room.pk,
        start=start,
        end=start + timedelta(hours=1),
        rule=rule,
        until=until,
        **options,
    )


def test_weekly_series_books_the_same_weekday_each_week():
    room, alice = make_room(), make_teacher()
    start = next_weekday(1, 10)
    series, bookings, skipped = create(alice, room, start, rule="weekly", weeks=4)
    assert [b.start for b in bookings] == [start + timedelta(weeks=n) for n in range(4)]
    assert skipped == {}
    assert set(Booking.objects.values_list("series", flat=True)) == {series.pk}


def test_school_days_series_skips_weekends():
    room, alice = make_room(), make_teacher()
    start = next_weekday(3, 9)  # a Thursday
    _, bookings, _ = create(alice, room, start, rule="school_days", weeks=2)
    weekdays = [timezone.localtime(b.start).weekday() for b in bookings]
    assert weekdays == [3, 4, 0, 1, 2, 3, 4]


def test_all_or_nothing_by_default_and_the_taken_dates_are_named():
    room, alice, bob = make_room(), make_teacher(), make_teacher("Bob Brown")
    start = next_weekday(1, 10)
    make_booking(room, bob, start + timedelta(weeks=1), start + timedelta(weeks=1, hours=1))
    with pytest.raises(BookingError) as raised:
        create(alice, room, start, rule="weekly", weeks=3)
    assert raised.value.code == ROOM_NOT_AVAILABLE
    assert raised.value.conflicting_dates == [
        timezone.localtime(start + timedelta(weeks=1)).date().isoformat()
    ]
    assert "Bob Brown" in raised.value.message
    assert Booking.objects.filter(teacher=alice).count() == 0
    assert not Series.objects.exists()


def test_free_dates_only_books_the_rest():
    room, alice, bob = make_room(), make_teacher(), make_teacher("Bob")
    start = next_weekday(1, 10)
    make_booking(room, bob, start + timedelta(weeks=1), start + timedelta(weeks=1, hours=1))
    _, bookings, skipped = create(alice, room, start, rule="weekly", weeks=3, free_dates_only=True)
    assert len(bookings) == 2
    assert skipped == {
        timezone.localtime(start + timedelta(weeks=1)).date(): Skipped("booked by Bob", taken=True)
    }


def test_cancel_a_series_or_one_date():
    room, alice = make_room(), make_teacher()
    series, bookings, _ = create(alice, room, next_weekday(2, 10), rule="weekly", weeks=3)
    services.booking_cancel(booking_id=bookings[0].pk, teacher=alice)
    assert Booking.objects.filter(status="confirmed").count() == 2
    cancelled = services.series_cancel(series_id=series.pk, teacher=alice)
    assert len(cancelled) == 2
    assert not Booking.objects.filter(status="confirmed").exists()


def test_another_teachers_series_cannot_be_cancelled(client):
    room, alice = make_room(), make_teacher()
    series, _, _ = create(alice, room, next_weekday(2, 10), rule="weekly")
    client.force_login(make_teacher())
    assert client.post(f"/series/{series.pk}/cancel/", **JSON).status_code == 404
    assert Booking.objects.filter(status="confirmed").count() == 3


def test_claim_with_repeat_over_http(client):
    room, alice = make_room("Room 101"), make_teacher()
    client.force_login(alice)
    start = next_weekday(0, 14)
    until = timezone.localtime(start).date() + timedelta(weeks=2)
    fields = {
        "start": local(start),
        "end": local(start + timedelta(hours=1)),
        "repeat": "weekly",
        "until": until.isoformat(),
    }
    response = client.post(f"/rooms/{room.pk}/claim/", fields, **JSON)
    assert response.status_code == 201
    body = response.json()
    assert len(body["series"]["bookings"]) == 3
    assert body["booking"]["id"] == body["series"]["bookings"][0]["id"]
    page = client.post(f"/series/{body['series']['id']}/cancel/", follow=True)
    assert "Series cancelled: 3 upcoming bookings" in page.content.decode()


@pytest.mark.parametrize(
    ("extra", "bad_field"),
    [
        ({"repeat": "weekly"}, "until"),
        ({"repeat": "weekly", "until": "2000-01-01"}, "until"),
        ({"repeat": "weekly", "until": "2099-01-01"}, "until"),
        ({"repeat": "fortnightly", "until": "2099-01-01"}, "repeat"),
    ],
    ids=["no-until", "until-before-start", "more-than-a-year", "unknown-rule"],
)
def test_bad_repeat_input_names_the_field(client, extra, bad_field):
    room = make_room()
    client.force_login(make_teacher())
    fields = {"start": local(at(10)), "end": local(at(11)), **extra}
    response = client.post(f"/rooms/{room.pk}/claim/", fields, **JSON)
    assert response.status_code == 400
    assert bad_field in response.json()["errors"]
    assert not Booking.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_series_and_a_single_booking_racing_for_one_date_never_overlap():

    room, alice, bob = make_room(), make_teacher(), make_teacher()
    start = next_weekday(1, 10)
    contested = start + timedelta(weeks=2)
    for _ in range(5):
        Booking.objects.all().delete()
        Series.objects.all().delete()
        results = race(
            [
                lambda: create(alice, room, start, rule="weekly", weeks=4),
                lambda: services.booking_create(
                    teacher=bob, room_id=room.pk, start=contested, end=contested + timedelta(hours=1)
                ),
            ]
        )
        assert overlapping_pairs() == 0
        won = [r for r in results if not isinstance(r, BookingError)]
        assert len(won) == 1  # all-or-nothing: either the series or the single booking


def test_a_series_reaching_past_the_days_ahead_rule_is_refused_on_until(as_alice, room):
    """The first date is within the rule; the last is not: the problem is the last date."""
    BookingRule.objects.create(max_days_ahead=7)
    asked = {
        "start": local(at(10)),
        "end": local(at(11)),
        "repeat": "weekly",
        "until": (timezone.localdate() + timedelta(days=22)).isoformat(),
    }
    response = as_alice.post(f"/rooms/{room.pk}/claim/", asked, **JSON)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["until"]
    assert not Booking.objects.exists()
