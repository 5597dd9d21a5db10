"""The original design's scenario in real Chromium: two teachers, one room, two server
processes. Teacher A on process 1, teacher B on process 2."""

import re
from types import SimpleNamespace

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Booking
from tests.chromium import axe_violations
from tests.factories import at, make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def school():
    return SimpleNamespace(
        alice=make_teacher("Alice Adams", username="alice"),
        bob=make_teacher("Bob Brown", username="bob"),
        room=make_room("Room 101", capacity=24, features=("projector",), building="Science Wing"),
        spare=make_room("Room 102", capacity=60, features=("projector", "whiteboard")),
    )


def search_url(capacity=20):
    day = timezone.localtime(at(10)).date().isoformat()
    return f"/?date={day}&start=10:00&end=11:00&capacity={capacity}&feature=projector"


def card(page, room):
    return page.locator(f'#search-results [data-room-id="{room.pk}"]')


def csrf_token(page) -> str:
    return next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")


def wait_live(page):
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")


def test_two_teachers_claim_one_room(live_servers, open_page, screenshot, school):
    room, spare = school.room, school.spare
    page_a = open_page(live_servers.urls[0], "alice")
    page_b = open_page(live_servers.urls[1], "bob")
    for page in (page_a, page_b):
        page.goto(search_url())
        wait_live(page)
        expect(card(page, room)).to_be_visible()
    expect(page_a.locator("#search-results [data-room-id]").first).to_have_attribute(
        "data-room-id", str(room.pk)
    )
    screenshot(page_a, "1-search-results")

    # A opens the dialog: the hold is taken.
    card(page_a, room).get_by_role("button", name="Claim Room").click()
    dialog_a = page_a.get_by_role("dialog")
    expect(dialog_a).to_be_visible()
    expect(dialog_a).to_contain_text("Room 101")
    expect(dialog_a).to_contain_text(re.compile(r"Held for you for \d+ s"))
    screenshot(page_a, "2-dialog-held")

    # B tries the same room: told at once that someone else is booking it.
    card(page_b, room).get_by_role("button", name="Claim Room").click()
    dialog_b = page_b.get_by_role("dialog")
    expect(dialog_b).to_contain_text("Another teacher is currently booking this room")
    expect(page_b.get_by_role("alert")).to_contain_text("Another teacher is currently booking this room")
    screenshot(page_b, "3-booking-conflict")

    # A confirms.
    dialog_a.get_by_label("Purpose").fill("Year 9 chemistry")
    dialog_a.get_by_role("button", name="Confirm booking").click()
    expect(page_a.get_by_role("status")).to_contain_text("Room booked successfully")
    expect(dialog_a).to_be_hidden()
    expect(card(page_a, room)).to_have_count(0)
    screenshot(page_a, "4-booked")

    # B's results lose the room by themselves, without a reload; B's dialog stays open.
    expect(card(page_b, room)).to_have_count(0, timeout=2000)
    expect(card(page_b, spare)).to_be_visible()
    expect(dialog_b).to_be_visible()

    # B confirms in the dialog that was open while A booked.
    dialog_b.get_by_role("button", name="Confirm booking").click()
    expect(dialog_b).to_contain_text("Room already booked by Alice Adams")
    expect(page_b.get_by_role("alert")).to_contain_text("Room already booked by Alice Adams")
    # Lost for good: Confirm cannot win now, and one error toast stands for the outcome.
    expect(dialog_b.get_by_role("button", name="Confirm booking")).to_be_disabled()
    expect(page_b.locator(".toast-error")).to_have_count(1)
    screenshot(page_b, "5-room-already-booked")

    page_b.keyboard.press("Escape")
    expect(dialog_b).to_be_hidden()
    booking = Booking.objects.get()
    assert (booking.teacher, booking.room, booking.purpose) == (school.alice, room, "Year 9 chemistry")

    page_a.get_by_role("link", name="My bookings").click()
    expect(page_a.locator("#bookings-list")).to_contain_text("Room 101")
    expect(page_a.locator("#bookings-list")).to_contain_text("Year 9 chemistry")
    screenshot(page_a, "6-my-bookings")


def test_results_refresh_again_after_the_socket_reconnects(live_servers, open_page, school):
    room, spare = school.room, school.spare
    page_b = open_page(live_servers.urls[1], "bob")
    page_b.goto(search_url())
    wait_live(page_b)
    page_b.evaluate("window.roomclaimSocket.close()")  # the network drops
    expect(page_b.locator("#live-indicator")).to_have_attribute("data-state", "offline")
    wait_live(page_b)

    page_a = open_page(live_servers.urls[0], "alice")
    page_a.goto(search_url())
    card(page_a, spare).get_by_role("button", name="Claim Room").click()
    page_a.get_by_role("dialog").get_by_role("button", name="Confirm booking").click()
    expect(page_a.get_by_role("status")).to_contain_text("Room booked successfully")

    expect(card(page_b, spare)).to_have_count(0, timeout=2000)
    expect(card(page_b, room)).to_be_visible()


def test_cancel_and_escape_release_the_hold_and_return_focus(live_servers, open_page, school):
    room = school.room
    page_a = open_page(live_servers.urls[0], "alice")
    page_b = open_page(live_servers.urls[1], "bob")
    page_a.goto(search_url())
    page_b.goto(search_url())

    claim_button = card(page_a, room).get_by_role("button", name="Claim Room")
    claim_button.click()
    dialog = page_a.get_by_role("dialog")
    expect(dialog).to_contain_text("Held for you")

    # Focus stays inside the open dialog.
    for key in ["Tab"] * 6 + ["Shift+Tab"] * 6:
        page_a.keyboard.press(key)
        assert page_a.evaluate("document.getElementById('claim-dialog').contains(document.activeElement)")

    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(claim_button).to_be_focused()

    # The hold is gone: B can take it at once.
    card(page_b, room).get_by_role("button", name="Claim Room").click()
    expect(page_b.get_by_role("dialog")).to_contain_text("Held for you")
    page_b.keyboard.press("Escape")
    expect(page_b.get_by_role("dialog")).to_be_hidden()
    claim_button.click()
    expect(dialog).to_contain_text("Held for you")


def test_without_javascript_the_forms_still_work(live_servers, browser, school):
    context = browser.new_context(base_url=live_servers.urls[0], java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("test-pass-123")
    page.get_by_role("button", name="Log in").click()
    page.goto(search_url())
    card(page, school.room).get_by_role("button", name="Claim Room").click()
    expect(page.get_by_role("heading", name="Claim Room 101")).to_be_visible()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page).to_have_url(re.compile(r"/bookings/$"))
    expect(page.get_by_text("Room booked successfully")).to_be_visible()
    page.get_by_role("link", name=re.compile("Cancel booking")).click()
    expect(page.get_by_text("Cancel your booking of Room 101")).to_be_visible()
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_text("Booking cancelled")).to_be_visible()
    assert Booking.objects.get().status == "cancelled"
    context.close()


def test_pages_and_dialog_have_no_serious_accessibility_violations(live_servers, open_page, school):
    room = school.room
    page = open_page(live_servers.urls[0], "alice", bypass_csp=True)  # axe is injected inline
    page.goto(search_url())
    assert axe_violations(page) == [], "dashboard"
    card(page, room).get_by_role("button", name="Claim Room").click()
    expect(page.get_by_role("dialog")).to_contain_text("Held for you")
    assert axe_violations(page) == [], "dialog"
    page.get_by_role("dialog").get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("status")).to_contain_text("Room booked successfully")
    page.goto("/bookings/")
    assert axe_violations(page) == [], "my bookings"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
              .filter(el => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
              .map(el => el.outerHTML)"""
    )
    assert unlabelled == []


def test_my_bookings_follows_bookings_made_in_another_tab(live_servers, open_page, school):
    dashboard = open_page(live_servers.urls[0], "alice")
    bookings_tab = dashboard.context.new_page()
    bookings_tab.goto("/bookings/")
    wait_live(bookings_tab)
    expect(bookings_tab.locator("#bookings-list")).to_contain_text("No upcoming bookings")

    dashboard.goto(search_url())
    card(dashboard, school.room).get_by_role("button", name="Claim Room").click()
    dashboard.get_by_role("dialog").get_by_role("button", name="Confirm booking").click()
    expect(dashboard.get_by_role("status")).to_contain_text("Room booked successfully")

    expect(bookings_tab.locator("#bookings-list")).to_contain_text("Room 101", timeout=2000)
    bookings_tab.once("dialog", lambda dialog: dialog.accept())
    bookings_tab.get_by_role("link", name="Cancel booking of Room 101").click()
    expect(bookings_tab.get_by_role("status")).to_contain_text("Booking cancelled")
    expect(bookings_tab.locator("#bookings-list")).to_contain_text("Cancelled")


def test_static_files_are_served_by_the_app_with_debug_off(live_servers):
    page = httpx.get(f"{live_servers.urls[0]}/accounts/login/")
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', page.text)
    assert stylesheet, "the page links a hashed stylesheet (collectstatic manifest)"
    response = httpx.get(f"{live_servers.urls[0]}{stylesheet.group(1)}")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
    assert "max-age" in response.headers["cache-control"]


def test_join_the_waitlist_and_get_the_offer(live_servers, open_page, school):
    make_teacher("Carol Clark", username="carol")
    page_a = open_page(live_servers.urls[0], "alice")
    page_b = open_page(live_servers.urls[1], "bob")
    for page in (page_a, page_b):
        page.goto(search_url())
        wait_live(page)
    card(page_a, school.room).get_by_role("button", name="Claim Room").click()
    expect(page_a.get_by_role("dialog")).to_contain_text("Held for you")
    card(page_b, school.room).get_by_role("button", name="Claim Room").click()
    dialog_b = page_b.get_by_role("dialog")
    expect(dialog_b).to_contain_text("Another teacher is currently booking this room")
    page_a.get_by_role("dialog").get_by_role("button", name="Confirm booking").click()
    expect(page_a.get_by_role("status")).to_contain_text("Room booked successfully")

    # B's confirmation finds the room taken, and is offered the waitlist.
    dialog_b.get_by_role("button", name="Confirm booking").click()
    expect(dialog_b).to_contain_text("Room already booked by Alice Adams")
    dialog_b.locator("#claim-dialog-form").get_by_role("button", name="Join waitlist").click()
    expect(page_b.get_by_role("status")).to_contain_text("You are on the waitlist for Room 101")
    expect(dialog_b).to_be_hidden()

    # A cancels: B, first in line, is offered the room at once.
    page_a.goto("/bookings/")
    page_a.once("dialog", lambda dialog: dialog.accept())
    page_a.get_by_role("link", name="Cancel booking of Room 101").click()
    expect(page_b.get_by_role("status")).to_contain_text("Room 101 is free for you", timeout=3000)

    # Meanwhile a third teacher's overlapping claim is refused: the offer holds the room.
    carol = open_page(live_servers.urls[0], "carol")
    day = timezone.localtime(at(10)).date().isoformat()
    carol.goto(f"/?date={day}&start=10:00&end=10:45&capacity=1")
    expect(card(carol, school.room)).to_have_count(0)
    refused = carol.request.post(
        f"/rooms/{school.room.pk}/claim/",
        form={"start": f"{day}T10:00", "end": f"{day}T10:45"},
        headers={"Accept": "application/json", "X-CSRFToken": csrf_token(carol)},
    )
    assert refused.status == 409 and "held for a teacher on the waitlist" in refused.json()["message"]

    # The offer's link opens the room's dialog at once, for the offered period.
    page_b.get_by_role("link", name="Claim it").click()
    expect(page_b.get_by_role("dialog")).to_contain_text("Held for you")
    expect(page_b.get_by_role("dialog")).to_contain_text("Room 101")
    page_b.get_by_role("dialog").get_by_role("button", name="Confirm booking").click()
    expect(page_b.get_by_role("status")).to_contain_text("Room booked successfully")
    assert Booking.objects.get(status="confirmed").teacher == school.bob


def test_recurring_claim(live_servers, open_page, school):
    page = open_page(live_servers.urls[0], "alice")
    page.goto(search_url())
    card(page, school.room).get_by_role("button", name="Claim Room").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Held for you")
    dialog.get_by_text("Repeat", exact=True).first.click()
    dialog.get_by_label("Repeat").select_option("weekly")
    until = timezone.localtime(at(10)).date() + timezone.timedelta(weeks=2)
    dialog.get_by_label("Until").fill(until.isoformat())
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(r"Room booked successfully: Room 101, .*, 3 dates")
    )
    assert Booking.objects.filter(series__isnull=False).count() == 3
    page.goto("/bookings/")
    expect(page.locator("#bookings-list")).to_contain_text("Repeats: every week on this weekday")


def test_a_teacher_who_lost_picks_an_alternative_from_the_dialog(live_servers, open_page, screenshot, school):
    page_a = open_page(live_servers.urls[0], "alice")
    page_b = open_page(live_servers.urls[1], "bob")
    for page in (page_a, page_b):
        page.goto(search_url())
    card(page_a, school.room).get_by_role("button", name="Claim Room").click()
    expect(page_a.get_by_role("dialog")).to_contain_text("Held for you")
    card(page_b, school.room).get_by_role("button", name="Claim Room").click()
    dialog_b = page_b.get_by_role("dialog")
    expect(dialog_b).to_contain_text("Another teacher is currently booking this room")
    expect(dialog_b).to_contain_text("Free instead:")
    screenshot(page_b, "alternatives")
    dialog_b.get_by_role("button", name=re.compile(r"^Room 102 · ")).click()
    expect(dialog_b).to_contain_text("Claim Room 102")
    expect(dialog_b).to_contain_text("Held for you")
    dialog_b.get_by_role("button", name="Confirm booking").click()
    expect(page_b.get_by_role("status")).to_contain_text("Room booked successfully: Room 102")
    assert Booking.objects.get().room == school.spare


def test_wait_for_a_room_being_confirmed_and_get_it_when_the_holder_gives_up(
    live_servers, open_page, screenshot, school
):
    make_teacher("Carol Clark", username="carol")
    page_a = open_page(live_servers.urls[0], "alice")
    page_b = open_page(live_servers.urls[1], "bob")
    page_c = open_page(live_servers.urls[0], "carol")
    for page in (page_a, page_b, page_c):
        page.goto(search_url())
        wait_live(page)
    card(page_a, school.room).get_by_role("button", name="Claim Room").click()
    dialog_a = page_a.get_by_role("dialog")
    expect(dialog_a).to_contain_text("Held for you")

    # B and then C meet the conflict and choose to wait: they stand in line in that order.
    dialogs = {}
    for page, place in ((page_b, 1), (page_c, 2)):
        card(page, school.room).get_by_role("button", name="Claim Room").click()
        dialog = dialogs[page] = page.get_by_role("dialog")
        expect(dialog).to_contain_text("Another teacher is currently booking this room")
        dialog.get_by_role("button", name="Wait for this room").click()
        expect(dialog).to_contain_text(f"You are number {place} in line")
        expect(dialog.get_by_role("button", name="Confirm booking")).to_be_disabled()
    screenshot(page_b, "1-waiting-in-line")

    # A cancels the dialog: within a second B's dialog is a confirm, held for B.
    dialog_a.get_by_role("button", name="Cancel").click()
    expect(dialogs[page_b]).to_contain_text("Your turn! Held for you", timeout=1000)
    expect(dialogs[page_b].get_by_role("button", name="Confirm booking")).to_be_enabled()
    expect(dialogs[page_c]).to_contain_text("You are number 2 in line")  # C still waits
    screenshot(page_b, "2-your-turn")

    # B books; C, still in line, hears the room is taken and is offered the waitlist.
    dialogs[page_b].get_by_role("button", name="Confirm booking").click()
    expect(page_b.get_by_role("status")).to_contain_text("Room booked successfully: Room 101")
    expect(dialogs[page_c]).to_contain_text("Room already booked by Bob Brown", timeout=2000)
    expect(dialogs[page_c].get_by_role("button", name="Join waitlist")).to_be_visible()
    screenshot(page_c, "3-line-told-room-taken")
    assert Booking.objects.get(status="confirmed").teacher == school.bob


def test_closing_the_tab_passes_the_hold_to_whoever_waits(live_servers, open_page, school):
    page_a = open_page(live_servers.urls[0], "alice")
    page_b = open_page(live_servers.urls[1], "bob")
    for page in (page_a, page_b):
        page.goto(search_url())
        wait_live(page)
    card(page_a, school.room).get_by_role("button", name="Claim Room").click()
    expect(page_a.get_by_role("dialog")).to_contain_text("Held for you")
    card(page_b, school.room).get_by_role("button", name="Claim Room").click()
    dialog_b = page_b.get_by_role("dialog")
    dialog_b.get_by_role("button", name="Wait for this room").click()
    expect(dialog_b).to_contain_text("You are number 1 in line")
    page_a.close(run_before_unload=True)
    expect(dialog_b).to_contain_text("Your turn! Held for you", timeout=1000)
