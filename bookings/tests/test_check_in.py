"""Check-in and auto-release, and reminders: the sweep's work for a school day."""

from datetime import timedelta

import pytest
import segno
from asgiref.sync import sync_to_async
from django.core import mail
from django.utils import timezone

from bookings import maintenance, notifications, services
from bookings.errors import BookingError
from bookings.models import Booking, BookingRule, Notification, WaitlistEntry
from tests.factories import make_booking, make_room, make_teacher
from tests.live import connect_socket

pytestmark = pytest.mark.django_db(transaction=True)  # events and offers go out after commit
JSON = {"HTTP_ACCEPT": "application/json"}


def minutes(n: float):
    return timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=n)


def claim(teacher, room, start, end):
    return services.booking_create(teacher=teacher, room_id=room.pk, start=start, end=end)


@pytest.fixture
def check_in_room(room):
    BookingRule.objects.create(room=room, check_in_minutes=10)
    return room


def test_a_room_asking_for_check_in_gives_its_bookings_a_deadline(alice, check_in_room):
    booking = claim(alice, check_in_room, minutes(20), minutes(80))
    assert booking.check_in_by == booking.start + timedelta(minutes=10)


def test_check_in_opens_shortly_before_the_start(client, alice, check_in_room):
    booking = claim(alice, check_in_room, minutes(60), minutes(120))
    client.force_login(alice)
    response = client.post(f"/bookings/{booking.pk}/check-in/", **JSON)
    assert response.status_code == 400
    opens = timezone.localtime(booking.start - timedelta(minutes=15))
    assert response.json()["errors"] == {"booking": [f"Check-in opens at {opens:%H:%M}."]}
    soon = claim(alice, check_in_room, minutes(5), minutes(50))
    response = client.post(f"/bookings/{soon.pk}/check-in/", **JSON)
    assert response.status_code == 200
    assert response.json()["message"] == "Checked in: Room 101"
    assert response.json()["booking"]["checkedInAt"]
    assert client.post(f"/bookings/{soon.pk}/check-in/", **JSON).status_code == 200  # twice is harmless


def test_only_the_teacher_checks_in(client, alice, bob, check_in_room):
    booking = claim(alice, check_in_room, minutes(5), minutes(50))
    client.force_login(bob)
    assert client.post(f"/bookings/{booking.pk}/check-in/", **JSON).status_code == 404
    client.logout()
    assert client.post(f"/bookings/{booking.pk}/check-in/", **JSON).status_code == 401


def test_a_booking_nobody_checked_in_to_is_released_and_offered(alice, bob, check_in_room):
    alice.email = "alice@school.example"
    alice.save()
    booking = make_booking(check_in_room, alice, minutes(-15), minutes(45), check_in_by=minutes(-5))
    # Bob waits for the rest of the booking's time (its start has passed).
    later = services.waitlist_join(teacher=bob, room_id=check_in_room.pk, start=minutes(20), end=minutes(40))
    kept = make_booking(
        check_in_room, alice, minutes(60), minutes(90), check_in_by=minutes(-1), checked_in_at=minutes(-2)
    )
    assert maintenance.sweep().bookings_released == 1
    booking.refresh_from_db()
    kept.refresh_from_db()
    assert (booking.status, kept.status) == ("released", "confirmed")
    later.refresh_from_db()
    assert later.status == WaitlistEntry.Status.OFFERED  # the freed time goes to the waitlist
    notifications.send_pending()
    [released] = [m for m in mail.outbox if m.to == ["alice@school.example"]]
    assert released.subject.startswith("Released: Room 101")
    assert "Nobody checked in to your booking" in released.body
    with pytest.raises(BookingError) as late:
        services.booking_check_in(booking_id=booking.pk, teacher=alice)
    assert late.value.errors == {"booking": ["Too late: the booking was released because nobody checked in."]}


@pytest.mark.asyncio
async def test_a_release_is_announced_like_a_cancellation(people):
    alice, bob, room = people
    await sync_to_async(BookingRule.objects.create)(room=room, check_in_minutes=10)
    booking = await sync_to_async(make_booking)(
        room, alice, minutes(-15), minutes(45), check_in_by=minutes(-5)
    )
    socket = await connect_socket(bob)
    await sync_to_async(services.release_unchecked)()
    frame = await socket.receive_json_from(timeout=2)
    assert frame["event"] == "bookingCancelled"
    assert (frame["data"]["id"], frame["data"]["status"]) == (booking.pk, "released")
    await socket.disconnect()


def test_the_door_link_shows_the_booking_and_checks_in(client, alice, check_in_room):
    booking = claim(alice, check_in_room, minutes(5), minutes(50))
    client.force_login(alice)
    page = client.get(f"/rooms/{check_in_room.pk}/check-in/").content.decode()
    assert "Check in by" in page and f"/bookings/{booking.pk}/check-in/" in page
    response = client.post(f"/bookings/{booking.pk}/check-in/")
    assert response.status_code == 303
    assert "You checked in at" in client.get(f"/rooms/{check_in_room.pk}/check-in/").content.decode()
    client.force_login(make_teacher())
    assert (
        "You have no booking of Room 101"
        in client.get(f"/rooms/{check_in_room.pk}/check-in/").content.decode()
    )


def test_my_bookings_says_by_when_to_check_in_in_words_not_only_a_tooltip(client, alice, check_in_room):
    booking = claim(alice, check_in_room, minutes(5), minutes(50))
    client.force_login(alice)
    page = client.get("/bookings/").content.decode()
    by = timezone.localtime(booking.check_in_by)
    assert f'<p class="check-in-by">Check in by {by:%H:%M}, or the room is released for others.</p>' in page


def test_the_door_sign_is_a_qr_code_of_the_door_link_for_staff(client, admin_client, check_in_room):
    page = admin_client.get(f"/rooms/{check_in_room.pk}/door-sign/").content.decode()
    assert "<svg" in page and f"/rooms/{check_in_room.pk}/check-in/" in page
    client.force_login(make_teacher())
    assert client.get(f"/rooms/{check_in_room.pk}/door-sign/").status_code == 302  # staff only


def qr_path(link: str) -> str:
    """The drawing of ``link``'s QR code, as the door sign draws it."""
    svg = segno.make(link, error="m").svg_inline(scale=8, omitsize=True)
    return svg[svg.index("<path") :].split('"')[1::2][-1]


def test_without_site_url_the_door_sign_points_at_the_address_it_was_opened_on_and_says_so(
    settings, admin_client, check_in_room
):
    settings.SITE_URL_SET, settings.SITE_URL = False, "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = ["rooms.school.example"]
    door = f"/rooms/{check_in_room.pk}/check-in/"
    page = admin_client.get(
        f"/rooms/{check_in_room.pk}/door-sign/", HTTP_HOST="rooms.school.example"
    ).content.decode()
    assert qr_path(f"http://rooms.school.example{door}") in page
    assert "127.0.0.1" not in page
    assert "SITE_URL is not set" in page

    settings.SITE_URL_SET, settings.SITE_URL = True, "https://rooms.school.example"
    page = admin_client.get(
        f"/rooms/{check_in_room.pk}/door-sign/", HTTP_HOST="rooms.school.example"
    ).content.decode()
    assert qr_path(f"https://rooms.school.example{door}") in page
    assert "SITE_URL is not set" not in page


def test_reminders_go_once_before_the_start_to_teachers_who_want_them(alice, bob, room):
    for teacher, reminder in ((alice, 30), (bob, None)):
        teacher.email, teacher.reminder_minutes = f"{teacher.username}@school.example", reminder
        teacher.save()
    soon = make_booking(room, alice, minutes(20), minutes(80), purpose="Year 9 chemistry")
    Booking.objects.filter(pk=soon.pk).update(created_at=minutes(-60))
    make_booking(room, alice, minutes(120), minutes(150))  # not yet
    bobs = make_booking(room, bob, minutes(90), minutes(110))
    Booking.objects.filter(pk=bobs.pk).update(start=minutes(10), end=minutes(15), created_at=minutes(-60))
    # Booked inside the reminder time (another room): no reminder.
    just_made = make_booking(make_room("Room 102"), alice, minutes(25), minutes(26))
    assert maintenance.sweep().reminders_queued == 1
    assert maintenance.sweep().reminders_queued == 0  # once
    [reminder] = Notification.objects.filter(kind="reminder")
    assert reminder.booking == soon and just_made.pk != soon.pk
    notifications.send_pending()
    [sent] = mail.outbox
    assert sent.to == [alice.email] and sent.subject.startswith("Soon: Room 101")
    assert "A reminder of your booking" in sent.body and "Year 9 chemistry" in sent.body


def test_teachers_choose_their_reminder(client, alice):
    client.force_login(alice)
    response = client.post(
        "/account/notifications/",
        {"email": "", "reminder_minutes": "15", "notify_booking_confirmed": "on"},
    )
    assert response.status_code in (200, 302, 303)
    alice.refresh_from_db()
    assert alice.reminder_minutes == 15
