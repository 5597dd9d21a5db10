"""A room's door display: what it shows of the room's day, to nobody signed in; who gets
in (the room's display key, and nothing else); staff making a new key; and its socket,
which says only that the room changed. Set at lunchtime (``lunchtime_zone``), so the
afternoon is ahead whenever the suite runs."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import OperationalError
from django.utils import timezone

from bookings import consumers, locks, services
from bookings.models import Booking, BookingRule, Lesson, claim_path
from bookings.views.checkin import qr_code
from config.asgi import application
from rooms.models import Closure
from tests.factories import lunchtime_zone, make_booking, make_room, make_teacher
from tests.live import HOST, ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)  # the socket's news goes out after commit


@pytest.fixture
def lunch(settings):
    """It is 13:xx in the school's time zone; returns now, to the minute."""
    settings.TIME_ZONE = lunchtime_zone().key
    return timezone.localtime().replace(second=0, microsecond=0)


@pytest.fixture
def school(lunch):
    return {
        "alice": make_teacher("Alice Adams", username="alice"),
        "bob": make_teacher("Bob Brown", username="bob"),
        "room": make_room("Room 101", capacity=24),
        "lab": make_room("Lab 1", capacity=24),
    }


def address(room, key=None, **query) -> str:
    extra = "".join(f"&{name}={value}" for name, value in query.items())
    return f"/rooms/{room.pk}/display/?key={room.display_key if key is None else key}{extra}"


def hour(lunch, h: float):
    """Today at ``h`` o'clock, school time (lunch is 13:xx)."""
    return lunch.replace(hour=0, minute=0) + timedelta(hours=h)


def test_a_free_room_offers_the_rest_of_the_hour_with_a_code_to_book_it(client, school, lunch):
    room = school["room"]
    response = client.get(address(room))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert response["Referrer-Policy"] == "no-referrer"
    page = response.content.decode()
    assert '<h2 id="display-state">Free</h2>' in page
    assert "for the rest of the day" in page
    assert "Free now: book until 14:00" in page  # no periods: the rest of this hour
    # The code is the claim of exactly that: from the hour's start (the claim runs it from
    # now) to 14:00, in this room, on the address the display was opened on.
    link = "http://testserver" + claim_path(room.pk, hour(lunch, 13), hour(lunch, 14))
    assert response.context["qr"] == qr_code(link, title="Book Room 101 now", scale=6)
    assert "Nothing else booked today." in page
    assert "Alice" not in page


def test_a_booked_room_says_who_until_when_and_what_comes_next(client, school, lunch):
    room, alice, bob = school["room"], school["alice"], school["bob"]
    make_booking(room, alice, lunch - timedelta(minutes=10), hour(lunch, 14), purpose="Year 9 chemistry")
    make_booking(room, bob, hour(lunch, 15), hour(lunch, 16), purpose="Parents' evening prep")
    make_booking(room, alice, hour(lunch, 16), hour(lunch, 17), status=Booking.Status.REQUESTED)
    make_booking(room, bob, hour(lunch, 14), hour(lunch, 15), status=Booking.Status.CANCELLED)
    make_booking(school["lab"], bob, hour(lunch, 14), hour(lunch, 15))  # another room
    page = client.get(address(room)).content.decode()
    assert '<h2 id="display-state" class="display-taken">Booked by Alice Adams</h2>' in page
    assert f"{lunch - timedelta(minutes=10):%H:%M}</time>\u2013<time" in page
    assert "· Year 9 chemistry" in page
    next_up = page[page.index('id="display-next"') : page.index('id="display-later"')]
    assert "15:00" in next_up and "Booked by Bob Brown · Parents&#x27; evening prep" in next_up
    later = page[page.index('id="display-later"') :]
    assert "16:00" in later and "Requested by Alice Adams" in later
    assert page.count("Bob Brown") == 1  # not his cancelled booking, nor his booking of the lab
    assert "display-qr" not in page  # nothing to book, no check-in asked


def test_the_display_shows_no_names_where_the_school_shows_none(client, school, lunch, settings):
    settings.TIMETABLE_SHOWS_NAMES = False
    room = school["room"]
    make_booking(room, school["alice"], lunch - timedelta(minutes=10), hour(lunch, 14), purpose="Chemistry")
    make_booking(room, school["bob"], hour(lunch, 15), hour(lunch, 16))
    page = client.get(address(room)).content.decode()
    assert '<h2 id="display-state" class="display-taken">Booked</h2>' in page
    assert "· Chemistry" in page
    assert "Alice" not in page and "Bob" not in page and "Adams" not in page


def test_a_booking_that_asks_for_check_in_shows_the_code_to_check_in(client, school, lunch):
    room, alice = school["room"], school["alice"]
    BookingRule.objects.create(room=room, check_in_minutes=10)
    booking = make_booking(
        room, alice, lunch - timedelta(minutes=2), hour(lunch, 14), check_in_by=lunch + timedelta(minutes=8)
    )
    response = client.get(address(room))
    page = response.content.decode()
    assert f"Check in by {lunch + timedelta(minutes=8):%H:%M}" in page
    link = f"http://testserver/rooms/{room.pk}/check-in/"
    assert response.context["qr"] == qr_code(link, title="Check in: Room 101", scale=6)

    services.booking_check_in(booking_id=booking.pk, teacher=alice)
    page = client.get(address(room)).content.decode()
    assert "Checked in at" in page
    assert "display-qr" not in page


def test_a_lesson_of_the_timetable_shows_its_class_and_subject(client, school, lunch):
    room, bob = school["room"], school["bob"]
    lesson = Lesson.objects.create(
        key="7b-maths",
        room=room,
        group="7b",
        subject="Maths",
        weekday=lunch.weekday(),
        starts=hour(lunch, 13).time(),
        ends=hour(lunch, 14).time(),
        first_day=lunch.date(),
        last_day=lunch.date(),
    )
    make_booking(room, bob, hour(lunch, 13), hour(lunch, 14), purpose=lesson.title, lesson=lesson)
    page = client.get(address(room)).content.decode()
    assert '<h2 id="display-state" class="display-taken">Lesson 7b Maths</h2>' in page
    assert "14:00</time> · Bob Brown" in page


def test_a_closed_room_says_why(client, school, lunch):
    room = school["room"]
    Closure.objects.create(
        first_day=lunch.date(),
        last_day=lunch.date(),
        reason=Closure.Reason.MAINTENANCE,
        description="New floor",
        room=room,
    )
    page = client.get(address(room)).content.decode()
    assert '<h2 id="display-state">Closed</h2>' in page
    assert "New floor" in page
    assert "display-qr" not in page


def test_a_room_someone_is_booking_shows_it_being_booked(client, school, lunch):
    room = school["room"]
    attempt = locks.acquire(room_id=room.pk, start=lunch, end=hour(lunch, 14), teacher_id=school["bob"].pk)
    assert attempt.acquired
    page = client.get(address(room)).content.decode()
    assert '<h2 id="display-state">Being booked</h2>' in page
    locks.release(room_id=room.pk, start=lunch, end=hour(lunch, 14), teacher_id=school["bob"].pk)
    assert '<h2 id="display-state">Free</h2>' in client.get(address(room)).content.decode()


def test_part_now_is_only_what_changes(client, school):
    response = client.get(address(school["room"], part="now"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page and 'id="display-state"' in page


def test_only_the_rooms_own_key_opens_its_display(client, school):
    room, lab = school["room"], school["lab"]
    assert client.get(f"/rooms/{room.pk}/display/").status_code == 404
    assert client.get(address(room, key="")).status_code == 404
    assert client.get(address(room, key="wrong")).status_code == 404
    assert client.get(address(room, key=lab.display_key)).status_code == 404  # another room's key
    assert client.get(address(room, key=room.display_key + "x")).status_code == 404
    assert client.get(f"/rooms/999999/display/?key={room.display_key}").status_code == 404
    assert client.post(address(room)).status_code == 405
    room.is_active = False
    room.save()
    assert client.get(address(room)).status_code == 404


def test_every_room_has_a_key_of_its_own(school):
    keys = {school["room"].display_key, school["lab"].display_key}
    assert len(keys) == 2 and all(len(key) >= 40 for key in keys)


def test_staff_make_a_new_key_and_the_old_address_stops_working(client, school):
    room = school["room"]
    old = room.display_key
    client.force_login(school["alice"])  # not staff
    response = client.post(f"/rooms/{room.pk}/display/new-key/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    room.refresh_from_db()
    assert room.display_key == old

    staff = make_teacher("Sam Staff", username="sam", is_staff=True)
    client.force_login(staff)
    sign = client.get(f"/rooms/{room.pk}/door-sign/").content.decode()
    assert f"/rooms/{room.pk}/display/?key={old}" in sign
    assert client.get(f"/rooms/{room.pk}/display/new-key/").status_code == 405
    response = client.post(f"/rooms/{room.pk}/display/new-key/", follow=True)
    assert "The display has a new address." in response.content.decode()
    room.refresh_from_db()
    assert room.display_key != old
    assert f"/rooms/{room.pk}/display/?key={room.display_key}" in response.content.decode()
    client.logout()
    assert client.get(address(room, key=old)).status_code == 404
    assert client.get(address(room)).status_code == 200


async def display_socket(room, key=None) -> WebsocketCommunicator:
    key = room.display_key if key is None else key
    return WebsocketCommunicator(
        application, f"/ws/rooms/{room.pk}/display/?key={key}", headers=[ORIGIN, HOST]
    )


@pytest.mark.asyncio
async def test_a_display_socket_needs_its_rooms_key(school):
    room, lab = school["room"], school["lab"]
    for key in ("", "wrong", lab.display_key):
        socket = await display_socket(room, key)
        connected, code = await socket.connect()
        assert not connected and code == 4404
        await socket.disconnect()
    socket = WebsocketCommunicator(
        application,
        f"/ws/rooms/{room.pk}/display/?key={room.display_key}",
        headers=[(b"origin", b"http://evil.example"), HOST],
    )
    connected, _ = await socket.connect()
    assert not connected
    await socket.disconnect()


@pytest.mark.asyncio
async def test_a_display_hears_that_its_room_changed_and_nothing_of_other_rooms(school, lunch):
    room, lab, alice = school["room"], school["lab"], school["alice"]
    socket = await display_socket(room)
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"event": "ping"})
    assert await socket.receive_json_from(timeout=2) == {"event": "pong"}

    await sync_to_async(services.booking_create)(
        teacher=alice, room_id=lab.pk, start=hour(lunch, 15), end=hour(lunch, 16)
    )
    assert await socket.receive_nothing(timeout=0.3)

    booking = await sync_to_async(services.booking_create)(
        teacher=alice, room_id=room.pk, start=hour(lunch, 15), end=hour(lunch, 16), purpose="Chemistry"
    )
    # Only that it changed: never who, nor what (the page asks, and the names rule applies).
    assert await socket.receive_json_from(timeout=2) == {"event": "changed"}
    await sync_to_async(services.booking_cancel)(booking_id=booking.pk, teacher=alice)
    assert await socket.receive_json_from(timeout=2) == {"event": "changed"}
    await socket.disconnect()


@pytest.mark.asyncio
async def test_a_check_in_reaches_the_display(school, lunch):
    room, alice = school["room"], school["alice"]
    await sync_to_async(BookingRule.objects.create)(room=room, check_in_minutes=10)
    booking = await sync_to_async(services.booking_create)(
        teacher=alice, room_id=room.pk, start=lunch, end=hour(lunch, 14)
    )
    assert booking.check_in_by is not None
    socket = await display_socket(room)
    assert (await socket.connect())[0]
    await sync_to_async(services.booking_check_in)(booking_id=booking.pk, teacher=alice)
    assert await socket.receive_json_from(timeout=2) == {"event": "changed"}
    await socket.disconnect()


@pytest.mark.asyncio
async def test_a_display_key_opens_no_more_sockets_than_a_session(school, settings):
    settings.SOCKETS_PER_SESSION = 2
    room = school["room"]
    opened = [await display_socket(room), await display_socket(room)]
    for socket in opened:
        assert (await socket.connect())[0]
    extra = await display_socket(room)
    connected, code = await extra.connect()
    assert not connected and code == 4429
    await extra.disconnect()
    await opened[0].disconnect()
    again = await display_socket(room)
    assert (await again.connect())[0]  # a place freed is a place to take
    for socket in (opened[1], again):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_a_display_socket_with_the_database_away_is_told_to_try_later(school, monkeypatch):
    def away(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(consumers, "room_shown", away)
    socket = await display_socket(school["room"])
    connected, _ = await socket.connect()
    assert connected  # accepted, then closed with 4503: the page says "Offline" and tries again
    assert (await socket.receive_output(timeout=2))["code"] == 4503
    await socket.disconnect()
