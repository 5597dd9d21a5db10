"""Truthful under faults, in-process: a lock store that is down, Redis dying between hold
and claim, a room row held by a stuck transaction, a waitlist offer that fails after its
cancellation committed, overload, and Django's last resort. Each fault is real (a closed
port, a killed redis-server, a second connection holding a lock), never a mock.

The whole system under faults (two servers, a proxy in front of PostgreSQL) is
``tests/faults`` (``make test-faults``)."""

import asyncio
import logging
import time

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from bookings import locks, services, waitlist
from bookings.errors import ROOM_NOT_AVAILABLE, BookingError, database_unavailable
from bookings.integrity import overlapping_pairs
from bookings.models import Booking, WaitlistEntry
from tests.factories import at, local, make_booking, make_teacher
from tests.live import connect_socket
from tests.processes import RedisServer
from tests.races import race

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def lock_store(settings):
    """Point the lock store at ``url`` (a fresh store each time); the real one after."""

    def use(url: str) -> None:
        settings.REDIS_URL = url
        locks.store.cache_clear()
        locks.outage.succeeded()

    yield use
    locks.store.cache_clear()
    locks.outage.succeeded()


def period(start=10, end=11):
    return {"start": local(at(start)), "end": local(at(end))}


@pytest.mark.django_db
def test_with_the_lock_store_down_the_hold_says_degraded_and_the_claim_books(lock_store, as_alice, room):
    lock_store("redis://127.0.0.1:1/0")  # nothing listens on port 1: connection refused
    hold = as_alice.post(f"/rooms/{room.pk}/hold/", period(), **JSON)
    assert hold.status_code == 200
    assert hold.json()["hold"]["degraded"] is True
    page = as_alice.post(f"/rooms/{room.pk}/hold/", period())
    assert "cannot be held for you just now" in page.content.decode()
    claim = as_alice.post(f"/rooms/{room.pk}/claim/", period(), **JSON)
    assert claim.status_code == 201
    assert Booking.objects.filter(pk=claim.json()["booking"]["id"], room=room).exists()


@pytest.mark.django_db
def test_an_outage_is_logged_once_and_its_end_once(lock_store, alice, room, caplog, settings):
    settings.LOCK_STORE_RETRY_SECONDS = 0
    lock_store("redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="bookings.locks"):
        for hour in (9, 10, 11):
            services.booking_hold(teacher=alice, room_id=room.pk, start=at(hour), end=at(hour + 1))
        with RedisServer() as server:
            lock_store_url = server.url
            settings.REDIS_URL = lock_store_url
            locks.store.cache_clear()
            attempt = services.booking_hold(teacher=alice, room_id=room.pk, start=at(12), end=at(13))
    assert not attempt.degraded
    messages = [record.getMessage() for record in caplog.records]
    assert sum("Lock store unreachable" in message for message in messages) == 1
    assert sum("Lock store reachable again" in message for message in messages) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_the_lock_store_down_racing_teachers_still_store_one_booking(lock_store, room):
    lock_store("redis://127.0.0.1:1/0")
    teachers = [make_teacher() for _ in range(20)]
    results = race(
        [
            lambda teacher=teacher: services.booking_create(
                teacher=teacher, room_id=room.pk, start=at(10), end=at(11)
            )
            for teacher in teachers
        ]
    )
    winners = [result for result in results if isinstance(result, Booking)]
    losers = [result for result in results if isinstance(result, BookingError)]
    assert len(winners) == 1
    assert {loser.code for loser in losers} == {ROOM_NOT_AVAILABLE}
    assert Booking.objects.count() == 1
    assert overlapping_pairs() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_redis_dying_between_hold_and_claim_still_answers_201_with_the_row(lock_store, as_alice, room):
    with RedisServer() as server:
        lock_store(server.url)
        hold = as_alice.post(f"/rooms/{room.pk}/hold/", period(), **JSON)
        assert hold.json()["hold"]["degraded"] is False
        server.kill()
        claim = as_alice.post(f"/rooms/{room.pk}/claim/", period(), **JSON)
    assert claim.status_code == 201
    assert Booking.objects.filter(pk=claim.json()["booking"]["id"]).exists()


def hold_room_row(room):
    """A second connection that locks the room's row and keeps its transaction open, as a
    frozen process would."""
    db = connection.settings_dict
    stuck = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    )
    stuck.execute("SELECT id FROM rooms_room WHERE id = %s FOR UPDATE", [room.pk])
    return stuck


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_behind_a_stuck_transaction_answers_503_and_writes_nothing(as_alice, room):
    stuck = hold_room_row(room)
    try:
        response = as_alice.post(f"/rooms/{room.pk}/claim/", period(), **JSON)
    finally:
        stuck.close()
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json() == {
        "code": "SERVICE_BUSY",
        "message": "Booking is briefly unavailable, please try again",
    }
    assert not Booking.objects.exists()
    # Once the stuck transaction is gone, the same claim works.
    assert as_alice.post(f"/rooms/{room.pk}/claim/", period(), **JSON).status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cancel_whose_offer_fails_answers_200_and_the_sweep_offers_later(as_alice, alice, bob, room):
    booking = make_booking(room, alice, at(10), at(11))
    services.waitlist_join(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    stuck = hold_room_row(room)  # the offer must lock the room's row: it times out
    try:
        response = as_alice.post(f"/bookings/{booking.pk}/cancel/", **JSON)
    finally:
        stuck.close()
    assert response.status_code == 200
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert WaitlistEntry.objects.get().status == "waiting"
    assert waitlist.offer_missed() == 1
    assert WaitlistEntry.objects.get().status == "offered"


def pubsub_layer(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_connect_timeout": 0.25}], "prefix": "faults"},
        }
    }


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_sockets_are_closed_while_the_live_channel_is_down_and_welcome_once_it_is_back(settings, alice):
    settings.LIVE_PROBE_SECONDS = 0.1
    with RedisServer() as server:
        settings.REDIS_URL = server.url
        settings.CHANNEL_LAYERS = pubsub_layer(server.url)
        socket = await connect_socket(alice)
        assert await socket.receive_nothing(timeout=0.3)
        server.kill()
        closed = await socket.receive_output(timeout=3)
        assert closed == {"type": "websocket.close", "code": 4503}
        refused = await connect_socket(alice, expect_open=False)
        assert await refused.receive_output(timeout=3) == {"type": "websocket.close", "code": 4503}
        server.start()  # same port, a new Redis
        deadline = asyncio.get_running_loop().time() + 5
        while True:  # the watch sees Redis again within a probe or two
            again = await connect_socket(alice, expect_open=False)
            if await again.receive_nothing(timeout=0.5):
                break
            assert await again.receive_output() == {"type": "websocket.close", "code": 4503}
            assert asyncio.get_running_loop().time() < deadline, "the live channel did not come back"
        await again.disconnect()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transaction_ended_by_postgresql_for_idling_counts_as_unavailable_not_as_a_bug():
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 100")
        time.sleep(0.5)  # a frozen process, as PostgreSQL sees it: five times the limit
        cursor.execute("SELECT 1")
    assert database_unavailable(raised.value)
    connection.close()
