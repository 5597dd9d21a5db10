"""docs/accessibility.md stays true: every page its table names is checked here with
axe-core against the WCAG 2.0, 2.1 and 2.2 A and AA rules, in the state the table says,
and a page with any finding fails."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from bookings import services
from bookings.lessons.plan import import_timetable
from bookings.models import BookingRule
from teachers import tokens
from tests.factories import at, make_booking, make_room, make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATEMENT = Path(__file__).resolve().parents[2] / "docs" / "accessibility.md"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pages_named() -> list[tuple[str, str, str]]:
    """The statement's table of pages checked: (page, address, state)."""
    text = STATEMENT.read_text(encoding="utf-8")
    table = text[text.index("## Pages checked") :].split("\n## ")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`" in line]
    return [tuple(cell.strip().strip("`") for cell in row.strip("|").split("|")) for row in rows]


def wcag_findings(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    return [
        {"id": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


@pytest.fixture
def school():
    alice = make_teacher("Alice Adams", username="alice", email="alice@school.example")
    bob = make_teacher("Bob Brown", username="bob")
    room = make_room("Room 101", capacity=24, features=("projector",))
    hall = make_room("Hall", capacity=120)
    lab = make_room("Lab", capacity=24)
    BookingRule.objects.create(room=lab).only_groups.add(Group.objects.create(name="Science"))
    booking = make_booking(room, alice, at(9), at(10), purpose="Year 9 chemistry")
    make_booking(room, alice, at(12), at(13), status="cancelled")
    make_booking(hall, bob, at(10), at(11), purpose="Assembly")
    # The hall needs approval by Leadership (Alice): Bob's request waits for her. Alice's
    # own requests for the stage (Facilities decide): one open, one declined.
    leadership, facilities = Group.objects.create(name="Leadership"), Group.objects.create(name="Facilities")
    alice.groups.add(leadership)
    BookingRule.objects.create(room=hall, approvers=leadership)
    tokens.make(alice, name="Hall signage", scope="read", days=30)  # the Access tokens page lists one
    stage = make_room("Stage", capacity=60)
    BookingRule.objects.create(room=stage, approvers=facilities)
    make_booking(hall, bob, at(13), at(14), status="requested", decide_by=at(12), purpose="Drama club")
    make_booking(stage, alice, at(14), at(15), status="requested", decide_by=at(13))
    make_booking(
        stage,
        alice,
        at(15),
        at(16),
        status="declined",
        decided_at=timezone.now(),
        decision_reason="Set build",
    )
    # A lesson of Alice's in the Lab tomorrow at 11:00, for the grid and My timetable.
    tomorrow = timezone.localtime(at(11)).date()
    day = tomorrow.isoweekday()
    lesson = f"group,subject,teachers,room,weekday,starts,ends\n7b,Maths,alice,Lab,{day},11:00,12:00\n"
    import_timetable(lesson.encode(), start=timezone.localdate(), end=tomorrow)
    return SimpleNamespace(alice=alice, room=room, booking=booking, hall=hall)


def test_the_statement_names_the_pages_it_promises():
    named = pages_named()
    assert len(named) >= 10 and all(address.startswith("/") for _, address, _ in named)


def test_every_page_the_statement_names_has_no_wcag_aa_finding(live_servers, open_page, school):
    services.waitlist_join(teacher=school.alice, room_id=school.hall.pk, start=at(10), end=at(11))
    anonymous = open_page(live_servers.urls[0], "alice", bypass_csp=True)
    anonymous.context.clear_cookies()
    page = open_page(live_servers.urls[0], "alice", bypass_csp=True)
    found = {}
    for name, address, state in pages_named():
        address = address.format(room=school.room.pk, booking=school.booking.pk, key=school.room.display_key)
        browser_page = anonymous if state.startswith("signed out") else page
        browser_page.goto(address)
        if name == "Find a room":
            expect(browser_page.locator("#search-results [data-room-id]").first).to_be_visible()
        if state.startswith("the dialog open"):
            browser_page.locator("#search-results [data-room-id]").first.get_by_role(
                "button", name="Claim Room"
            ).click()
            expect(browser_page.get_by_role("dialog")).to_contain_text(re.compile("Held for you"))
        if findings := wcag_findings(browser_page):
            found[name] = findings
        if state.startswith("the dialog open"):
            browser_page.keyboard.press("Escape")
    assert found == {}
