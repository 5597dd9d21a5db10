"""Real races on PostgreSQL and Redis: real threads, each with its own connection.

SQLite ignores ``select_for_update``, so these prove nothing there and run only in the
PostgreSQL pass.
"""

import random
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from bookings import services
from bookings.errors import BOOKING_CONFLICT, ROOM_NOT_AVAILABLE, BookingError
from bookings.integrity import overlapping_pairs
from bookings.models import Booking
from tests.factories import at, make_booking, make_room, make_teacher
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def claim_by(teacher, room, start, end):
    return lambda: services.booking_create(teacher=teacher, room_id=room.pk, start=start, end=end)


def test_concurrent_claims_of_one_slot_have_exactly_one_winner():
    room = make_room("Room 101")
    teachers = [make_teacher(f"Teacher {n}") for n in range(1, 21)]
    results = race([claim_by(teacher, room, at(10), at(11)) for teacher in teachers])

    winners = [result for result in results if isinstance(result, Booking)]
    losers = [result for result in results if isinstance(result, BookingError)]
    assert len(winners) == 1
    assert len(losers) == 19
    assert {loser.status for loser in losers} == {409}
    winner_name = winners[0].teacher.name
    for loser in losers:
        assert (loser.code, loser.message) in {
            (BOOKING_CONFLICT, "Another teacher is currently booking this room"),
            (ROOM_NOT_AVAILABLE, f"Room already booked by {winner_name}"),
        }
    assert Booking.objects.count() == 1


def test_overlapping_periods_race_past_the_lock_and_the_row_lock_stops_them():
    # Each period is different, so each teacher gets their own cache lock: only the
    # room row lock and the overlap check stand between them.
    room = make_room("Room 101")
    periods = [(at(10 + n * 0.25), at(11 + n * 0.25)) for n in range(8)]
    teachers = [make_teacher() for _ in periods]
    results = race([claim_by(t, room, start, end) for t, (start, end) in zip(teachers, periods, strict=True)])

    winners = [result for result in results if isinstance(result, Booking)]
    assert len(winners) >= 1
    assert all(r.code == ROOM_NOT_AVAILABLE for r in results if isinstance(r, BookingError))
    assert overlapping_pairs() == 0
    assert Booking.objects.count() == len(winners)


def test_different_slots_by_different_teachers_all_succeed_at_once():
    rooms = [make_room() for _ in range(4)]
    attempts = [
        claim_by(make_teacher(), room, at(hour), at(hour + 1)) for room in rooms for hour in (9, 10, 11)
    ]
    results = race(attempts)
    assert all(isinstance(result, Booking) for result in results)
    assert Booking.objects.count() == 12


def test_many_random_overlapping_claims_store_no_overlap():
    rooms = [make_room() for _ in range(3)]
    teachers = [make_teacher() for _ in range(10)]
    rng = random.Random(20261125)
    attempts = []
    for _ in range(120):
        start = at(8 + rng.randrange(0, 16) * 0.25)
        attempts.append(
            claim_by(rng.choice(teachers), rng.choice(rooms), start, start + timedelta(minutes=45))
        )

    results = []
    for batch in range(0, len(attempts), 24):
        results += race(attempts[batch : batch + 24])
    wins = sum(isinstance(result, Booking) for result in results)
    assert overlapping_pairs() == 0
    assert Booking.objects.count() == wins
    assert all(r.status == 409 for r in results if isinstance(r, BookingError))


def test_exclusion_constraint_rejects_a_raw_overlapping_insert():
    room, teacher = make_room(), make_teacher()
    make_booking(room, teacher, at(10), at(11))
    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        make_booking(room, teacher, at(10.5), at(11.5))
    make_booking(room, teacher, at(11), at(12))  # half-open: touching is fine
    make_booking(room, teacher, at(10), at(11), status="cancelled")  # cancelled never blocks
    assert Booking.objects.filter(status="confirmed").count() == 2


def test_exclusion_constraint_violation_becomes_room_not_available(monkeypatch):
    # Skip the application's own check, as a buggy script might: the database still
    # refuses, and the teacher gets the same answer, not a 500.
    room, alice, bob = make_room(), make_teacher("Alice Adams"), make_teacher("Bob Brown")
    make_booking(room, alice, at(10), at(11))
    monkeypatch.setattr("bookings.services.claim.check_free", lambda room, **period: None)
    with pytest.raises(BookingError) as raised:
        services.booking_create(teacher=bob, room_id=room.pk, start=at(10.5), end=at(11.5))
    assert raised.value.code == ROOM_NOT_AVAILABLE
    assert raised.value.message == "Room already booked by Alice Adams"
    assert Booking.objects.count() == 1


def test_lock_is_released_after_every_outcome_of_a_race():
    room = make_room()
    teachers = [make_teacher() for _ in range(10)]
    race([claim_by(teacher, room, at(10), at(11)) for teacher in teachers])
    latecomer = make_teacher()
    # Nobody is left holding the lock: a latecomer is told the room is taken, not locked.
    with pytest.raises(BookingError) as raised:
        services.booking_hold(teacher=latecomer, room_id=room.pk, start=at(10), end=at(11))
    assert raised.value.code == ROOM_NOT_AVAILABLE
