"""sweep (and its contract name cleanup_room_locks), as an operator runs it."""

import io
import time

import pytest
from django.core.management import call_command

from bookings import locks
from tests.factories import at, make_room, make_teacher


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_cleanup_reports_how_many_expired_locks_it_removed(caplog):
    locks.acquire(room_id=1, start=at(10), end=at(11), teacher_id=1, ttl=0.2)
    locks.acquire(room_id=2, start=at(10), end=at(11), teacher_id=2, ttl=0.2)
    locks.acquire(room_id=3, start=at(10), end=at(11), teacher_id=3)
    time.sleep(0.3)  # past the two short locks' lifetime
    with caplog.at_level("INFO", logger="bookings.locks"):
        assert run("cleanup_room_locks").strip() == "Cleaned up 2 expired room locks"
    assert "Cleaned up 2 expired room locks" in caplog.text
    assert run("sweep").strip() == "Cleaned up 0 expired room locks"  # the same command


@pytest.mark.django_db
def test_cleanup_list_shows_room_period_holder_and_expiry():
    room, teacher = make_room("Room 101"), make_teacher("Alice Adams")
    locks.acquire(room_id=room.pk, start=at(10), end=at(11), teacher_id=teacher.pk)
    output = run("cleanup_room_locks", "--list")
    assert "1 active room locks" in output
    line = next(line for line in output.splitlines() if line.startswith(f"room {room.pk}"))
    assert "(Room 101)" in line
    assert "10:00-11:00" in line
    assert f"teacher {teacher.pk} (Alice Adams)" in line
    assert "expires" in line


@pytest.mark.django_db(transaction=True)
def test_embedded_workers_send_mail_and_pass_lapsed_offers_on_inside_the_server(settings):
    from django.core import mail

    from bookings import maintenance, services
    from bookings.models import WaitlistEntry

    settings.EMBEDDED_SWEEP_SECONDS = 0.05
    settings.WAITLIST_OFFER_SECONDS = 0.2
    room = make_room()
    alice, bob = make_teacher(email="alice@school.example"), make_teacher()
    services.booking_create(teacher=alice, room_id=room.pk, start=at(12), end=at(13))  # a mail to send
    booking = services.booking_create(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    entry = services.waitlist_join(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    services.booking_cancel(booking_id=booking.pk, teacher=alice)  # bob's offer, which lapses
    workers = maintenance.start_embedded()
    try:
        deadline = time.monotonic() + 10
        while not (mail.outbox and WaitlistEntry.objects.get(pk=entry.pk).status == "expired"):
            assert time.monotonic() < deadline, "the embedded workers did not run"
            time.sleep(0.05)
    finally:
        workers.stop()
    assert [message.to for message in mail.outbox] == [["alice@school.example"]]  # the cancelled one: dropped
