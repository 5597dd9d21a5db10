"""The corridor case in Chromium: at lunchtime, during a period, a teacher opens the
dashboard and books a room for the rest of the period under way; another books the same
period's cell in the timetable. The server runs in a time zone where it is now 13:xx, so
the period under way never crosses midnight, whenever the suite runs."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from bookings.models import Booking
from rooms.models import Period
from tests.factories import make_room, make_teacher
from tests.servers import DaphneServers, collectstatic, servers_env

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _lunchtime_zone() -> ZoneInfo:
    """A fixed-offset zone in which the hour is 13 now (Etc/GMT-N is UTC+N)."""
    offset = (13 - datetime.now(UTC).hour + 12) % 24 - 12
    return ZoneInfo(f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC")


@pytest.fixture
def lunchtime(transactional_db):
    zone = _lunchtime_zone()
    now = datetime.now(zone).replace(second=0, microsecond=0)
    begun = now - timedelta(minutes=20)  # Period 5 began 20 minutes ago and has 30 to go
    Period.objects.create(name="Period 5", starts=begun.time(), ends=(now + timedelta(minutes=30)).time())
    Period.objects.create(
        name="Period 6",
        starts=(now + timedelta(minutes=30)).time(),
        ends=(now + timedelta(minutes=80)).time(),
    )
    env = servers_env(TIME_ZONE=zone.key)
    collectstatic(env)
    with DaphneServers(env, count=1) as server:
        yield server, zone, now


def test_a_teacher_books_the_rest_of_the_period_under_way_from_the_dashboard_and_the_grid(
    lunchtime, open_page, screenshot
):
    server, zone, now = lunchtime
    make_teacher("Alice Adams", username="alice")
    make_teacher("Bob Brown", username="bob")
    room = make_room("Room 101", capacity=24)
    lab = make_room("Lab 1", capacity=24)
    end = f"{now + timedelta(minutes=30):%H:%M}"

    page = open_page(server.urls[0], "alice")
    page.goto("/")  # the dashboard's own search: the period under way
    results = page.locator("#search-results")
    heading = results.get_by_role("heading", level=2)
    expect(heading).to_contain_text(re.compile(rf"Period 5 \(13:\d\d\u2013{end}\)"))
    expect(page.get_by_text("The start is in the past")).to_have_count(0)
    screenshot(page, "1-dashboard-during-a-period")
    results.locator(f'[data-room-id="{room.pk}"]').get_by_role("button", name="Claim Room").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Held for you")
    screenshot(page, "2-dialog")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("status")).to_contain_text("Room booked successfully: Room 101")
    booking = Booking.objects.get(room=room)
    assert booking.start.astimezone(zone) >= now  # from now, to the minute: never in the past
    assert booking.start.astimezone(zone) <= datetime.now(zone)
    assert f"{booking.end.astimezone(zone):%H:%M}" == end

    grid = open_page(server.urls[0], "bob")
    grid.goto("/timetable/")
    row = grid.locator(f'#timetable tr[data-room-id="{lab.pk}"]')
    running = row.locator("td").first
    expect(running).to_have_class(re.compile("cell-free"))
    expect(grid.locator(f'#timetable tr[data-room-id="{room.pk}"] td').first).to_contain_text("Alice Adams")
    running.get_by_role("button").click()
    dialog = grid.get_by_role("dialog")
    expect(dialog).to_contain_text("Held for you")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(grid.get_by_role("status")).to_contain_text("Room booked successfully: Lab 1")
    expect(running).to_contain_text("You")
    screenshot(grid, "3-grid-after-booking-the-period-under-way")
    assert Booking.objects.get(room=lab).start.astimezone(zone) >= now
