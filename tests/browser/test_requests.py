"""A room that needs approval, in real Chromium on both server processes: a teacher
requests the hall, an approver in another browser sees the request arrive live and
declines it with a reason, the teacher's My bookings shows the reason within a second,
and the slot is free again for a third teacher."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Booking, BookingRule
from tests.factories import at, make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_live(page):
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")


def search_url():
    day = timezone.localtime(at(10)).date().isoformat()
    return f"/?date={day}&start=10:00&end=11:00&capacity=100"


def test_a_request_is_declined_live_and_the_slot_frees_for_a_third_teacher(
    live_servers, open_page, screenshot
):
    leadership = Group.objects.create(name="Leadership")
    hall = make_room("Hall", capacity=200)
    BookingRule.objects.create(room=hall, approvers=leadership)
    make_teacher("Tom Teacher", username="tom")
    head = make_teacher("Hannah Head", username="hannah")
    head.groups.add(leadership)
    make_teacher("Theo Third", username="theo")

    approver = open_page(live_servers.urls[1], "hannah")
    approver.goto("/requests/")
    wait_live(approver)
    expect(approver.get_by_text("Nothing to decide.")).to_be_visible()

    # Tom requests the hall from the search, on the other process.
    tom = open_page(live_servers.urls[0], "tom")
    tom.goto(search_url())
    wait_live(tom)
    card = tom.locator(f'#search-results [data-room-id="{hall.pk}"]')
    card.get_by_role("button", name="Claim Room").click()
    dialog = tom.get_by_role("dialog")
    dialog.get_by_label("Purpose").fill("Year 7 assembly")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(tom.get_by_role("status")).to_contain_text("Requested: Hall")
    expect(tom.get_by_role("status")).to_contain_text("Leadership will decide")
    expect(tom.locator(f'#search-results [data-taken-room-id="{hall.pk}"]')).to_contain_text(
        "Requested by you (awaiting approval)"
    )
    request = Booking.objects.get()
    assert request.status == Booking.Status.REQUESTED

    # The approver's page shows it without a reload.
    row = approver.locator(f'[data-booking-id="{request.pk}"]')
    expect(row).to_contain_text("Tom Teacher", timeout=2000)
    expect(row).to_contain_text("Year 7 assembly")
    screenshot(approver, "1-request-arrived")

    # Tom watches My bookings while Hannah declines with a reason.
    tom.goto("/bookings/")
    wait_live(tom)
    mine = tom.locator(f'[data-booking-id="{request.pk}"]')
    expect(mine).to_contain_text("Awaiting approval")
    screenshot(tom, "2-awaiting-approval")
    row.get_by_label("Reason (the teacher reads it)").fill("The hall is set up for exams that day")
    row.get_by_role("button", name="Decline").click()
    expect(mine).to_contain_text("Why: The hall is set up for exams that day", timeout=1000)
    expect(mine).to_contain_text("Declined by Hannah Head")
    expect(approver.get_by_role("status")).to_contain_text("Declined: Hall")
    expect(approver.get_by_text("Nothing to decide.")).to_be_visible()
    screenshot(tom, "3-declined-with-reason")
    screenshot(approver, "4-decided")

    # The slot is free again: Theo finds the hall free and requests it.
    theo = open_page(live_servers.urls[0], "theo")
    theo.goto(search_url())
    card = theo.locator(f'#search-results [data-room-id="{hall.pk}"]')
    expect(card).to_be_visible()
    card.get_by_role("button", name="Claim Room").click()
    theo.get_by_role("dialog").get_by_role("button", name="Confirm booking").click()
    expect(theo.get_by_role("status")).to_contain_text("Requested: Hall")
    assert Booking.objects.filter(status=Booking.Status.REQUESTED, teacher__username="theo").count() == 1
