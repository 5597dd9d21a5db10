"""A series that changes, in real Chromium: a teacher moves this and the following dates
of a weekly series to another period, sees first that a colleague has one of them (named),
confirms for the free dates, and My bookings shows two series, the date left behind
marked."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings import services
from bookings.models import Booking, Series
from tests.factories import make_booking, make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_this_and_the_following_dates_move_to_another_period_after_a_preview(
    live_servers, open_page, screenshot
):
    alice = make_teacher("Alice Adams", username="alice")
    bob = make_teacher("Bob Brown", username="bob")
    room = make_room("Room 101", capacity=24)
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    tz = timezone.get_current_timezone()
    made = services.series_create(
        teacher=alice,
        room_id=room.pk,
        start=datetime.combine(monday, time(10), tz),
        end=datetime.combine(monday, time(11), tz),
        rule=Series.Rule.WEEKLY,
        until=monday + timedelta(weeks=3),
        purpose="Science club",
    )
    third = made.bookings[2]
    make_booking(room, bob, third.start.replace(hour=13), third.end.replace(hour=14), purpose="Exam")

    page = open_page(live_servers.urls[0], "alice")
    page.goto("/bookings/")
    date = page.locator(f'[data-booking-id="{made.bookings[1].pk}"]')
    date.get_by_role("link", name="Change from this date").click()
    expect(page.get_by_role("heading", name="Change a series")).to_be_visible()
    page.get_by_label("This and the following dates").check()
    page.get_by_label("Starts at").fill("13:00")
    page.get_by_label("Ends at").fill("14:00")
    page.get_by_role("button", name="See what would happen").click()
    expect(page.locator(f'tr[data-booking-id="{third.pk}"]')).to_contain_text("Taken by Bob Brown")
    expect(page.locator(f'tr[data-booking-id="{made.bookings[1].pk}"]')).to_contain_text("Changes")
    screenshot(page, "1-preview")
    assert Booking.objects.filter(series=made.series, start__hour=13).count() == 0  # nothing yet

    page.get_by_label("Change only the dates whose new slot is free").check()
    page.get_by_role("button", name="Confirm change").click()
    expect(page.get_by_role("status")).to_contain_text("Series changed: 2 dates")
    series_rows = page.locator("[data-series-id]")
    expect(series_rows).to_have_count(2)  # two series, each one row with its dates
    untils = [re.search(r"until (\d+ \w+ \d{4})", text).group(1) for text in series_rows.all_inner_texts()]
    assert len(set(untils)) == 2  # each with its own last day
    expect(series_rows.nth(0).locator("[data-booking-id]")).to_have_count(1)
    expect(series_rows.nth(1).locator("[data-booking-id]")).to_have_count(3)
    expect(page.locator(f'[data-booking-id="{third.pk}"]')).to_contain_text("changed by itself")
    screenshot(page, "2-two-series")
    moved = Booking.objects.get(pk=made.bookings[1].pk)
    assert timezone.localtime(moved.start).time() == time(13) and moved.series_id != made.series.pk
