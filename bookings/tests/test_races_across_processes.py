"""Races between two server processes sharing PostgreSQL and Redis, as a school runs them:
the lock queue is first come, first served, and a waitlist offer holds its room against
every overlapping claim, whichever process each request reaches."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from bookings.integrity import overlapping_pairs
from bookings.models import Booking
from tests.factories import PASSWORD, at, local, make_booking, make_room, make_teacher
from tests.servers import logged_in_client

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

PERIOD = {"start": local(at(10)), "end": local(at(11))}


@pytest.fixture
def room():
    return make_room("Room 101")


@pytest.fixture
def make_teachers():
    """Teachers made here, on the test's own thread and database connection."""
    return lambda *names: [make_teacher(name) for name in names]


async def clients(servers, teachers):
    """One logged-in client per teacher, spread over the two processes in turn."""
    logins = [
        logged_in_client(servers.urls[n % 2], teacher.username, PASSWORD)
        for n, teacher in enumerate(teachers)
    ]
    return list(await asyncio.gather(*logins))


async def db(query):
    """A database read from the async test, on a worker thread whose connection is
    closed afterwards (the test database is dropped at the end of the run)."""

    def run():
        try:
            return query()
        finally:
            connections.close_all()

    return await sync_to_async(run)()


async def close(*groups):
    for group in groups:
        for client in group:
            await client.aclose()


@pytest.fixture
def line(make_teachers):
    """A holder, eight teachers who will wait and four who will try to push in."""
    return (
        make_teachers("Holder"),
        make_teachers(*[f"Waiter {n}" for n in range(8)]),
        make_teachers(*[f"Intruder {n}" for n in range(4)]),
    )


async def test_the_lock_queue_is_first_come_first_served_across_processes(live_servers, room, line):
    [holder] = await clients(live_servers, line[0])
    waiters = await clients(live_servers, line[1])
    intruders = await clients(live_servers, line[2])
    url = f"/rooms/{room.pk}"
    try:
        assert (await holder.post(f"{url}/hold/", data=PERIOD)).status_code == 200

        # Everyone queues at once, on both processes: each gets a place of their own.
        answers = await asyncio.gather(*(waiter.post(f"{url}/queue/", data=PERIOD) for waiter in waiters))
        assert [answer.status_code for answer in answers] == [202] * len(waiters)
        places = [answer.json()["queue"]["position"] for answer in answers]
        assert sorted(places) == list(range(1, len(waiters) + 1))
        in_line = [
            waiter for _, waiter in sorted(zip(places, waiters, strict=True), key=lambda pair: pair[0])
        ]

        # Intruders hammer the hold on both processes while the lock passes down the line.
        stop = asyncio.Event()
        intruder_codes: list[int] = []

        async def intrude(client):
            while not stop.is_set():
                intruder_codes.append((await client.post(f"{url}/hold/", data=PERIOD)).status_code)

        hammering = [asyncio.create_task(intrude(client)) for client in intruders]
        current = holder
        for turn, waiter in enumerate(in_line):
            released = await current.post(f"{url}/release/", data=PERIOD)
            assert released.json() == {"released": True}
            # The hold is the next waiter's at once: asking again renews it (200), while
            # everyone after them in line is still refused.
            assert (await waiter.post(f"{url}/hold/", data=PERIOD)).status_code == 200, f"turn {turn}"
            for later in in_line[turn + 1 : turn + 2]:
                assert (await later.post(f"{url}/hold/", data=PERIOD)).status_code == 409
            current = waiter
        booked = await current.post(f"{url}/claim/", data=PERIOD)
        stop.set()
        await asyncio.gather(*hammering)
        assert booked.status_code == 201
        assert intruder_codes and set(intruder_codes) <= {409}  # never once did an intruder get in
        assert await db(Booking.objects.filter(room=room, status="confirmed").count) == 1
    finally:
        await close([holder], waiters, intruders)


@pytest.fixture
def offer(room, make_teachers):
    """Alice has booked Room 101 from 10:00 to 11:00; Bob and six others want it."""
    alice, bob = make_teachers("Alice Adams", "Bob Brown")
    booking = make_booking(room, alice, at(10), at(11))
    return booking, alice, bob, make_teachers(*[f"Other {n}" for n in range(6)])


async def test_a_waitlist_offer_holds_its_room_against_overlapping_claims_on_both_processes(
    live_servers, room, offer
):
    booking, alice, bob, other_teachers = offer
    alice_http, bob_http = await clients(live_servers, [alice, bob])
    others = await clients(live_servers, other_teachers)
    url = f"/rooms/{room.pk}"
    try:
        assert (await bob_http.post(f"{url}/waitlist/", data=PERIOD)).status_code == 201
        cancelled = await alice_http.post(f"/bookings/{booking.pk}/cancel/")
        assert cancelled.status_code == 200  # the offer to Bob is made as the cancellation commits

        overlapping = [(10, 10.5), (10.25, 11), (10.5, 11.5), (9.5, 10.25), (10, 11), (10.75, 12)]
        claims = [
            client.post(f"{url}/claim/", data={"start": local(at(begins)), "end": local(at(ends))})
            for client, (begins, ends) in zip(others, overlapping, strict=True)
        ]
        claims.append(bob_http.post(f"{url}/claim/", data=PERIOD))
        *refused, bobs = await asyncio.gather(*claims)
        assert bobs.status_code == 201 and bobs.json()["booking"]["teacherId"] == bob.pk
        assert [answer.status_code for answer in refused] == [409] * len(others)
        assert await db(overlapping_pairs) == 0
    finally:
        await close([alice_http, bob_http], others)
