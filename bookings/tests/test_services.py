"""The booking service's rules. Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings import locks, services
from bookings.errors import (
    BOOKING_CONFLICT,
    BOOKING_NOT_FOUND,
    INVALID_INPUT,
    ROOM_NOT_AVAILABLE,
    ROOM_NOT_FOUND,
    BookingError,
)
from bookings.models import Booking
from tests.factories import at, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db


def claim(teacher, room, start=None, end=None, **fields):
    return services.booking_create(
        teacher=teacher, room_id=room.pk, start=start or at(10), end=end or at(11), **fields
    )


def assert_unlocked(room, start=None, end=None):
    """Nobody holds the room's lock: a fresh teacher could take it."""
    stranger = make_teacher()
    attempt = locks.acquire(room_id=room.pk, start=start or at(10), end=end or at(11), teacher_id=stranger.pk)
    assert attempt.acquired, f"lock still held by teacher {attempt.lock.holder_id}"


def test_claim_books_the_room(alice, room):
    booking = claim(alice, room, attendees=25, purpose="Year 9 chemistry")
    stored = Booking.objects.get()
    assert stored == booking
    assert (stored.room, stored.teacher, stored.start, stored.end) == (room, alice, at(10), at(11))
    assert stored.status == Booking.Status.CONFIRMED
    assert (stored.attendees, stored.purpose) == (25, "Year 9 chemistry")


def test_second_teacher_gets_booking_conflict_while_first_holds(alice, bob, room):
    services.booking_hold(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    with pytest.raises(BookingError) as raised:
        claim(bob, room)
    assert raised.value.code == BOOKING_CONFLICT
    assert raised.value.message == "Another teacher is currently booking this room"
    assert raised.value.status == 409
    assert not Booking.objects.exists()


def test_holder_proceeds_with_the_claim(alice, bob, room):
    services.booking_hold(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    assert claim(alice, room).teacher == alice


def test_taken_room_names_the_teacher_who_has_it(alice, bob, room):
    first = claim(alice, room)
    with pytest.raises(BookingError) as raised:
        claim(bob, room)
    assert raised.value.code == ROOM_NOT_AVAILABLE
    assert raised.value.message == "Room already booked by Alice Adams"
    assert raised.value.conflicting_booking == first
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [(9.5, 10.5), (10.5, 11.5), (10.25, 10.75), (9, 12), (10, 11)],
    ids=["overlaps-start", "overlaps-end", "inside", "around", "identical"],
)
def test_overlapping_periods_are_refused(alice, bob, room, start, end):
    claim(alice, room)
    with pytest.raises(BookingError) as raised:
        claim(bob, room, at(start), at(end))
    assert raised.value.code == ROOM_NOT_AVAILABLE


def test_half_open_edges_do_not_overlap(alice, bob, room):
    claim(alice, room)
    claim(bob, room, at(11), at(12))
    claim(bob, room, at(9), at(10))
    assert Booking.objects.count() == 3


def test_different_slots_and_rooms_all_succeed(alice, bob, room):
    other = make_room()
    claim(alice, room, at(10), at(11))
    claim(bob, room, at(11), at(12))
    claim(bob, other, at(10), at(11))
    assert Booking.objects.count() == 3


def test_earliest_overlapping_booking_is_named(alice, bob, room):
    carol = make_teacher("Carol Cole")
    make_booking(room, carol, at(11), at(12))
    make_booking(room, alice, at(9), at(10.5))
    with pytest.raises(BookingError) as raised:
        claim(bob, room, at(10), at(12))
    assert raised.value.message == "Room already booked by Alice Adams"


def test_cancelled_bookings_do_not_block(alice, bob, room):
    make_booking(room, alice, at(10), at(11), status=Booking.Status.CANCELLED)
    assert claim(bob, room).teacher == bob


def test_lock_is_released_after_success(alice, room):
    claim(alice, room)
    assert_unlocked(room)


@pytest.mark.parametrize(
    "make_failure",
    [
        lambda teacher, room: claim(teacher, room),  # room taken
        lambda teacher, room: claim(teacher, room, attendees=room.capacity + 1),  # too many
        lambda teacher, room: services.booking_create(
            teacher=teacher, room_id=room.pk + 999, start=at(10), end=at(11)
        ),  # no such room: checks the other key below
    ],
    ids=["room-taken", "too-many-attendees", "room-not-found"],
)
def test_lock_is_released_after_every_failure(alice, bob, room, make_failure):
    make_booking(room, alice, at(10), at(11))
    with pytest.raises(BookingError):
        make_failure(bob, room)
    assert_unlocked(room)
    assert_unlocked(type(room)(pk=room.pk + 999))


def test_lock_is_released_after_a_closed_room_refuses(bob, room):
    room.is_active = False
    room.save()
    with pytest.raises(BookingError) as raised:
        claim(bob, room)
    assert raised.value.code == ROOM_NOT_AVAILABLE
    assert raised.value.message == "Room is not available for the selected time period"
    assert_unlocked(room)


def test_other_teachers_lock_survives_a_refused_claim(alice, bob, room):
    services.booking_hold(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    with pytest.raises(BookingError):
        claim(bob, room)
    assert not locks.acquire(room_id=room.pk, start=at(10), end=at(11), teacher_id=bob.pk).acquired


def test_unknown_room_is_not_found(alice):
    with pytest.raises(BookingError) as raised:
        services.booking_create(teacher=alice, room_id=424242, start=at(10), end=at(11))
    assert raised.value.code == ROOM_NOT_FOUND
    assert raised.value.status == 404


def test_more_attendees_than_seats_names_the_field(alice, room):
    with pytest.raises(BookingError) as raised:
        claim(alice, room, attendees=31)
    assert raised.value.code == INVALID_INPUT
    assert list(raised.value.errors) == ["attendees"]
    assert not Booking.objects.exists()


def test_hold_fails_early_when_the_room_is_taken(alice, bob, room):
    claim(alice, room)
    with pytest.raises(BookingError) as raised:
        services.booking_hold(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    assert raised.value.message == "Room already booked by Alice Adams"
    assert_unlocked(room)


def test_release_gives_the_hold_up(alice, bob, room):
    services.booking_hold(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    assert not services.booking_release(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    assert services.booking_release(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    assert claim(bob, room).teacher == bob


def test_cancel_frees_the_slot(alice, bob, room):
    booking = claim(alice, room)
    cancelled = services.booking_cancel(booking_id=booking.pk, teacher=alice)
    assert cancelled.status == Booking.Status.CANCELLED
    assert cancelled.cancelled_at is not None
    assert claim(bob, room).teacher == bob


def test_another_teachers_booking_cannot_be_cancelled(alice, bob, room):
    booking = claim(alice, room)
    with pytest.raises(BookingError) as raised:
        services.booking_cancel(booking_id=booking.pk, teacher=bob)
    assert raised.value.code == BOOKING_NOT_FOUND
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_admin_may_cancel_any_booking(alice, bob, room):
    booking = claim(alice, room)
    admin = make_teacher("Admin", is_staff=True)
    assert services.booking_cancel(booking_id=booking.pk, teacher=admin, as_admin=True).status == "cancelled"


def test_ended_booking_cannot_be_cancelled(alice, room):
    now = timezone.now()
    booking = make_booking(room, alice, now - timezone.timedelta(hours=2), now - timezone.timedelta(hours=1))
    with pytest.raises(BookingError) as raised:
        services.booking_cancel(booking_id=booking.pk, teacher=alice)
    assert list(raised.value.errors) == ["booking"]


def data_statements(captured):
    """Statements that read or write data, leaving out BEGIN/COMMIT/SAVEPOINT."""
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
    return [q["sql"] for q in captured if not q["sql"].upper().startswith(control)]


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction around it
def test_a_claim_costs_two_queries_on_postgresql_and_three_elsewhere(school_settings_loaded, alice, room):
    # Lock the room row, insert (PostgreSQL's exclusion constraint refuses an overlap);
    # where there is no such constraint, look for an overlap in between.
    with CaptureQueriesContext(connection) as captured:
        claim(alice, room)
    statements = data_statements(captured.captured_queries)
    assert len(statements) == (2 if connection.vendor == "postgresql" else 3), statements


def test_a_hold_costs_two_queries(alice, room, school_settings_loaded):
    with CaptureQueriesContext(connection) as captured:
        services.booking_hold(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    assert len(data_statements(captured.captured_queries)) == 2
