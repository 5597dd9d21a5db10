"""The school's booking rules: each refusal is a 400 naming its field with the rule in
words; rooms may be kept for some groups; a group's rules beat the room's and the
school's; the per-teacher limits hold under concurrent claims."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from bookings import services
from bookings.errors import BookingError
from bookings.models import Booking, BookingRule
from tests.factories import at, local, make_room, make_teacher
from tests.races import race

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def claim(teacher, room, start=10, end=11, days=1):
    return services.booking_create(
        teacher=teacher, room_id=room.pk, start=at(start, days=days), end=at(end, days=days)
    )


def refusal(teacher, room, **when) -> dict[str, list[str]]:
    with pytest.raises(BookingError) as refused:
        claim(teacher, room, **when)
    assert refused.value.code == "INVALID_INPUT" and refused.value.status == 400
    return refused.value.errors


def school_rule(**limits):
    return BookingRule.objects.create(**limits)


def test_with_no_rules_a_fresh_install_allows_what_it_always_did(alice, room):
    assert claim(alice, room, start=8, end=19)  # 11 hours
    assert claim(alice, room, days=360)  # nearly a year ahead


def test_longest_booking(alice, room):
    school_rule(max_length_minutes=120)
    assert refusal(alice, room, start=9, end=12) == {"end": ["Bookings can be at most 2 hours long."]}
    assert claim(alice, room, start=9, end=11)


def test_how_far_ahead(alice, room):
    school_rule(max_days_ahead=14)
    assert refusal(alice, room, days=20) == {"start": ["Bookings can be made at most 14 days ahead."]}
    assert claim(alice, room, days=13)


def test_minimum_notice(alice, room):
    rule = school_rule(min_notice_minutes=60)
    soon = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=30)
    with pytest.raises(BookingError) as refused:
        services.booking_create(teacher=alice, room_id=room.pk, start=soon, end=soon + timedelta(hours=1))
    assert refused.value.errors == {"start": ["Bookings need at least 1 hour's notice."]}
    rule.min_notice_minutes = 45
    rule.save()  # as the admin does: the copy in memory is cleared at once
    with pytest.raises(BookingError) as refused:
        services.booking_create(teacher=alice, room_id=room.pk, start=soon, end=soon + timedelta(hours=1))
    assert refused.value.errors == {"start": ["Bookings need at least 45 minutes' notice."]}


def test_most_upcoming_bookings_per_teacher(alice, room):
    school_rule(max_upcoming_bookings=2)
    claim(alice, room, start=9, end=10)
    claim(alice, room, start=10, end=11)
    assert refusal(alice, room, start=11, end=12) == {
        "start": ["You can have at most 2 upcoming bookings; you have 2."]
    }
    assert claim(make_teacher(), room, start=11, end=12)  # another teacher's count is their own


def test_most_hours_per_week_per_teacher(alice, room):
    school_rule(max_hours_per_week=3)
    claim(alice, room, start=8, end=10)
    errors = refusal(alice, room, start=10, end=12)
    monday = timezone.localtime(at(10)).date() - timedelta(days=timezone.localtime(at(10)).weekday())
    assert errors == {
        "start": [
            f"You can book at most 3 hours a week; the week of {monday.day} {monday:%b} has 2 booked already."
        ]
    }
    assert claim(alice, room, start=10, end=11)


def test_longest_series(alice, room):
    school_rule(max_series_dates=3)
    start = at(10)
    with pytest.raises(BookingError) as refused:
        services.series_create(
            teacher=alice,
            room_id=room.pk,
            start=start,
            end=at(11),
            rule="weekly",
            until=timezone.localtime(start).date() + timedelta(weeks=4),
        )
    assert refused.value.errors == {
        "until": ["A series can have at most 3 dates; choose an earlier last date."]
    }
    assert not Booking.objects.exists()


def test_a_room_rule_overrides_the_school_and_a_group_rule_overrides_both(alice, bob, room):
    school_rule(max_length_minutes=60, max_days_ahead=14)
    long_room = make_room("Hall")
    BookingRule.objects.create(room=long_room, max_length_minutes=180)
    leadership = Group.objects.create(name="Leadership")
    BookingRule.objects.create(group=leadership, max_days_ahead=365)
    bob.groups.add(leadership)
    assert refusal(alice, room, start=9, end=11) == {"end": ["Bookings can be at most 1 hour long."]}
    assert claim(alice, long_room, start=9, end=11)  # the room's own limit
    assert refusal(alice, room, days=100) == {"start": ["Bookings can be made at most 14 days ahead."]}
    assert claim(bob, room, days=100)  # leadership may book a year ahead


def test_a_teacher_in_several_groups_gets_the_most_generous_limit(alice, room):
    school_rule(max_days_ahead=7)
    for name, days in (("Science", 30), ("Leadership", 90)):
        group = Group.objects.create(name=name)
        BookingRule.objects.create(group=group, max_days_ahead=days)
        alice.groups.add(group)
    assert claim(alice, room, days=80)


def test_a_room_only_some_groups_may_book(client, alice, bob, room):
    leadership = Group.objects.create(name="Leadership")
    BookingRule.objects.create(room=room).only_groups.add(leadership)
    bob.groups.add(leadership)
    assert refusal(alice, room) == {"room": ["Only Leadership can book Room 101."]}
    assert claim(bob, room)
    # The search leaves it out for others and says why.
    client.force_login(alice)
    day = timezone.localtime(at(12)).date().isoformat()
    response = client.get("/", {"date": day, "start": "12:00", "end": "13:00"})
    assert room not in response.context["rooms"]
    [closed] = response.context["unavailable"]
    assert (closed, closed.closed_reason) == (room, "only Leadership can book it")
    assert "Only Leadership can book it" in response.content.decode()


def test_refusals_over_http_are_400s_naming_the_field(client, alice, room):
    school_rule(max_length_minutes=60)
    client.force_login(alice)
    response = client.post(f"/rooms/{room.pk}/claim/", {"start": local(at(9)), "end": local(at(11))}, **JSON)
    assert response.status_code == 400
    assert response.json()["errors"] == {"end": ["Bookings can be at most 1 hour long."]}
    assert not Booking.objects.exists()
    # The hold refuses at once, before the dialog asks anything.
    response = client.post(f"/rooms/{room.pk}/hold/", {"start": local(at(9)), "end": local(at(11))}, **JSON)
    assert response.status_code == 400 and "end" in response.json()["errors"]


def test_the_admin_keeps_one_set_of_school_rules(admin_client):
    school_rule(max_length_minutes=60)
    response = admin_client.post("/admin/bookings/bookingrule/add/", {"max_days_ahead": "7"})
    assert response.status_code == 200
    assert "The school&#x27;s rules exist already" in response.content.decode()
    assert BookingRule.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_by_one_teacher_at_the_limit_let_exactly_one_through():
    school_rule(max_upcoming_bookings=1)
    alice = make_teacher("Alice Adams")
    rooms = [make_room(f"Room {n}") for n in range(6)]
    results = race([lambda room=room: claim(alice, room) for room in rooms])
    assert sum(isinstance(result, Booking) for result in results) == 1
    assert Booking.objects.filter(teacher=alice, status="confirmed").count() == 1
    refused = [result for result in results if isinstance(result, BookingError)]
    assert {result.errors["start"][0] for result in refused} == {
        "You can have at most 1 upcoming bookings; you have 1."
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_by_one_teacher_never_pass_the_weekly_hours():
    school_rule(max_hours_per_week=2)
    alice = make_teacher("Alice Adams")
    rooms = [make_room(f"Room {n}") for n in range(6)]
    results = race(
        [lambda n=n, room=room: claim(alice, room, start=8 + n, end=9 + n) for n, room in enumerate(rooms)]
    )
    assert sum(isinstance(result, Booking) for result in results) == 2
    assert Booking.objects.filter(teacher=alice, status="confirmed").count() == 2
