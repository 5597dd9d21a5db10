"""The school's timetable in real Chromium, on two server processes: a teacher whose class
is away gives tomorrow's Period 3 back, and a colleague watching the grid sees the cell
turn free (with the reason) within a second and books it."""

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.lessons.plan import import_timetable
from bookings.models import Booking
from rooms.models import Period, Term
from tests.factories import make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAN = [(8, 0, 8, 45), (8, 45, 9, 30), (9, 50, 10, 35), (10, 35, 11, 20), (11, 40, 12, 25), (12, 25, 13, 10)]


def test_a_class_away_gives_its_room_back_and_a_colleague_books_it_at_once(
    live_servers, open_page, screenshot
):
    make_teacher("Frau Müller", username="mueller", code="MÜL")
    make_teacher("Alice Adams", username="alice")
    room = make_room("Raum 101", capacity=30)
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    Term.objects.create(name="Term", first_day=today, last_day=today + timedelta(days=40))
    for number, (h1, m1, h2, m2) in enumerate(PLAN, start=1):
        Period.objects.create(name=f"Period {number}", starts=time(h1, m1), ends=time(h2, m2))
    timetable = (
        f"group,subject,teachers,room,weekday,period\n7b,Mathe,MÜL,Raum 101,{tomorrow.isoweekday()},3\n"
    )
    import_timetable(timetable.encode(), start=today)

    teacher = open_page(live_servers.urls[0], "mueller")
    colleague = open_page(live_servers.urls[1], "alice")
    colleague.goto(f"/timetable/?date={tomorrow.isoformat()}")
    expect(colleague.locator("#live-indicator")).to_have_attribute("data-state", "live")
    period_3 = colleague.locator(f'#timetable tr[data-room-id="{room.pk}"]').locator("td").nth(2)
    expect(period_3).to_have_class(re.compile("cell-lesson"))
    expect(period_3).to_contain_text("7b Mathe")
    screenshot(colleague, "1-grid-with-a-lesson")

    teacher.goto("/timetable/mine/")
    lesson = teacher.locator("[data-lesson-date-id]").first
    expect(lesson).to_contain_text("7b Mathe")
    lesson.get_by_label("Why is the room free?").fill("7b on a trip")
    screenshot(teacher, "2-my-timetable")
    lesson.get_by_role("button", name="Give the room back").click()
    expect(teacher.locator(".messages, [role=status]").first).to_contain_text(
        "Room given back: Raum 101, 1 lesson"
    )
    expect(teacher.locator("[data-lesson-date-id]").first).to_contain_text("Room given back: 7b on a trip")

    expect(period_3).to_have_class(re.compile("cell-free"), timeout=1000)
    expect(period_3).to_contain_text("7b on a trip")
    screenshot(colleague, "3-freed-on-the-grid")
    period_3.get_by_role("button").click()
    dialog = colleague.get_by_role("dialog")
    expect(dialog).to_contain_text("Held for you")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(colleague.get_by_role("status")).to_contain_text("Room booked successfully: Raum 101")
    booked = Booking.objects.get(lesson__isnull=True)
    assert (booked.teacher.username, timezone.localtime(booked.start).time()) == ("alice", time(9, 50))
