"""Email through the outbox: sent after commit by send_notifications, never in the request."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from bookings import notifications, services
from bookings.models import Notification
from tests.factories import at, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db


class BrokenMailServer:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def claim(teacher, room):
    return services.booking_create(teacher=teacher, room_id=room.pk, start=at(10), end=at(11))


def test_booking_confirmation_is_queued_then_sent_with_text_and_html():
    alice = make_teacher("Alice Adams", email="alice@school.example")
    claim(alice, make_room("Room 101"))
    assert mail.outbox == []  # nothing is sent during the request
    out = io.StringIO()
    call_command("send_notifications", stdout=out)
    assert out.getvalue().strip() == "Sent 1 notifications, 0 failed"
    message = mail.outbox[0]
    assert message.to == ["alice@school.example"]
    assert message.subject.startswith("Booked: Room 101")
    assert "Your booking is confirmed" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert "<strong>Room 101</strong>" in html
    assert Notification.objects.get().sent_at is not None
    call_command("send_notifications", stdout=io.StringIO())
    assert len(mail.outbox) == 1  # sent once


def test_teachers_can_turn_each_kind_off():
    alice = make_teacher(email="alice@school.example", notify_booking_confirmed=False)
    claim(alice, make_room())
    assert not Notification.objects.exists()


def test_no_address_no_mail():
    claim(make_teacher(), make_room())
    assert not Notification.objects.exists()


def test_cancellation_by_an_admin_is_mailed_but_not_ones_own():
    alice = make_teacher("Alice", email="alice@school.example", notify_booking_confirmed=False)
    room = make_room("Room 101")
    own = make_booking(room, alice, at(9), at(10))
    services.booking_cancel(booking_id=own.pk, teacher=alice)
    assert not Notification.objects.exists()
    booking = make_booking(room, alice, at(10), at(11))
    admin = make_teacher("Admin", is_staff=True)
    services.booking_cancel(booking_id=booking.pk, teacher=admin, as_admin=True)
    notifications.send_pending()
    assert mail.outbox[0].subject.startswith("Cancelled by an admin: Room 101")


def test_a_broken_mail_server_is_retried_later(settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailServer"
    claim(make_teacher(email="alice@school.example"), make_room())
    assert notifications.send_pending() == (0, 1)
    notification = Notification.objects.get()
    assert notification.sent_at is None
    assert notification.attempts == 1
    assert "mail server down" in notification.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.send_pending() == (0, 0)  # not before its pause is over
    assert notification.next_attempt_at - timezone.now() > timedelta(seconds=20)
    Notification.objects.update(next_attempt_at=timezone.now())  # the pause is over
    assert notifications.send_pending() == (1, 0)


def test_failures_pause_longer_each_time_and_give_up_after_the_retry_window(settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailServer"
    settings.EMAIL_RETRY_HOURS = 2
    claim(make_teacher(email="alice@school.example"), make_room())
    pauses = []
    for _ in range(5):
        notifications.send_pending()
        notification = Notification.objects.get()
        pauses.append(round((notification.next_attempt_at - timezone.now()).total_seconds() / 30))
        Notification.objects.update(next_attempt_at=timezone.now())
    assert pauses == [1, 2, 4, 8, 16]  # 30 s, doubling
    Notification.objects.update(created_at=timezone.now() - timedelta(hours=2))
    notifications.send_pending()
    notification = Notification.objects.get()
    assert notification.dropped_at is not None
    assert notification.dropped_reason == "gave up after 6 attempts"
    assert notifications.send_pending() == (0, 0)


def test_a_mail_about_a_booking_cancelled_before_it_went_out_is_dropped():
    alice = make_teacher(email="alice@school.example")
    booking = claim(alice, make_room())
    services.booking_cancel(booking_id=booking.pk, teacher=alice)
    assert notifications.send_pending() == (0, 0)
    assert mail.outbox == []
    assert Notification.objects.get().dropped_reason == "the booking was cancelled before the mail went out"


def test_a_crashed_senders_mails_are_sent_once_its_lease_ends(settings):
    alice = make_teacher(email="alice@school.example")
    room = make_room()
    for hour in (9, 10, 11):
        services.booking_create(teacher=alice, room_id=room.pk, start=at(hour), end=at(hour + 1))
    leased = notifications._lease(batch=3)  # a sender took all three, sent one, then died
    leased[0].sent_at = timezone.now()
    leased[0].save(update_fields=["sent_at"])
    assert notifications.send_pending() == (0, 0)  # the others are still leased
    Notification.objects.update(leased_until=timezone.now())  # the lease runs out
    assert notifications.send_pending() == (2, 0)
    assert len(mail.outbox) == 2  # the one already sent is not sent again


def test_plain_text_mails_are_not_html_escaped():
    alice = make_teacher('Zoë "Z" O\'Neil & co', email="zoe@school.example")
    room = make_room("Lab <1>")
    services.booking_create(teacher=alice, room_id=room.pk, start=at(10), end=at(11), purpose='Rock & "roll"')
    notifications.send_pending()
    message = mail.outbox[0]
    assert "Lab <1>" in message.subject
    assert 'Zoë "Z" O\'Neil & co' in message.body and 'Rock & "roll"' in message.body
    assert "&amp;" not in message.body and "&quot;" not in message.body and "&#x27;" not in message.body
    assert "Lab &lt;1&gt;" in message.alternatives[0][0]  # the HTML part stays escaped


def test_a_room_name_with_a_line_break_still_makes_a_one_line_subject(alice):
    alice.email = "alice@school.example"
    alice.save()
    room = make_room("Room 101\r\nBcc: everyone@school.example")
    services.booking_create(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    assert notifications.send_all() == (1, 0)
    assert "\n" not in mail.outbox[0].subject and "\r" not in mail.outbox[0].subject
