"""A teacher who chose German books a room in real Chromium: the page, the dialog the
script writes, its countdown and the toast, all in German."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Booking
from tests.factories import at, make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_german_teacher_claims_a_room_in_german(live_servers, open_page, screenshot):
    greta = make_teacher("Greta Graf", username="greta", language="de")
    room = make_room("Room 101", capacity=24, building="Science Wing")
    page = open_page(live_servers.urls[0], "greta")  # logs in on the English login page
    day = timezone.localtime(at(10)).date().isoformat()
    page.goto(f"/?date={day}&start=10:00&end=11:00&capacity=20")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Einen freien Raum finden")
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    expect(page.locator("#live-indicator .live-label")).to_have_text("Live")
    expect(page.locator("#live-indicator")).to_have_attribute("title", "Live-Aktualisierung ist an")

    page.get_by_role("button", name="Raum buchen").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Buchen: Room 101")
    expect(dialog).to_contain_text(
        re.compile(r"Noch \d+ s für Sie reserviert\. Bestätigen Sie, um ihn zu buchen\.")
    )
    dialog.get_by_label("Zweck").fill("Chemie 9b")
    screenshot(page, "1-dialog-german")
    dialog.get_by_role("button", name="Buchung bestätigen").click()
    expect(page.get_by_role("status")).to_contain_text("Raum erfolgreich gebucht: Room 101")
    screenshot(page, "2-booked-german")
    booking = Booking.objects.get()
    assert (booking.teacher, booking.room, booking.purpose) == (greta, room, "Chemie 9b")
