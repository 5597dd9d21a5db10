"""A room's door display in Chromium, with nobody signed in on it, and a teacher's phone on
the other server process: the display shows the room free with a code to book the
period under way; the teacher books it from the phone; the display turns to "Booked by"
at once; it connects again by itself after a drop. At lunchtime (``lunchtime``), in
Period 5 with half an hour to go."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings import services
from bookings.models import Booking, claim_path
from tests.factories import make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# A new socket open in place of the dropped one, within 5 s (as a promise: the page's CSP
# refuses the string evaluation ``wait_for_function`` uses).
RECONNECTED = """() => new Promise((resolve) => {
  const given = Date.now() + 5000;
  const check = () => {
    const socket = window.roomclaimSocket;
    if (socket !== window.droppedSocket && socket.readyState === WebSocket.OPEN) resolve("reconnected");
    else if (Date.now() > given) resolve("still closed");
    else setTimeout(check, 50);
  };
  check();
})"""


def display_address(room) -> str:
    return f"/rooms/{room.pk}/display/?key={room.display_key}"


@pytest.mark.parametrize("lunchtime", [2], indirect=True)
def test_a_display_turns_from_free_to_booked_within_a_second_of_a_claim_on_the_other_process(
    lunchtime, open_page, screenshot
):
    servers, zone, now = lunchtime
    make_teacher("Alice Adams", username="alice")
    room = make_room("Room 101", capacity=24)
    make_room("Lab 1", capacity=24)
    end = now + timedelta(minutes=30)

    display = open_page(servers.urls[0], None, width=1280, height=800)
    display.goto(display_address(room))
    expect(display.locator("#live-indicator")).to_have_attribute("data-state", "live")
    state = display.locator("#display-state")
    expect(state).to_have_text("Free")
    expect(display.locator(".display-qr")).to_contain_text(f"Free now: book until {end:%H:%M}")
    expect(display.locator(".display-next")).to_contain_text("Nothing else booked today.")
    screenshot(display, "1-display-free")

    # The code on the display: the claim of the rest of Period 5 in this room.
    with timezone.override(zone):
        link = claim_path(room.pk, now - timedelta(minutes=20), end)
    phone = open_page(servers.urls[1], "alice", width=390, height=844)
    phone.goto(link)
    dialog = phone.get_by_role("dialog")
    expect(dialog).to_contain_text("Claim Room 101")
    expect(dialog).to_contain_text("Held for you")
    expect(state).to_have_text("Being booked", timeout=1000)
    screenshot(display, "2-display-being-booked")
    dialog.get_by_label("Purpose").fill("Year 9 chemistry")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(phone.get_by_role("status")).to_contain_text("Room booked successfully: Room 101")

    expect(state).to_have_text("Booked by Alice Adams", timeout=1000)
    detail = display.locator(".display-now .display-detail")
    expect(detail).to_contain_text(re.compile(rf"13:\d\d\u2013{end:%H:%M} · Year 9 chemistry"))
    expect(display.locator(".display-qr")).to_have_count(0)  # nothing left to book, no check-in asked
    screenshot(display, "3-display-booked")
    booking = Booking.objects.get(room=room)
    assert booking.teacher.username == "alice"
    assert booking.start <= timezone.now() < booking.end

    # The connection drops (a blip on the school's network): the display connects again by
    # itself, and still hears its room: the booking cancelled turns it back to Free.
    display.evaluate("window.droppedSocket = window.roomclaimSocket; window.roomclaimSocket.close()")
    assert display.evaluate(RECONNECTED) == "reconnected"
    expect(display.locator("#live-indicator")).to_have_attribute("data-state", "live")
    services.booking_cancel(booking_id=booking.pk, teacher=booking.teacher)
    expect(state).to_have_text("Free", timeout=1000)


def test_my_bookings_shows_a_check_in_made_at_the_door_at_once(live_servers, open_page):
    """The teacher checks in on their phone (the display's code) while My bookings is open
    on the other process: the row says "Checked in" without a reload."""
    alice = make_teacher("Alice Adams", username="alice")
    room = make_room("Room 101", capacity=24)
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=5)
    booking = Booking.objects.create(
        room=room,
        teacher=alice,
        start=start,
        end=start + timedelta(hours=1),
        check_in_by=start + timedelta(minutes=10),
    )
    page = open_page(live_servers.urls[0], "alice")
    page.goto("/bookings/")
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    row = page.locator(f'[data-booking-id="{booking.pk}"]')
    expect(row).to_contain_text("Check in by")
    phone = open_page(live_servers.urls[1], "alice", width=390, height=844)
    phone.goto(f"/rooms/{room.pk}/check-in/")
    phone.get_by_role("button", name="Check in").click()
    expect(phone.get_by_role("status")).to_contain_text("Checked in")
    expect(row).to_contain_text("Checked in", timeout=1000)
    expect(row).not_to_contain_text("Check in by")
