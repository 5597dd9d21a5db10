"""The corridor case in Chromium: at lunchtime, during a period, a teacher opens the
dashboard and books a room for the rest of the period under way; another books the same
period's cell in the timetable. The server runs in a time zone where it is now 13:xx, so
the period under way never crosses midnight, whenever the suite runs (``lunchtime``)."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from bookings.models import Booking
from tests.factories import make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def under_way(page, room):
    """The cell of ``room`` in Period 5, the period under way (after Periods 1-4)."""
    return page.locator(f'#timetable tr[data-room-id="{room.pk}"] td').nth(4)


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
    running = under_way(grid, lab)
    expect(running).to_have_class(re.compile("cell-free"))
    expect(under_way(grid, room)).to_contain_text("Alice Adams")
    running.get_by_role("button").click()
    dialog = grid.get_by_role("dialog")
    expect(dialog).to_contain_text("Held for you")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(grid.get_by_role("status")).to_contain_text("Room booked successfully: Lab 1")
    expect(running).to_contain_text("You")
    screenshot(grid, "3-grid-after-booking-the-period-under-way")
    assert Booking.objects.get(room=lab).start.astimezone(zone) >= now


def box_of(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def test_on_a_phone_the_grid_keeps_its_room_names_and_opens_at_the_period_under_way(
    lunchtime, open_page, screenshot
):
    server, _, _ = lunchtime
    make_teacher("Alice Adams", username="alice")
    rooms = [make_room(f"Room {100 + number}", capacity=24) for number in range(1, 16)]
    page = open_page(server.urls[0], "alice", width=390, height=844)
    page.goto("/timetable/")
    scroller = page.locator("#timetable [data-keep-scroll]")
    view = box_of(scroller)
    now = page.locator("#timetable thead th[data-now]")
    expect(now).to_contain_text("Period 5")
    # Opened at the period under way: its header is in view beside the room column.
    room_column = box_of(page.locator("#timetable thead th").first)
    header = box_of(now)
    assert header["x"] >= room_column["x"] + room_column["width"] - 1
    assert header["x"] + header["width"] <= view["x"] + view["width"] + 1
    screenshot(page, "phone-grid-at-the-period-under-way")

    # Scrolled sideways to the end and down: the room names and the periods stay put.
    scroller.evaluate("box => box.scrollTo(box.scrollWidth, box.scrollHeight)")
    scroller.scroll_into_view_if_needed()
    view = box_of(scroller)
    last_row = page.locator(f'#timetable tr[data-room-id="{rooms[-1].pk}"] th')
    expect(last_row).to_be_in_viewport()
    expect(last_row).to_contain_text("Room 115")
    assert abs(box_of(last_row)["x"] - view["x"]) <= 4  # the room column, pinned left
    assert abs(box_of(now)["y"] - view["y"]) <= 4  # the periods' header, pinned on top
    screenshot(page, "phone-grid-scrolled-sideways")


def test_arrow_keys_move_between_the_grids_cells_and_the_grid_is_one_tab_stop(lunchtime, open_page):
    server, _, _ = lunchtime
    make_teacher("Alice Adams", username="alice")
    first, second = make_room("Room 101", capacity=24), make_room("Room 102", capacity=24)
    page = open_page(server.urls[0], "alice")
    page.goto("/timetable/")
    tabbable = page.locator('#timetable tbody td [tabindex="0"]')
    expect(tabbable).to_have_count(1)  # one tab stop, at the period under way
    expect(tabbable).to_have_attribute("data-period", re.compile("Period 5"))
    tabbable.focus()
    page.keyboard.press("ArrowDown")
    expect(under_way(page, second).get_by_role("button")).to_be_focused()
    page.keyboard.press("ArrowRight")  # Period 6
    expect(
        page.locator(f'#timetable tr[data-room-id="{second.pk}"] td').nth(5).get_by_role("button")
    ).to_be_focused()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # Periods 1-4 are over: nothing to move to
    expect(under_way(page, second).get_by_role("button")).to_be_focused()
    page.keyboard.press("End")  # the row's last cell with something to do
    expect(
        page.locator(f'#timetable tr[data-room-id="{second.pk}"] td').nth(5).get_by_role("button")
    ).to_be_focused()
    page.keyboard.press("Home")  # Periods 1-4 are over: Period 5 is the first
    expect(under_way(page, second).get_by_role("button")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(under_way(page, first).get_by_role("button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_contain_text("Claim Room 101")
