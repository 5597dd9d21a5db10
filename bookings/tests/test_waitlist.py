"""The waitlist: join a taken room, first come first offered, offers that lapse pass on."""

import time

import pytest
from django.core import mail
from django.utils import timezone

from bookings import notifications, services, waitlist
from bookings.errors import BOOKING_CONFLICT, BookingError
from bookings.integrity import overlapping_pairs
from bookings.models import Booking, Notification, WaitlistEntry
from tests.factories import at, local, make_booking, make_room, make_teacher
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)  # offers are made after commit
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def taken():
    """Room 101, booked 10:00-11:00 tomorrow by Alice."""
    room = make_room("Room 101")
    alice = make_teacher("Alice Adams")
    booking = make_booking(room, alice, at(10), at(11))
    return room, alice, booking


def join(teacher, room, start=10, end=11):
    return services.waitlist_join(teacher=teacher, room_id=room.pk, start=at(start), end=at(end))


def test_joining_needs_the_room_to_be_taken():
    room, bob = make_room(), make_teacher()
    with pytest.raises(BookingError) as raised:
        join(bob, room)
    assert list(raised.value.errors) == ["start"]


def test_joining_twice_is_one_entry(taken):
    room, _, _ = taken
    bob = make_teacher()
    assert join(bob, room) == join(bob, room)
    assert WaitlistEntry.objects.count() == 1


def test_cancellation_offers_the_room_to_the_first_in_line(taken):
    room, alice, booking = taken
    bob, carol = make_teacher("Bob"), make_teacher("Carol")
    first, second = join(bob, room), join(carol, room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("offered", "waiting")
    assert first.offer_expires_at is not None
    # The offer holds the booking lock for Bob: Carol cannot take the period meanwhile.
    with pytest.raises(BookingError) as raised:
        services.booking_create(teacher=carol, room_id=room.pk, start=at(10), end=at(11))
    assert raised.value.code == BOOKING_CONFLICT
    assert services.booking_create(teacher=bob, room_id=room.pk, start=at(10), end=at(11)).teacher == bob


def test_entries_whose_period_is_still_taken_are_passed_over(taken):
    room, alice, booking = taken
    dave = make_teacher("Dave")
    make_booking(room, dave, at(11), at(12))
    bob, carol = make_teacher("Bob"), make_teacher("Carol")
    longer = join(bob, room, 10, 12)  # 11-12 stays taken by Dave
    exact = join(carol, room, 10, 11)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    longer.refresh_from_db()
    exact.refresh_from_db()
    assert (longer.status, exact.status) == ("waiting", "offered")


def test_an_offer_not_taken_in_time_passes_to_the_next(taken, settings):
    settings.WAITLIST_OFFER_SECONDS = 0.2
    room, alice, booking = taken
    bob, carol = make_teacher("Bob"), make_teacher("Carol")
    first, second = join(bob, room), join(carol, room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    time.sleep(0.3)  # past the offer's window
    assert waitlist.expire_offers() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("expired", "offered")


def test_a_taken_offer_is_closed_as_booked(taken, settings):
    settings.WAITLIST_OFFER_SECONDS = 0.2
    room, alice, booking = taken
    bob = make_teacher("Bob")
    entry = join(bob, room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    services.booking_create(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    time.sleep(0.3)
    waitlist.expire_offers()
    entry.refresh_from_db()
    assert entry.status == "booked"


def test_leaving_an_offer_passes_it_on(taken):
    room, alice, booking = taken
    bob, carol = make_teacher("Bob"), make_teacher("Carol")
    first, second = join(bob, room), join(carol, room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    services.waitlist_leave(teacher=bob, entry_id=first.pk)
    second.refresh_from_db()
    assert second.status == "offered"
    assert services.booking_create(teacher=carol, room_id=room.pk, start=at(10), end=at(11)).teacher == carol


def test_entries_expire_when_their_period_has_ended(taken):
    room, _, _ = taken
    entry = join(make_teacher(), room)
    WaitlistEntry.objects.filter(pk=entry.pk).update(start=at(-1, days=0), end=at(0, days=0))
    waitlist.expire_offers()
    entry.refresh_from_db()
    assert entry.status == "expired"


def test_the_offer_is_emailed(taken):
    room, alice, booking = taken
    bob = make_teacher("Bob", email="bob@school.example")
    join(bob, room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    assert Notification.objects.get().kind == Notification.Kind.WAITLIST_OFFER
    notifications.send_pending()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["bob@school.example"]
    assert "Room 101 is free for you" in mail.outbox[0].subject


def test_waitlist_over_http(client, taken):
    room, _, _ = taken
    bob = make_teacher("Bob")
    client.force_login(bob)
    fields = {"start": local(at(10)), "end": local(at(11))}
    response = client.post(f"/rooms/{room.pk}/waitlist/", fields, **JSON)
    assert response.status_code == 201
    entry = response.json()["entry"]
    assert (entry["roomName"], entry["status"]) == ("Room 101", "waiting")
    assert "Room 101" in client.get("/bookings/").content.decode()
    page = client.post(f"/waitlist/{entry['id']}/leave/", follow=True)
    assert page.redirect_chain == [("/bookings/", 303)]
    assert WaitlistEntry.objects.get().status == "left"


def test_waitlist_bad_input_and_strangers(client, taken):
    room, _, _ = taken
    entry = join(make_teacher("Bob"), room)
    assert client.post(f"/rooms/{room.pk}/waitlist/", {"start": "x"}, **JSON).status_code == 401
    client.force_login(make_teacher("Mallory"))
    assert client.post(f"/rooms/{room.pk}/waitlist/", {"start": "x", "end": "y"}, **JSON).status_code == 400
    assert client.post(f"/waitlist/{entry.pk}/leave/", **JSON).status_code == 404
    assert (
        client.post(
            "/rooms/99999/waitlist/", {"start": local(at(10)), "end": local(at(11))}, **JSON
        ).status_code
        == 404
    )
    entry.refresh_from_db()
    assert entry.status == "waiting"


@pytest.mark.postgres
def test_two_teachers_racing_for_an_offer_only_the_offered_one_wins(taken):

    room, alice, booking = taken
    bob, carol = make_teacher("Bob"), make_teacher("Carol")
    join(bob, room)
    join(carol, room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    attempts = [
        lambda teacher=teacher: services.booking_create(
            teacher=teacher, room_id=room.pk, start=at(10), end=at(11)
        )
        for teacher in (carol, bob, carol, bob)
    ]
    results = race(attempts)
    winners = [r for r in results if isinstance(r, Booking)]
    assert len(winners) == 1
    assert winners[0].teacher == bob
    assert Booking.objects.filter(status="confirmed").count() == 1


def test_an_offer_links_to_the_search_for_its_period(client, taken):
    room, alice, booking = taken
    bob = make_teacher("Bob")
    join(bob, room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    client.force_login(bob)
    [entry] = client.get("/bookings/", **JSON).json()["waitlist"]
    start, end = local(at(10)), local(at(11))
    assert entry["claimUrl"] == f"/?date={start[:10]}&start={start[11:]}&end={end[11:]}&room={room.pk}"
    page = client.get(entry["claimUrl"]).content.decode()
    assert f'data-open-room="{room.pk}"' in page  # the dialog opens by itself
    assert f'href="{entry["claimUrl"].replace("&", "&amp;")}"' in client.get("/bookings/").content.decode()


def test_an_offer_holds_the_room_against_any_overlapping_claim_for_its_window(taken, settings):
    settings.WAITLIST_OFFER_SECONDS = 300
    room, alice, booking = taken
    bob, carol = make_teacher("Bob"), make_teacher("Carol")
    entry = join(bob, room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    entry.refresh_from_db()
    assert 295 < (entry.offer_expires_at - timezone.now()).total_seconds() <= 300
    with pytest.raises(BookingError) as raised:  # a different, overlapping period
        services.booking_create(teacher=carol, room_id=room.pk, start=at(10), end=at(10.75))
    assert raised.value.code == "ROOM_NOT_AVAILABLE"
    assert raised.value.message.startswith("Room is held for a teacher on the waitlist until ")
    assert services.booking_create(teacher=bob, room_id=room.pk, start=at(10), end=at(11)).teacher == bob
    entry.refresh_from_db()
    assert entry.status == "booked"


def test_the_search_hides_an_offered_room_from_others_and_pins_it_for_the_offered(taken, client):
    room, alice, booking = taken
    bob, carol = make_teacher("Bob"), make_teacher("Carol")
    join(bob, room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    start, end = local(at(10)), local(at(11))
    query = {"date": start[:10], "start": start[11:], "end": end[11:], "room": room.pk}
    client.force_login(carol)
    assert room not in client.get("/", query).context["rooms"]
    client.force_login(bob)
    assert client.get("/", query).context["rooms"][0] == room


def test_an_offer_keeps_the_group_size_and_others_see_the_room_held_for_a_colleague(taken, client):
    room, alice, booking = taken
    bob, carol = make_teacher("Bob"), make_teacher("Carol")
    start, end = local(at(10)), local(at(11))
    client.force_login(bob)
    joined = client.post(
        f"/rooms/{room.pk}/waitlist/", {"start": start, "end": end, "attendees": "20"}, **JSON
    )
    assert joined.status_code == 201
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    [entry] = client.get("/bookings/", **JSON).json()["waitlist"]
    assert "capacity=20" in entry["claimUrl"]
    assert client.get(entry["claimUrl"]).context["search"]["seats"] == 20  # "Claim it" asks for 20
    client.force_login(carol)
    page = client.get("/", {"date": start[:10], "start": start[11:], "end": end[11:]}).content.decode()
    until = timezone.localtime(WaitlistEntry.objects.get().offer_expires_at)
    assert f"Held for a colleague on the waitlist until {until:%H:%M}" in page


def test_the_offer_email_states_the_window(taken, settings):
    settings.WAITLIST_OFFER_SECONDS = 600
    room, alice, booking = taken
    join(make_teacher("Bob", email="bob@school.example"), room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    notifications.send_pending()
    [offer] = [message for message in mail.outbox if message.to == ["bob@school.example"]]
    assert "It is held for you for 10 minutes, until " in offer.body


@pytest.mark.postgres
def test_racing_overlapping_claims_during_an_offer_lose_to_the_offered_teacher(taken):
    room, alice, booking = taken
    bob = make_teacher("Bob")
    others = [make_teacher(f"Other {n}") for n in range(6)]
    join(bob, room)
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    periods = [(10, 10.5), (10.25, 11), (10.5, 11.5), (9.5, 10.25), (10, 11), (10.75, 12)]
    attempts = [
        lambda teacher=teacher, period=period: services.booking_create(
            teacher=teacher, room_id=room.pk, start=at(period[0]), end=at(period[1])
        )
        for teacher, period in zip(others, periods, strict=True)
    ]
    attempts.append(lambda: services.booking_create(teacher=bob, room_id=room.pk, start=at(10), end=at(11)))
    results = race(attempts)
    assert isinstance(results[-1], Booking) and results[-1].teacher == bob
    held = [r for r in results[:-1] if isinstance(r, BookingError)]
    assert len(held) == len(others)  # every overlapping claim by someone else is refused
    assert overlapping_pairs() == 0
