"""The timetable under races, on two server processes sharing PostgreSQL and Redis: a
lesson import while teachers claim the rooms it takes, and a lesson's room given back
while several teachers (and the lesson's own teacher, taking it back) reach for it."""

import asyncio
from datetime import datetime, time, timedelta

import pytest
from django.db import connections
from django.utils import timezone

from bookings import services
from bookings.integrity import overlapping_pairs
from bookings.lessons.plan import import_timetable
from bookings.models import Booking, Lesson
from rooms.models import Period, Term
from rooms.settings_cache import clear_all
from tests.factories import make_room, make_teacher

from .test_races_across_processes import clients, close, db

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

PLAN = [(8, 0, 8, 45), (8, 45, 9, 30), (9, 50, 10, 35), (10, 35, 11, 20), (11, 40, 12, 25), (12, 25, 13, 10)]


@pytest.fixture
def school():
    """A six-period day, four weeks of term from a Monday ahead, three rooms, a teacher
    with a timetable code and eight colleagues."""
    today = timezone.localdate()
    monday = today + timedelta(days=14 - today.weekday())
    Term.objects.create(name="Term", first_day=monday, last_day=monday + timedelta(days=27))
    for number, (h1, m1, h2, m2) in enumerate(PLAN, start=1):
        Period.objects.create(name=f"Period {number}", starts=time(h1, m1), ends=time(h2, m2))
    clear_all()
    rooms = [make_room(name) for name in ("Raum 101", "Raum 102", "Aula")]
    teacher = make_teacher("Frau Müller", code="MÜL")
    colleagues = [make_teacher(f"Colleague {n}") for n in range(8)]
    yield monday, rooms, teacher, colleagues
    clear_all()


def timetable() -> bytes:
    """Every room, every period of Monday to Wednesday: a full timetable to race against."""
    rows = ["group,subject,teachers,room,weekday,period"]
    for room in ("Raum 101", "Raum 102", "Aula"):
        for day in (1, 2, 3):
            for period in range(1, 7):
                rows.append(f"{room[-3:]}-{day}-{period},Fach,MÜL,{room},{day},{period}")
    return "\n".join(rows).encode()


def period(day, number: int) -> dict:
    tz = timezone.get_current_timezone()
    h1, m1, h2, m2 = PLAN[number - 1]
    start, end = datetime.combine(day, time(h1, m1), tz), datetime.combine(day, time(h2, m2), tz)
    return {
        "start": f"{timezone.localtime(start):%Y-%m-%dT%H:%M}",
        "end": f"{timezone.localtime(end):%Y-%m-%dT%H:%M}",
    }


def on_a_thread(work):
    def run():
        try:
            return work()
        finally:
            connections.close_all()

    return asyncio.to_thread(run)


async def test_a_lesson_import_while_teachers_claim_its_rooms_never_overlaps(live_servers, school):
    monday, rooms, _teacher, colleagues = school
    http = await clients(live_servers, colleagues)
    try:
        claims = [
            client.post(
                f"/rooms/{rooms[n % 3].pk}/claim/", data=period(monday + timedelta(days=n % 3), 1 + n % 6)
            )
            for n, client in enumerate(http * 3)
        ]
        answers, outcome = await asyncio.gather(
            asyncio.gather(*claims),
            on_a_thread(lambda: import_timetable(timetable(), start=monday, lessons_win=True)),
        )
        assert await db(overlapping_pairs) == 0
        booked = [answer.json()["booking"]["id"] for answer in answers if answer.status_code == 201]
        assert {answer.status_code for answer in answers} <= {201, 409}
        # Each 201 is a row; one the lessons won was cancelled by the import, and said so.
        statuses = await db(lambda: dict(Booking.objects.filter(pk__in=booked).values_list("pk", "status")))
        assert set(statuses) == set(booked)
        cancelled = [pk for pk, status in statuses.items() if status == "cancelled"]
        assert len(cancelled) == len(outcome.cancelled)
        assert await db(Lesson.objects.count) == 54
    finally:
        await close(http)


async def test_a_room_given_back_goes_to_exactly_one_taker_across_processes(live_servers, school):
    monday, rooms, teacher, colleagues = school
    await on_a_thread(lambda: import_timetable(timetable(), start=monday))
    lesson_date = await db(
        lambda: Booking.objects.filter(lesson__isnull=False, room=rooms[0]).order_by("start").first()
    )
    await on_a_thread(
        lambda: services.lesson_release(date_id=lesson_date.pk, teacher=teacher, reason="7b on a trip")
    )
    [own, *others] = await clients(live_servers, [teacher, *colleagues])
    try:
        asked = period(timezone.localtime(lesson_date.start).date(), 1)
        reaching = [client.post(f"/rooms/{rooms[0].pk}/claim/", data=asked) for client in others]
        reaching.append(
            own.post(f"/lessons/dates/{lesson_date.pk}/restore/", headers={"Accept": "application/json"})
        )
        answers = await asyncio.gather(*reaching)
        winners = [answer for answer in answers if answer.status_code in (200, 201)]
        assert len(winners) == 1, [answer.status_code for answer in answers]
        assert {answer.status_code for answer in answers if answer not in winners} == {409}
        assert await db(overlapping_pairs) == 0
        taken = await db(
            lambda: Booking.objects.confirmed().filter(room=rooms[0], start=lesson_date.start).count()
        )
        assert taken == 1
    finally:
        await close([own], others)


@pytest.fixture
def club():
    """Alice's club: Room 101 every Monday 10:00 to 11:00 for four weeks; six colleagues."""
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    tz = timezone.get_current_timezone()
    alice = make_teacher("Alice Adams")
    room = make_room("Room 101")
    made = services.series_create(
        teacher=alice,
        room_id=room.pk,
        start=datetime.combine(monday, time(10), tz),
        end=datetime.combine(monday, time(11), tz),
        rule="weekly",
        until=monday + timedelta(weeks=3),
    )
    return made, alice, room, [make_teacher(f"Colleague {n}") for n in range(6)]


async def test_two_changes_of_a_series_and_claims_of_its_new_slots_never_overlap(live_servers, club):
    made, alice, room, colleagues = club
    [alice_a, alice_b] = await clients(live_servers, [alice, alice])
    others = await clients(live_servers, colleagues)
    url = f"/series/{made.series.pk}/change/"
    first = made.bookings[0]
    try:
        changes = [
            alice_a.post(url, data={"date": first.pk, "scope": "all", "starts": "13:00", "ends": "14:00"}),
            alice_b.post(url, data={"date": first.pk, "scope": "all", "starts": "13:30", "ends": "14:30"}),
        ]
        days = [timezone.localtime(b.start).date() for b in made.bookings]
        claims = [
            client.post(
                f"/rooms/{room.pk}/claim/",
                data={"start": f"{days[n % 4]}T13:15", "end": f"{days[n % 4]}T14:15"},
            )
            for n, client in enumerate(others)
        ]
        answers = await asyncio.gather(*changes, *claims)
        assert {answer.status_code for answer in answers} <= {200, 201, 409, 503}
        assert await db(overlapping_pairs) == 0
        starts = await db(
            lambda: {
                timezone.localtime(b.start).time()
                for b in Booking.objects.filter(pk__in=[b.pk for b in made.bookings])
            }
        )
        assert len(starts) == 1  # each change all or nothing: the dates moved together, or not at all
        booked = [answer.json()["booking"]["id"] for answer in answers[2:] if answer.status_code == 201]
        assert await db(lambda: Booking.objects.confirmed().filter(pk__in=booked).count()) == len(booked)
    finally:
        await close([alice_a, alice_b], others)
