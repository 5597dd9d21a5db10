"""The timetable in real Chromium, on two server processes: booking from a grid cell,
booking for a colleague, moving a booking, and the grid keeping up live."""

import re
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Booking
from tests.chromium import axe_violations
from tests.factories import at, make_booking, make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def school():
    return SimpleNamespace(
        alice=make_teacher("Alice Adams", username="alice"),
        bob=make_teacher("Bob Brown", username="bob"),
        staff=make_teacher("Sam Staff", username="sam", is_staff=True),
        room=make_room("Room 101", capacity=24),
        hall=make_room("Hall", capacity=120),
    )


def grid_url():
    return f"/timetable/?date={timezone.localtime(at(10)).date().isoformat()}"


def cell(page, room, hour):
    """The cell of ``room`` at ``hour`` (the grid has hours: no periods are set)."""
    row = page.locator(f'#timetable tr[data-room-id="{room.pk}"]')
    return row.locator("td").nth(hour - 8)


def open_grid(page):
    page.goto(grid_url())
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")


def test_a_booking_from_a_grid_cell_shows_on_another_teachers_grid_within_a_second(
    live_servers, open_page, screenshot, school
):
    page_a = open_page(live_servers.urls[0], "alice")
    page_b = open_page(live_servers.urls[1], "bob")
    for page in (page_a, page_b):
        open_grid(page)
    expect(cell(page_b, school.room, 10)).to_have_class(re.compile("cell-free"))
    screenshot(page_a, "1-grid")

    cell(page_a, school.room, 10).get_by_role("button").click()
    dialog = page_a.get_by_role("dialog")
    expect(dialog).to_contain_text("Claim Room 101")
    expect(dialog).to_contain_text("Held for you")
    # B sees the hold: "being booked".
    expect(cell(page_b, school.room, 10)).to_contain_text("Being booked", timeout=1000)
    screenshot(page_b, "2-being-booked")
    dialog.get_by_label("Purpose").fill("Year 9 chemistry")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(page_a.get_by_role("status")).to_contain_text("Room booked successfully: Room 101")
    expect(cell(page_b, school.room, 10)).to_contain_text("Alice Adams", timeout=1000)
    expect(cell(page_b, school.room, 10)).to_contain_text("Year 9 chemistry")
    expect(cell(page_a, school.room, 10)).to_contain_text("You")
    screenshot(page_b, "3-booked-elsewhere")
    assert Booking.objects.get().teacher == school.alice


def test_staff_book_for_a_teacher_who_then_sees_it(live_servers, open_page, school):
    page_s = open_page(live_servers.urls[0], "sam")
    open_grid(page_s)
    cell(page_s, school.hall, 14).get_by_role("button").click()
    dialog = page_s.get_by_role("dialog")
    expect(dialog).to_contain_text("Held for you")
    dialog.get_by_label("Book for").select_option(label="Bob Brown (bob)")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(page_s.get_by_role("status")).to_contain_text(
        re.compile(r"Room booked successfully: Hall, .*, for Bob Brown")
    )
    expect(cell(page_s, school.hall, 14)).to_contain_text("Bob Brown")

    page_b = open_page(live_servers.urls[1], "bob")
    page_b.goto("/bookings/")
    expect(page_b.locator("#bookings-list")).to_contain_text("Hall")
    expect(page_b.locator("#bookings-list")).to_contain_text("Booked for you by Sam Staff")


def test_a_teacher_moves_a_booking_to_another_room_and_the_grid_shows_both_changes(
    live_servers, open_page, screenshot, school
):
    booking = make_booking(school.room, school.alice, at(11), at(12), purpose="Drama")
    page_b = open_page(live_servers.urls[1], "bob")
    open_grid(page_b)
    expect(cell(page_b, school.room, 11)).to_contain_text("Alice Adams")

    page_a = open_page(live_servers.urls[0], "alice")
    page_a.goto("/bookings/")
    page_a.get_by_role("link", name=re.compile("^Change booking of Room 101")).click()
    page_a.get_by_label("Room").select_option(label="Hall (Main Building, 120 seats)")
    screenshot(page_a, "1-move-page")
    page_a.get_by_role("button", name="Save changes").click()
    expect(page_a.get_by_role("status")).to_contain_text("Booking moved: Hall")

    expect(cell(page_b, school.room, 11)).to_have_class(re.compile("cell-free"), timeout=1000)
    expect(cell(page_b, school.hall, 11)).to_contain_text("Alice Adams", timeout=1000)
    screenshot(page_b, "2-grid-after-move")
    booking.refresh_from_db()
    assert booking.room == school.hall


def test_the_grid_and_the_room_page_have_no_serious_accessibility_violations(live_servers, open_page, school):
    make_booking(school.room, school.bob, at(9), at(10), purpose="Maths")
    page = open_page(live_servers.urls[0], "alice", bypass_csp=True)
    page.goto(grid_url())
    assert axe_violations(page) == [], "timetable"
    # Keyboard: Tab reaches the first free cell's button, Enter opens the dialog.
    first_free = page.locator("#timetable .cell-free button").first
    first_free.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_contain_text("Held for you")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(first_free).to_be_focused()
    page.goto(f"/rooms/{school.room.pk}/")
    assert axe_violations(page) == [], "room page"


def test_the_printed_grid_names_the_teacher_and_keeps_the_legend(live_servers, open_page, school):
    make_booking(school.room, school.alice, at(10), at(11))
    page = open_page(live_servers.urls[0], "alice")
    open_grid(page)
    mine = cell(page, school.room, 10)
    expect(mine).to_contain_text("You")
    page.emulate_media(media="print")
    expect(mine.get_by_text("Alice Adams")).to_be_visible()
    expect(mine.get_by_text("You", exact=True)).to_be_hidden()
    expect(page.locator("#timetable .legend")).to_be_visible()
    expect(page.locator(".topbar")).to_be_hidden()
