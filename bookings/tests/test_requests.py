"""Rooms that need approval: a claim is a request that holds the slot, approvers decide,
the teacher is told, and nothing is lost in between."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from bookings import analytics, maintenance, notifications, services
from bookings.errors import BookingError
from bookings.models import Booking, BookingRule, Notification
from tests.factories import at, local, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
PERIOD = {"start": local(at(10)), "end": local(at(11))}


@pytest.fixture
def leadership():
    return Group.objects.create(name="Leadership")


@pytest.fixture
def hall(leadership):
    hall = make_room("Hall", capacity=200)
    BookingRule.objects.create(room=hall, approvers=leadership)
    return hall


@pytest.fixture
def head(leadership):
    """Hannah Head decides the hall's requests (and gets a mail for each)."""
    head = make_teacher("Hannah Head", email="head@school.example")
    head.groups.add(leadership)
    return head


@pytest.fixture
def teacher():
    return make_teacher("Tom Teacher", email="tom@school.example")


def request_hall(client, teacher, hall, **fields):
    client.force_login(teacher)
    return client.post(f"/rooms/{hall.pk}/claim/", {**PERIOD, **fields}, **JSON)


def test_a_claim_on_a_room_that_needs_approval_is_a_request_that_holds_the_slot(client, hall, head, teacher):
    answer = request_hall(client, teacher, hall, purpose="Assembly", attendees=150)
    assert answer.status_code == 202
    body = answer.json()
    assert body["booking"]["status"] == "requested"
    assert body["message"].startswith("Requested: Hall, ")
    assert body["message"].endswith("; Leadership will decide")
    assert body["booking"]["decideBy"] is not None

    # Nobody else can book or request an overlapping period meanwhile.
    colleague = make_teacher("Carla Colleague")
    client.force_login(colleague)
    refused = client.post(
        f"/rooms/{hall.pk}/claim/", {"start": local(at(10.5)), "end": local(at(11.5))}, **JSON
    )
    assert refused.status_code == 409
    assert refused.json()["message"] == "Room already requested by Tom Teacher (awaiting approval)"
    assert refused.json()["canJoinWaitlist"] is True
    # The search shows the hall as taken, not free.
    search = client.get("/", {"date": PERIOD["start"][:10], "start": "10:00", "end": "11:00"})
    page = search.content.decode()
    assert f'data-room-id="{hall.pk}"' not in page  # not among the free rooms
    assert f'data-taken-room-id="{hall.pk}"' in page
    assert "Requested by Tom Teacher (awaiting approval)" in page

    # The approver is mailed once; the teacher gets no "booked" mail.
    notifications.send_all()
    assert [message.to for message in mail.outbox] == [["head@school.example"]]
    assert mail.outbox[0].subject.startswith("To decide: Tom Teacher requests Hall, ")
    assert "Assembly" in mail.outbox[0].body and "150 attendees" in mail.outbox[0].body


def test_members_of_the_approving_group_book_directly(client, hall, head):
    answer = request_hall(client, head, hall)
    assert answer.status_code == 201
    assert answer.json()["booking"]["status"] == "confirmed"


def test_an_approver_booking_for_a_colleague_books_directly(hall, head, teacher):
    head.is_staff = True
    head.save()
    booking = services.booking_create(
        teacher=teacher, room_id=hall.pk, start=at(10), end=at(11), booked_by=head
    )
    assert booking.status == Booking.Status.CONFIRMED


def test_the_approvers_page_lists_open_requests_oldest_first_with_what_else_the_teacher_asked(
    client, hall, head, teacher
):
    stage = make_room("Stage", capacity=80)
    BookingRule.objects.create(room=stage, approvers=head.groups.get())
    request_hall(client, teacher, hall, purpose="Assembly", attendees=150)
    client.post(f"/rooms/{stage.pk}/claim/", {"start": local(at(13)), "end": local(at(14))}, **JSON)
    client.force_login(head)
    page = client.get("/requests/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("Hall") < text.index("Stage")  # oldest first
    assert "Assembly" in text and "150 attendees" in text
    assert "Tom Teacher has 1 other open request" in text
    listed = client.get("/requests/", **JSON).json()["requests"]
    assert [(row["roomName"], row["purpose"], row["attendees"]) for row in listed] == [
        ("Hall", "Assembly", 150),
        ("Stage", "", None),
    ]
    assert listed[0]["otherRequests"] == [listed[1]["id"]]
    # The navigation says how many wait.
    assert 'Requests <span class="count-badge">2</span>' in text


def test_teachers_who_decide_nothing_get_no_requests_page_and_cannot_decide(client, hall, head, teacher):
    request_hall(client, teacher, hall)
    booking = Booking.objects.get()
    for stranger in (teacher, make_teacher("Someone Else")):
        client.force_login(stranger)
        assert client.get("/requests/").status_code == 404
        assert client.post(f"/requests/{booking.pk}/approve/", **JSON).status_code == 404
        assert client.post(f"/requests/{booking.pk}/decline/", {"reason": "no"}, **JSON).status_code == 404
    # An approver of another room only: not theirs to decide either.
    other_group = Group.objects.create(name="Sports")
    BookingRule.objects.create(room=make_room("Gym"), approvers=other_group)
    coach = make_teacher("Coach")
    coach.groups.add(other_group)
    client.force_login(coach)
    assert client.post(f"/requests/{booking.pk}/approve/", **JSON).status_code == 404
    assert Booking.objects.get().status == Booking.Status.REQUESTED


def test_approving_books_the_room_and_tells_the_teacher(client, hall, head, teacher):
    request_hall(client, teacher, hall)
    booking = Booking.objects.get()
    client.force_login(head)
    answer = client.post(f"/requests/{booking.pk}/approve/", **JSON)
    assert answer.status_code == 200
    assert answer.json()["bookings"][0]["status"] == "confirmed"
    assert answer.json()["bookings"][0]["decidedBy"] == "Hannah Head"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED and booking.decided_by == head
    mail.outbox.clear()
    Notification.objects.filter(kind=Notification.Kind.APPROVAL_NEEDED).delete()
    notifications.send_all()
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Approved: Hall, ")
    assert mail.outbox[0].to == ["tom@school.example"]
    assert "Hannah Head approved your request" in mail.outbox[0].body
    client.force_login(teacher)
    assert "Approved by Hannah Head" in client.get("/bookings/").content.decode()


def test_declining_needs_a_reason_frees_the_slot_and_tells_the_teacher_why(client, hall, head, teacher):
    request_hall(client, teacher, hall)
    booking = Booking.objects.get()
    client.force_login(head)
    missing = client.post(f"/requests/{booking.pk}/decline/", {"reason": "  "}, **JSON)
    assert missing.status_code == 400
    assert list(missing.json()["errors"]) == ["reason"]
    answer = client.post(
        f"/requests/{booking.pk}/decline/", {"reason": "Exams in the hall that week"}, **JSON
    )
    assert answer.status_code == 200
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED

    client.force_login(teacher)
    mine = client.get("/bookings/")
    assert "Why: Exams in the hall that week" in mine.content.decode()
    assert "Declined by Hannah Head" in mine.content.decode()
    assert client.get("/bookings/", **JSON).json()["upcoming"][0]["decisionReason"] == (
        "Exams in the hall that week"
    )
    notifications.send_all()
    declined = [message for message in mail.outbox if message.to == ["tom@school.example"]]
    assert len(declined) == 1 and "Why: Exams in the hall that week" in declined[0].body

    # The slot is free again: a third teacher can request it.
    third = make_teacher("Theo Third")
    assert request_hall(client, third, hall).status_code == 202


def test_a_request_decided_already_tells_the_second_approver_what_happened(client, hall, head, teacher):
    colleague = make_teacher("Dora Deputy")
    colleague.groups.add(head.groups.get())
    request_hall(client, teacher, hall)
    booking = Booking.objects.get()
    services.booking_decide(
        booking_id=booking.pk, approver=head, approve=False, reason="Hall is booked for exams"
    )
    client.force_login(colleague)
    late = client.post(f"/requests/{booking.pk}/approve/", **JSON)
    assert late.status_code == 409
    assert late.json()["code"] == "ALREADY_DECIDED"
    assert late.json()["message"] == "Already declined by Hannah Head: Hall is booked for exams"
    assert late.json()["requestStatus"] == "declined"
    # Without JavaScript: back to the requests page, with the same news.
    page = client.post(f"/requests/{booking.pk}/approve/", follow=True)
    assert "Already declined by Hannah Head" in page.content.decode()
    assert Booking.objects.get().status == Booking.Status.DECLINED


def test_a_withdrawn_request_cannot_be_decided_and_its_approvers_mail_is_dropped(client, hall, head, teacher):
    request_hall(client, teacher, hall)
    booking = Booking.objects.get()
    withdrawn = client.post(f"/bookings/{booking.pk}/cancel/", **JSON)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["message"] == "Request withdrawn: Hall"
    with pytest.raises(BookingError) as error:
        services.booking_decide(booking_id=booking.pk, approver=head, approve=True)
    assert error.value.message == "The teacher withdrew this request."
    notifications.send_all()
    assert mail.outbox == []  # the approver's mail is no longer true
    assert Booking.objects.get().status == Booking.Status.CANCELLED


def test_a_series_on_such_a_room_is_one_request(client, hall, head, teacher):
    client.force_login(teacher)
    until = (at(10) + timedelta(days=21)).date().isoformat()
    answer = client.post(f"/rooms/{hall.pk}/claim/", {**PERIOD, "repeat": "weekly", "until": until}, **JSON)
    assert answer.status_code == 202
    assert Booking.objects.filter(status=Booking.Status.REQUESTED).count() == 4
    client.force_login(head)
    listed = client.get("/requests/", **JSON).json()["requests"]
    assert [row["dates"] for row in listed] == [4]
    decided = client.post(f"/requests/{listed[0]['id']}/approve/", **JSON)
    assert len(decided.json()["bookings"]) == 4
    assert set(Booking.objects.values_list("status", flat=True)) == {"confirmed"}
    notifications.send_all()
    approved = [message for message in mail.outbox if message.to == ["tom@school.example"]]
    assert len(approved) == 1 and "and the following 3 dates of the series" in approved[0].body


def test_nobody_deciding_in_time_declines_or_approves_as_the_rule_says(hall, head, teacher):
    rule = hall.booking_rule
    rule.decide_hours = 2
    rule.save()
    first = services.booking_create(teacher=teacher, room_id=hall.pk, start=at(10), end=at(11))
    assert first.decide_by == at(8)
    Booking.objects.filter(pk=first.pk).update(decide_by=timezone.now() - timedelta(minutes=1))
    assert maintenance.sweep().requests_decided == 1
    first.refresh_from_db()
    assert first.status == Booking.Status.DECLINED and first.decided_by is None

    rule.undecided = BookingRule.Undecided.APPROVED
    rule.save()
    second = services.booking_create(teacher=teacher, room_id=hall.pk, start=at(10), end=at(11))
    Booking.objects.filter(pk=second.pk).update(decide_by=timezone.now() - timedelta(minutes=1))
    assert maintenance.sweep().requests_decided == 1
    second.refresh_from_db()
    assert second.status == Booking.Status.CONFIRMED
    assert maintenance.sweep().requests_decided == 0  # decided once


def test_a_request_too_late_for_its_approvers_to_decide_is_refused_naming_the_start(
    client, hall, head, teacher
):
    rule = hall.booking_rule
    rule.decide_hours = 48
    rule.save()
    answer = request_hall(client, teacher, hall)
    assert answer.status_code == 400
    assert answer.json()["errors"]["start"] == [
        "Hall needs approval: request it at least 48 hours ahead, so Leadership can decide."
    ]
    assert not Booking.objects.exists()


def test_moving_a_booking_into_a_room_that_needs_approval_is_for_its_approvers(client, hall, head, teacher):
    booking = make_booking(make_room("Room 101"), teacher, at(10), at(11))
    client.force_login(teacher)
    answer = client.post(
        f"/bookings/{booking.pk}/move/",
        {"room": hall.pk, "start": PERIOD["start"], "end": PERIOD["end"]},
        **JSON,
    )
    assert answer.status_code == 400
    assert "room" in answer.json()["errors"]
    booking.refresh_from_db()
    assert booking.room.name == "Room 101"


def test_approvers_who_chose_a_daily_mail_get_one_digest_a_day(settings, hall, head, teacher):
    settings.REQUEST_DIGEST_HOUR = 0
    head.request_mail = "daily"
    head.save()
    services.booking_create(teacher=teacher, room_id=hall.pk, start=at(10), end=at(11))
    assert not Notification.objects.filter(kind=Notification.Kind.APPROVAL_NEEDED).exists()
    assert services.queue_request_digests() == 1
    assert services.queue_request_digests() == 0  # once a day
    notifications.send_all()
    assert [message.subject for message in mail.outbox] == ["1 request to decide"]
    assert "requested by Tom Teacher" in mail.outbox[0].body


def test_the_grid_and_analytics_show_requests(client, hall, head, teacher):
    request = services.booking_create(teacher=teacher, room_id=hall.pk, start=at(10), end=at(11))
    client.force_login(make_teacher("Carla Colleague"))
    grid = client.get("/timetable/", {"date": at(10).date().isoformat()}).content.decode()
    assert "cell-requested" in grid and "requested by Tom Teacher" in grid
    services.booking_decide(booking_id=request.pk, approver=head, approve=True)
    services.booking_create(teacher=teacher, room_id=hall.pk, start=at(12), end=at(13))
    report = analytics.build_report(at(0).date(), at(0).date())
    [figures] = report.requested_rooms
    assert (figures.name, figures.requests, figures.approved, figures.declined) == ("Hall", 2, 1, 0)
    assert figures.approval_rate == 1.0


def test_the_search_says_which_rooms_need_approval_to_those_who_must_request(client, hall, head, teacher):
    query = {"date": PERIOD["start"][:10], "start": "10:00", "end": "11:00", "capacity": 100}
    client.force_login(teacher)
    note = "Needs approval: your claim is a request until Leadership decides."
    assert note in client.get("/", query).content.decode()
    client.force_login(head)
    assert note not in client.get("/", query).content.decode()


def test_only_approvers_choose_how_they_hear_of_requests(client, hall, head, teacher):
    client.force_login(teacher)
    assert "Requests I decide on" not in client.get("/account/notifications/").content.decode()
    client.force_login(head)
    assert "Requests I decide on" in client.get("/account/notifications/").content.decode()
    saved = client.post(
        "/account/notifications/", {"email": head.email, "request_mail": "daily", "reminder_minutes": ""}
    )
    assert saved.status_code == 302
    head.refresh_from_db()
    assert head.request_mail == "daily"
    bad = client.post("/account/notifications/", {"email": head.email, "request_mail": "hourly"})
    assert bad.status_code == 400 and "request_mail" in bad.context["form"].errors


@pytest.mark.django_db(transaction=True)  # offers are made after commit
def test_a_declined_request_offers_its_slot_to_the_first_on_the_waitlist(hall, head, teacher):
    request = services.booking_create(teacher=teacher, room_id=hall.pk, start=at(10), end=at(11))
    waiting = make_teacher("Wendy Waiting")
    entry = services.waitlist_join(teacher=waiting, room_id=hall.pk, start=at(10), end=at(11))
    services.booking_decide(booking_id=request.pk, approver=head, approve=False, reason="Exams")
    entry.refresh_from_db()
    assert entry.status == "offered"
    # Held for Wendy: a colleague's claim is refused, hers is a request of her own.
    with pytest.raises(BookingError) as refused:
        services.booking_create(teacher=make_teacher(), room_id=hall.pk, start=at(10), end=at(11))
    assert refused.value.is_conflict
    hers = services.booking_create(teacher=waiting, room_id=hall.pk, start=at(10), end=at(11))
    assert hers.status == Booking.Status.REQUESTED


def test_the_calendar_feed_marks_a_request_tentative(client, hall, head, teacher):
    services.booking_create(teacher=teacher, room_id=hall.pk, start=at(10), end=at(11))
    client.force_login(teacher)
    url = client.post("/calendar/link/", **JSON).json()["url"]
    feed = client.get(url.split("testserver")[-1]).content.decode()
    assert "STATUS:TENTATIVE" in feed
