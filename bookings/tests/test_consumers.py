"""The live channel: who hears what, over the real ASGI application."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from bookings import services
from bookings.broadcast import broadcast
from bookings.errors import BookingError
from config.asgi import application
from tests.factories import at, make_teacher
from tests.live import HOST, ORIGIN, LosesOneCancel, connect_socket, ends_when_cancelled, session_cookie

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def connect(teacher=None) -> WebsocketCommunicator:
    return await connect_socket(teacher)


async def test_anonymous_socket_is_closed():
    socket = WebsocketCommunicator(application, "/ws/bookings/", headers=[ORIGIN, HOST])
    connected, code = await socket.connect()
    assert not connected
    assert code == 4401
    await socket.disconnect()


@pytest.mark.parametrize(
    "origin", [b"http://evil.example", b"http://localhost:9999", b"https://localhost", b"null"]
)
async def test_socket_from_another_origin_is_refused(people, origin):
    alice, _, _ = people
    cookie = await sync_to_async(session_cookie)(alice)
    headers = [(b"origin", origin), HOST, (b"cookie", cookie)]
    socket = WebsocketCommunicator(application, "/ws/bookings/", headers=headers)
    connected, _ = await socket.connect()
    assert not connected
    await socket.disconnect()


async def test_frames_that_are_not_json_objects_get_an_error_and_the_socket_stays(people):
    alice, _, _ = people
    socket = await connect(alice)
    for frame in ("null", "[]", "not json", '"text"'):
        await socket.send_to(text_data=frame)
        assert (await socket.receive_json_from(timeout=2))["event"] == "error"
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await socket.receive_json_from(timeout=2))["event"] == "error"
    await socket.send_json_to({"event": "ping"})
    assert await socket.receive_json_from(timeout=2) == {"event": "pong"}
    await socket.disconnect()


async def test_booking_created_reaches_every_teacher(people):
    alice, bob, room = people
    sockets = [await connect(alice), await connect(bob)]
    booking = await sync_to_async(services.booking_create)(
        teacher=alice, room_id=room.pk, start=at(10), end=at(11)
    )
    for socket in sockets:
        frame = await socket.receive_json_from(timeout=2)
        assert frame["event"] == "bookingCreated"
        assert frame["data"]["id"] == booking.pk
        assert frame["data"]["roomName"] == "Room 101"
        assert frame["data"]["teacherName"] == "Alice Adams"
        await socket.disconnect()


async def test_every_tab_hears_each_event_once_in_the_order_it_happened(people):
    """What every page hears is passed on once per process (bookings/broadcast.py): each
    socket, however many a teacher has open, gets each event once, in order, and a
    socket that closed hears nothing more while the others go on."""
    alice, bob, room = people
    sockets = [await connect(alice), await connect(alice), await connect(bob)]
    closed = await connect(bob)
    await closed.disconnect()
    first = await sync_to_async(services.booking_create)(
        teacher=alice, room_id=room.pk, start=at(10), end=at(11)
    )
    await sync_to_async(services.booking_cancel)(booking_id=first.pk, teacher=alice)
    second = await sync_to_async(services.booking_create)(
        teacher=bob, room_id=room.pk, start=at(12), end=at(13)
    )
    for socket in sockets:
        heard = [await socket.receive_json_from(timeout=2) for _ in range(3)]
        assert [(frame["event"], frame["data"]["id"]) for frame in heard] == [
            ("bookingCreated", first.pk),
            ("bookingCancelled", first.pk),
            ("bookingCreated", second.pk),
        ]
        await socket.disconnect()


async def test_conflict_reaches_only_the_teacher_who_lost_in_every_tab(people):
    alice, bob, room = people
    alice_socket, bob_tab_1, bob_tab_2 = await connect(alice), await connect(bob), await connect(bob)
    await sync_to_async(services.booking_hold)(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    with pytest.raises(BookingError):
        await sync_to_async(services.booking_create)(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    for tab in (bob_tab_1, bob_tab_2):
        frame = await tab.receive_json_from(timeout=2)
        assert frame["event"] == "bookingConflict"
        assert frame["data"]["code"] == "BOOKING_CONFLICT"
        assert frame["data"]["message"] == "Another teacher is currently booking this room"
        assert frame["data"]["roomId"] == room.pk
        assert frame["data"]["userId"] == bob.pk
        assert frame["data"]["conflictingBooking"] is None
    assert await alice_socket.receive_nothing(timeout=0.3)
    for socket in (alice_socket, bob_tab_1, bob_tab_2):
        await socket.disconnect()


async def test_room_not_available_conflict_names_the_booking(people):
    alice, bob, room = people
    booking = await sync_to_async(services.booking_create)(
        teacher=alice, room_id=room.pk, start=at(10), end=at(11)
    )
    bob_socket = await connect(bob)
    with pytest.raises(BookingError):
        await sync_to_async(services.booking_create)(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    frame = await bob_socket.receive_json_from(timeout=2)
    assert frame["data"]["message"] == "Room already booked by Alice Adams"
    assert frame["data"]["conflictingBooking"]["id"] == booking.pk
    await bob_socket.disconnect()


async def test_cancelled_reaches_every_teacher(people):
    alice, bob, room = people
    booking = await sync_to_async(services.booking_create)(
        teacher=alice, room_id=room.pk, start=at(10), end=at(11)
    )
    sockets = [await connect(alice), await connect(bob)]
    await sync_to_async(services.booking_cancel)(booking_id=booking.pk, teacher=alice)
    for socket in sockets:
        frame = await socket.receive_json_from(timeout=2)
        assert frame["event"] == "bookingCancelled"
        assert frame["data"]["id"] == booking.pk
        assert frame["data"]["status"] == "cancelled"
        await socket.disconnect()


class Rollback(Exception):
    pass


def create_then_roll_back(teacher, room):
    with pytest.raises(Rollback), transaction.atomic():
        services.booking_create(teacher=teacher, room_id=room.pk, start=at(10), end=at(11))
        raise Rollback


async def test_nothing_is_sent_for_a_rolled_back_booking(people):
    alice, bob, room = people
    socket = await connect(bob)
    await sync_to_async(create_then_roll_back)(alice, room)
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_room_available_reaches_only_the_teacher_first_in_line(people):
    alice, bob, room = people
    carol = await sync_to_async(make_teacher)("Carol Cole")
    booking = await sync_to_async(services.booking_create)(
        teacher=alice, room_id=room.pk, start=at(10), end=at(11)
    )
    for teacher in (bob, carol):
        await sync_to_async(services.waitlist_join)(
            teacher=teacher, room_id=room.pk, start=at(10), end=at(11)
        )
    alice_socket, bob_socket, carol_socket = await connect(alice), await connect(bob), await connect(carol)
    await sync_to_async(services.booking_cancel)(booking_id=booking.pk, teacher=alice)
    for socket in (alice_socket, bob_socket, carol_socket):
        assert (await socket.receive_json_from(timeout=2))["event"] == "bookingCancelled"
    offer = await bob_socket.receive_json_from(timeout=2)
    assert offer["event"] == "roomAvailable"
    assert (offer["data"]["roomName"], offer["data"]["roomId"]) == ("Room 101", room.pk)
    assert offer["data"]["expiresAt"]
    assert await alice_socket.receive_nothing(timeout=0.3)
    assert await carol_socket.receive_nothing(timeout=0.3)
    for socket in (alice_socket, bob_socket, carol_socket):
        await socket.disconnect()


async def test_one_session_keeps_a_bounded_number_of_sockets_open(people, settings):
    settings.SOCKETS_PER_SESSION = 2
    alice, _, _ = people
    cookie = await sync_to_async(session_cookie)(alice)
    headers = [ORIGIN, HOST, (b"cookie", cookie)]
    sockets = [WebsocketCommunicator(application, "/ws/bookings/", headers=headers) for _ in range(3)]
    first, second, third = [await socket.connect() for socket in sockets]
    assert first[0] and second[0]
    assert third == (False, 4429)
    await sockets[0].disconnect()  # a tab closed: room for another
    again = WebsocketCommunicator(application, "/ws/bookings/", headers=headers)
    assert (await again.connect())[0]
    for socket in (*sockets[1:], again):
        await socket.disconnect()


@pytest.mark.parametrize("kind", ["teacher", "display"])
async def test_a_socket_ends_when_redis_lost_its_cancel_while_it_joined(people, monkeypatch, kind):
    """A server cancels a socket's task once the client has gone; a Redis call that lost
    that cancel (config/tasks.py) must not leave the task waiting for messages for ever."""
    alice, _, room = people
    lost = LosesOneCancel()
    monkeypatch.setattr(broadcast, "ready", lost.wait)  # joining the live channel
    if kind == "teacher":
        cookie = await sync_to_async(session_cookie)(alice)
        socket = WebsocketCommunicator(
            application, "/ws/bookings/", headers=[ORIGIN, HOST, (b"cookie", cookie)]
        )
    else:
        path = f"/ws/rooms/{room.pk}/display/?key={room.display_key}"
        socket = WebsocketCommunicator(application, path, headers=[ORIGIN, HOST])
    await socket.send_input({"type": "websocket.connect"})
    assert await ends_when_cancelled(socket.future, lost)


async def test_a_request_and_its_decline_reach_every_teacher_without_the_reason(people):
    from django.contrib.auth.models import Group

    from bookings.models import BookingRule

    alice, bob, room = people

    def rule():
        leadership = Group.objects.create(name="Leadership")
        BookingRule.objects.create(room=room, approvers=leadership)
        bob.groups.add(leadership)

    await sync_to_async(rule)()
    sockets = [await connect(alice), await connect(bob)]
    request = await sync_to_async(services.booking_create)(
        teacher=alice, room_id=room.pk, start=at(10), end=at(11)
    )
    for socket in sockets:
        frame = await socket.receive_json_from(timeout=2)
        assert frame["event"] == "bookingRequested"
        assert (frame["data"]["id"], frame["data"]["status"]) == (request.pk, "requested")
        assert frame["data"]["decideBy"] is not None
    await sync_to_async(services.booking_decide)(
        booking_id=request.pk, approver=bob, approve=False, reason="Exams"
    )
    for socket in sockets:
        frame = await socket.receive_json_from(timeout=2)
        assert frame["event"] == "bookingDeclined"
        assert (frame["data"]["status"], frame["data"]["decidedBy"]) == ("declined", "Bob Brown")
        assert "decisionReason" not in frame["data"]  # the reason is the teacher's to read
        await socket.disconnect()
