"""Requests under races, across two server processes sharing PostgreSQL and Redis: two
approvers deciding one request, a decision while the teacher withdraws, and a request
against a booking of the same slot. One outcome each time, told truthfully, one mail."""

import asyncio

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from bookings import notifications
from bookings.integrity import overlapping_pairs
from bookings.models import Booking, BookingRule, Notification
from tests.factories import PASSWORD, at, local, make_room, make_teacher
from tests.servers import logged_in_client

from .test_races_across_processes import close, db

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ROUNDS = 8
JSON = {"Accept": "application/json"}
REASON = {"reason": "Full"}


@pytest.fixture
def school():
    """The hall needs approval by Leadership (Hannah and Dora); Tom asks for it."""
    leadership = Group.objects.create(name="Leadership")
    hall = make_room("Hall", capacity=200)
    BookingRule.objects.create(room=hall, approvers=leadership)
    hannah, dora = make_teacher("Hannah Head"), make_teacher("Dora Deputy")
    for approver in (hannah, dora):
        approver.groups.add(leadership)
    tom = make_teacher("Tom Teacher", email="tom@school.example")
    return hall, hannah, dora, tom


def period(n: int) -> dict:
    return {"start": local(at(8 + n)), "end": local(at(9 + n))}


async def login(servers, teacher, n: int):
    return await logged_in_client(servers.urls[n % 2], teacher.username, PASSWORD)


async def requests_made(client, hall, rounds: int) -> list[int]:
    ids = []
    for n in range(rounds):
        answer = await client.post(f"/rooms/{hall.pk}/claim/", data=period(n), headers=JSON)
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["booking"]["id"])
    return ids


def teacher_mails() -> list:
    """Send the outbox here and return what reached the teacher."""
    mail.outbox.clear()
    notifications.send_all()
    return [message for message in mail.outbox if message.to == ["tom@school.example"]]


async def test_two_approvers_deciding_one_request_at_once_one_decision_wins(live_servers, school):
    hall, hannah, dora, tom = school
    tom_http = await login(live_servers, tom, 0)
    hannah_http, dora_http = await login(live_servers, hannah, 0), await login(live_servers, dora, 1)
    try:
        for booking_id in await requests_made(tom_http, hall, ROUNDS):
            approve, decline = await asyncio.gather(
                hannah_http.post(f"/requests/{booking_id}/approve/", headers=JSON),
                dora_http.post(f"/requests/{booking_id}/decline/", data={"reason": "Exams"}, headers=JSON),
            )
            assert sorted([approve.status_code, decline.status_code]) == [200, 409]
            booking = await db(lambda booking_id=booking_id: Booking.objects.get(pk=booking_id))
            loser = decline if approve.status_code == 200 else approve
            assert loser.json()["code"] == "ALREADY_DECIDED"
            if approve.status_code == 200:
                assert booking.status == "confirmed"
                assert loser.json()["message"] == "Already approved by Hannah Head."
            else:
                assert booking.status == "declined"
                assert loser.json()["message"] == "Already declined by Dora Deputy: Exams"
        decisions = await db(
            Notification.objects.filter(
                kind__in=[Notification.Kind.REQUEST_APPROVED, Notification.Kind.REQUEST_DECLINED]
            ).count
        )
        assert decisions == ROUNDS  # one mail per request, whoever won
    finally:
        await close([tom_http, hannah_http, dora_http])


@pytest.mark.parametrize("decision", ["approve", "decline"])
async def test_a_decision_while_the_teacher_withdraws_is_consistent_with_one_mail_at_most(
    live_servers, school, decision
):
    hall, hannah, _, tom = school
    tom_http, hannah_http = await login(live_servers, tom, 0), await login(live_servers, hannah, 1)
    try:
        ids = await requests_made(tom_http, hall, ROUNDS)
        for booking_id in ids:
            decided, withdrawn = await asyncio.gather(
                hannah_http.post(f"/requests/{booking_id}/{decision}/", data=REASON, headers=JSON),
                tom_http.post(f"/bookings/{booking_id}/cancel/", headers=JSON),
            )
            assert withdrawn.status_code == 200
            booking = await db(lambda booking_id=booking_id: Booking.objects.get(pk=booking_id))
            if decided.status_code == 409:  # the withdrawal came first
                assert decided.json()["message"] == "The teacher withdrew this request."
                assert booking.status == "cancelled"
            elif decision == "approve":  # approved, then withdrawn: cancelled
                assert decided.status_code == 200 and booking.status == "cancelled"
            else:  # declined first: the withdrawal finds it declined and says so
                assert decided.status_code == 200 and booking.status == "declined"
                assert withdrawn.json()["booking"]["status"] == "declined"
        statuses = await db(lambda: list(Booking.objects.filter(pk__in=ids).values_list("status", flat=True)))
        told = await db(teacher_mails)
        # Only a decline that stands is news for the teacher; an approval of a request then
        # withdrawn is dropped, not sent. Never two mails about one request.
        assert len(told) == statuses.count("declined")
        assert await db(overlapping_pairs) == 0
    finally:
        await close([tom_http, hannah_http])


async def test_a_request_and_a_booking_of_one_slot_on_two_processes_one_of_them(live_servers, school):
    hall, hannah, _, tom = school
    tom_http, hannah_http = await login(live_servers, tom, 0), await login(live_servers, hannah, 1)
    try:
        for n in range(ROUNDS):
            asked, booked = await asyncio.gather(
                tom_http.post(f"/rooms/{hall.pk}/claim/", data=period(n), headers=JSON),
                hannah_http.post(f"/rooms/{hall.pk}/claim/", data=period(n), headers=JSON),
            )
            codes = sorted([asked.status_code, booked.status_code])
            assert codes in ([201, 409], [202, 409]), (asked.text, booked.text)
        held = await db(lambda: Booking.objects.filter(status__in=Booking.HOLDING).count())
        assert held == ROUNDS
        assert await db(overlapping_pairs) == 0
    finally:
        await close([tom_http, hannah_http])
