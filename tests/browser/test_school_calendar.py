"""A school's calendar in the browser: search by period, claim, and a weekly series that
skips a holiday by itself."""

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Booking
from rooms.models import Closure, Period
from tests.factories import at, make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_by_period_claim_and_a_weekly_series_skips_a_holiday(live_servers, open_page, screenshot):
    make_teacher("Alice Adams", username="alice")
    room = make_room("Room 101", capacity=24, features=("projector",))
    for name, starts, ends in (
        ("Period 2", time(9, 40), time(10, 30)),
        ("Period 3", time(10, 50), time(11, 40)),
    ):
        Period.objects.create(name=name, starts=starts, ends=ends)
    first = timezone.localtime(at(10)).date()
    holiday = first + timedelta(weeks=1)
    Closure.objects.create(first_day=holiday, last_day=holiday, description="Bank holiday")

    page = open_page(live_servers.urls[0], "alice")
    page.goto("/")
    page.get_by_label("Date", exact=True).fill(first.isoformat())
    # Typing a time makes it a search by time; choosing a period fills in its times.
    page.get_by_label("Start", exact=True).fill("09:00")
    expect(page.get_by_label("Period", exact=True)).to_have_value("")
    page.get_by_label("Period", exact=True).select_option("Period 3")
    expect(page.get_by_label("Start", exact=True)).to_have_value("10:50")
    expect(page.get_by_label("End", exact=True)).to_have_value("11:40")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#search-results")
    expect(results.get_by_role("heading", level=2)).to_contain_text("Period 3 (10:50\u201311:40)")
    screenshot(page, "1-search-by-period")

    page.locator(f'#search-results [data-room-id="{room.pk}"]').get_by_role(
        "button", name="Claim Room"
    ).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Period 3 (10:50\u201311:40)")
    expect(dialog).to_contain_text("Held for you")
    dialog.get_by_text("Repeat", exact=True).first.click()
    dialog.get_by_label("Repeat").select_option("weekly")
    dialog.get_by_label("Until").fill((first + timedelta(weeks=2)).isoformat())
    screenshot(page, "2-weekly-series")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(r"Room booked successfully: Room 101, .*, 2 dates, 1 closed date skipped \(.+\)")
    )
    booked = sorted(timezone.localtime(b.start).date() for b in Booking.objects.filter(status="confirmed"))
    assert booked == [first, first + timedelta(weeks=2)]

    page.goto("/bookings/")
    expect(page.locator("#bookings-list")).to_contain_text("Period 3")
    screenshot(page, "3-my-bookings")

    # The holiday itself: the search says the school is closed, and why.
    page.goto(f"/?date={holiday.isoformat()}&period=Period+3")
    expect(page.locator("#search-results")).to_contain_text("No room can be booked then")
    expect(page.locator("#search-results")).to_contain_text("Bank holiday (holiday)")
    screenshot(page, "4-closed-day")
