"""What an audit found, as a person meets it in Chromium: the admin's booking form goes
through the guard, repeated wrong passwords lock an account, the claim dialog survives a
network failure, and every page keeps to its Content-Security-Policy."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from bookings.models import Booking
from tests.browser.test_claim_flow import card, search_url
from tests.factories import at, make_booking, make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csp_violations(page) -> list[str]:
    """Collects what the browser refused under the page's policy."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return seen


def test_admin_books_through_the_guard_and_sees_who_has_the_room(live_servers, open_page, screenshot):
    make_teacher("Ada Admin", username="ada", is_staff=True, is_superuser=True)
    bob, carol = make_teacher("Bob Brown"), make_teacher("Carol Clark")
    room = make_room("Room 101")
    make_booking(room, bob, at(10), at(11))
    page = open_page(live_servers.urls[0], "ada")
    refused = csp_violations(page)
    page.goto("/admin/bookings/booking/add/")
    for field, text in (("teacher", "Carol"), ("room", "Room 101")):
        page.locator(f".field-{field} .select2-selection").click()
        page.locator(".select2-search__field").fill(text)
        page.locator(".select2-results__option", has_text=text).first.click()
    start = at(10.5)
    page.locator("#id_start_0").fill(f"{start:%Y-%m-%d}")
    page.locator("#id_start_1").fill("10:30:00")
    page.locator("#id_end_0").fill(f"{start:%Y-%m-%d}")
    page.locator("#id_end_1").fill("11:30:00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errornote, .errorlist").first).to_be_visible()
    expect(page.locator("body")).to_contain_text("Room already booked by Bob Brown")
    screenshot(page, "admin-overlap-refused")
    assert Booking.objects.count() == 1
    page.locator("#id_start_1").fill("11:00:00")
    page.locator("#id_end_1").fill("12:00:00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert Booking.objects.filter(teacher=carol, room=room).count() == 1
    for path in ("/admin/", "/analytics/", "/accounts/password_change/"):
        page.goto(path)
    assert refused == []


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(live_servers, browser, screenshot):
    make_teacher("Dan Dean", username="dan")
    context = browser.new_context(base_url=live_servers.urls[1])
    page = context.new_page()
    page.goto("/accounts/login/")
    for _ in range(5):
        page.get_by_label("Username").fill("dan")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
        if "Too many" in page.content():
            break
    expect(page.locator(".form-error")).to_contain_text("Too many failed logins for this account")
    screenshot(page, "locked-out")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("dan")
    page.get_by_label("Password").fill("test-pass-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".form-error")).to_contain_text("Too many failed logins for this account")
    context.close()
    assert "server" not in httpx.get(f"{live_servers.urls[1]}/accounts/login/").headers  # no banner


def test_the_claim_dialog_recovers_from_a_network_failure(live_servers, open_page, screenshot):
    alice = make_teacher("Alice Adams", username="alice")
    room = make_room("Room 101", capacity=24, features=("projector",))
    page = open_page(live_servers.urls[0], "alice")
    refused = csp_violations(page)
    page.goto(search_url())
    card(page, room).get_by_role("button", name="Claim Room").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(re.compile(r"Held for you for \d+ s"))
    page.route(re.compile(r".*/claim/$"), lambda route: route.abort("internetdisconnected"))
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(dialog).to_contain_text("No answer came back")
    expect(dialog.get_by_role("button", name="Confirm booking")).to_be_enabled()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_enabled()
    screenshot(page, "network-failure")
    page.unroute(re.compile(r".*/claim/$"))
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("status")).to_contain_text("Room booked successfully")
    assert Booking.objects.get().teacher == alice
    page.goto("/bookings/")
    page.goto("/account/notifications/")
    assert refused == []
