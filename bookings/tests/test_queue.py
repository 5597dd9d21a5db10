"""The lock queue: "Wait for this room" while another teacher confirms. The hold passes
to the first in line when the holder gives up, and the line hears when the holder books."""

import time
from datetime import datetime

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from bookings import locks, maintenance, services
from bookings.errors import BookingError
from tests.factories import at, local, make_booking, make_teacher
from tests.live import connect_socket

pytestmark = pytest.mark.django_db(transaction=True)  # events go out after commit
JSON = {"HTTP_ACCEPT": "application/json"}


def period(**extra):
    return {"start": local(at(10)), "end": local(at(11)), **extra}


def hold(teacher, room, **extra):
    return services.booking_hold(teacher=teacher, room_id=room.pk, start=at(10), end=at(11), **extra)


def seconds_until(moment: str) -> float:
    return (datetime.fromisoformat(moment) - timezone.now()).total_seconds()


def holder(room):
    return locks.acquire(room_id=room.pk, start=at(10), end=at(11), teacher_id=0).lock.holder_id


def test_waiting_over_http_answers_the_place_in_line(client, people, settings):
    alice, bob, room = people
    hold(alice, room)
    client.force_login(bob)
    response = client.post(f"/rooms/{room.pk}/queue/", period(), **JSON)
    assert response.status_code == 202
    body = response.json()
    assert body["message"] == "You are number 1 in line for this room."
    assert body["queue"]["position"] == 1
    assert body["queue"]["roomId"] == room.pk
    assert seconds_until(body["queue"]["heldUntil"]) == pytest.approx(settings.BOOKING_LOCK_SECONDS, abs=2)
    carol = make_teacher("Carol Cole")
    client.force_login(carol)
    assert client.post(f"/rooms/{room.pk}/queue/", period(), **JSON).json()["queue"]["position"] == 2
    client.force_login(bob)  # asking again keeps the place
    assert client.post(f"/rooms/{room.pk}/queue/", period(), **JSON).json()["queue"]["position"] == 1


def test_waiting_for_a_free_room_is_a_hold(client, people):
    alice, _, room = people
    client.force_login(alice)
    response = client.post(f"/rooms/{room.pk}/queue/", period(), **JSON)
    assert response.status_code == 200
    assert response.json()["hold"]["roomId"] == room.pk
    assert holder(room) == alice.pk


def test_waiting_for_a_booked_room_is_refused_with_the_waitlist_offered(client, people):
    alice, bob, room = people
    make_booking(room, alice, at(10), at(11))
    client.force_login(bob)
    response = client.post(f"/rooms/{room.pk}/queue/", period(), **JSON)
    assert response.status_code == 409
    assert response.json()["message"] == "Room already booked by Alice Adams"
    assert response.json()["canJoinWaitlist"] is True


def test_waiting_needs_a_teacher_and_a_valid_period(client, people):
    _, bob, room = people
    assert client.post(f"/rooms/{room.pk}/queue/", period(), **JSON).status_code == 401
    client.force_login(bob)
    response = client.post(f"/rooms/{room.pk}/queue/", {"start": "soon", "end": local(at(11))}, **JSON)
    assert response.status_code == 400
    assert "start" in response.json()["errors"]
    assert client.post("/rooms/999999/queue/", period(), **JSON).status_code == 404


def test_without_javascript_the_claim_page_offers_to_wait_and_then_shows_the_place(client, people):
    alice, bob, room = people
    hold(alice, room)
    client.force_login(bob)
    page = client.post(f"/rooms/{room.pk}/hold/", period())
    assert page.status_code == 409
    assert "Wait for this room" in page.content.decode()
    page = client.post(f"/rooms/{room.pk}/queue/", period())
    assert page.status_code == 200
    text = page.content.decode()
    assert "You are number 1 in line." in text and "Check my turn" in text
    services.booking_release(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    page = client.post(f"/rooms/{room.pk}/queue/", period())
    assert "Held for you until" in page.content.decode()


def test_cancelling_the_dialog_passes_the_hold_to_the_first_in_line(client, people):
    alice, bob, room = people
    carol = make_teacher("Carol Cole")
    hold(alice, room)
    hold(bob, room, wait=True)
    hold(carol, room, wait=True)
    client.force_login(alice)
    assert client.post(f"/rooms/{room.pk}/release/", period(), **JSON).json() == {"released": True}
    assert holder(room) == bob.pk
    with pytest.raises(BookingError) as refused:  # no gap for anyone else
        hold(carol, room)
    assert refused.value.code == "BOOKING_CONFLICT"
    booking = services.booking_create(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    assert booking.teacher == bob


def test_an_expired_hold_is_passed_on_by_the_sweeper(people):
    alice, bob, room = people
    locks.acquire(room_id=room.pk, start=at(10), end=at(11), teacher_id=alice.pk, ttl=0.2)
    hold(bob, room, wait=True)
    time.sleep(0.3)  # past the holder's lifetime: expiry is the store's guarantee
    assert maintenance.sweep().holds_handed == 1
    assert holder(room) == bob.pk


@pytest.mark.asyncio
async def test_the_first_in_line_hears_that_the_hold_is_theirs(people, settings):
    alice, bob, room = people
    bob_socket = await connect_socket(bob)
    await sync_to_async(hold)(alice, room)
    await sync_to_async(hold)(bob, room, wait=True)
    await sync_to_async(services.booking_release)(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    frame = await bob_socket.receive_json_from(timeout=2)
    assert frame["event"] == "roomAvailable"
    data = frame["data"]
    assert (data["roomId"], data["roomName"], data["fromQueue"]) == (room.pk, "Room 101", True)
    assert data["startTime"].startswith(local(at(10)))
    assert seconds_until(data["expiresAt"]) == pytest.approx(settings.BOOKING_LOCK_SECONDS, abs=2)
    assert data["claimUrl"].endswith(f"&room={room.pk}")
    await bob_socket.disconnect()


@pytest.mark.asyncio
async def test_when_the_holder_books_the_line_hears_the_room_is_taken(people):
    alice, bob, room = people
    carol = await sync_to_async(make_teacher)("Carol Cole")
    sockets = [await connect_socket(bob), await connect_socket(carol)]
    await sync_to_async(hold)(alice, room)
    await sync_to_async(hold)(bob, room, wait=True)
    await sync_to_async(hold)(carol, room, wait=True)
    await sync_to_async(services.booking_create)(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    for socket, teacher in zip(sockets, (bob, carol), strict=True):
        frames = [await socket.receive_json_from(timeout=2) for _ in range(2)]
        [conflict] = [frame["data"] for frame in frames if frame["event"] == "bookingConflict"]
        assert conflict["code"] == "ROOM_NOT_AVAILABLE"
        assert conflict["message"] == "Room already booked by Alice Adams"
        assert conflict["canJoinWaitlist"] is True
        assert conflict["userId"] == teacher.pk
        await socket.disconnect()
    dave = await sync_to_async(make_teacher)("Dave Dunn")
    with pytest.raises(BookingError) as refused:
        await sync_to_async(hold)(dave, room, wait=True)
    assert refused.value.code == "ROOM_NOT_AVAILABLE"


def test_a_database_failing_after_the_booking_commits_does_not_turn_it_into_an_error(people, monkeypatch):
    from django.db import OperationalError

    alice, bob, room = people
    hold(alice, room)
    hold(bob, room, wait=True)  # the line has someone to tell, so "who booked it" is looked up

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("bookings.services.holds.not_available", database_gone)
    booking = services.booking_create(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    assert booking.teacher == alice  # the answer is the booking, as committed
