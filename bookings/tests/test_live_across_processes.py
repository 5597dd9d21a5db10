"""Two server processes, one Redis: an event published by one reaches sockets on the other."""

import asyncio
import json

import pytest
import websockets

from tests.factories import PASSWORD, at, local
from tests.servers import logged_in_client

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def open_socket(base_url, client):
    ws_url = base_url.replace("http://", "ws://") + "/ws/bookings/"
    cookie = f"sessionid={client.cookies['sessionid']}"
    return await websockets.connect(ws_url, origin=base_url, additional_headers={"Cookie": cookie})


async def next_event(socket, name, timeout=5):
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["event"] == name:
                return frame


async def test_claim_on_one_process_reaches_sockets_on_the_other(live_servers, people):
    first, second = live_servers.urls
    alice, bob, room = people
    alice_http = await logged_in_client(first, alice.username, PASSWORD)
    bob_http = await logged_in_client(second, bob.username, PASSWORD)
    bob_socket = await open_socket(second, bob_http)
    alice_socket = await open_socket(first, alice_http)
    try:
        response = await alice_http.post(
            f"/rooms/{room.pk}/claim/", data={"start": local(at(10)), "end": local(at(11))}
        )
        assert response.status_code == 201
        for socket in (bob_socket, alice_socket):
            frame = await next_event(socket, "bookingCreated")
            assert frame["data"]["id"] == response.json()["booking"]["id"]
            assert frame["data"]["teacherName"] == "Alice Adams"

        # Bob, on the other process, loses: only his socket hears about it.
        conflict = await bob_http.post(
            f"/rooms/{room.pk}/claim/", data={"start": local(at(10)), "end": local(at(11))}
        )
        assert conflict.status_code == 409
        frame = await next_event(bob_socket, "bookingConflict")
        assert frame["data"]["message"] == "Room already booked by Alice Adams"
    finally:
        for closable in (bob_socket, alice_socket):
            await closable.close()
        for client in (alice_http, bob_http):
            await client.aclose()


async def test_anonymous_socket_is_refused_by_the_server(live_servers):
    url = live_servers.urls[0]
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url.replace("http://", "ws://") + "/ws/bookings/", origin=url)
    assert refused.value.response.status_code == 403
