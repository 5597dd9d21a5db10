"""Hold, claim, cancel and My bookings over HTTP: JSON and plain form posts."""

from datetime import time

import pytest
from django.utils import formats, timezone

from bookings import services
from bookings.models import Booking
from rooms.models import Period
from tests.factories import at, local, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def iso_at(hour: float) -> str:
    return timezone.localtime(at(hour)).isoformat()


def period(start=10, end=11, **extra):
    return {"start": local(at(start)), "end": local(at(end)), **extra}


def test_claim_answers_201_with_the_booking(as_alice, alice, room):
    response = as_alice.post(f"/rooms/{room.pk}/claim/", period(attendees="20", purpose="Maths"), **JSON)
    assert response.status_code == 201
    booking = Booking.objects.get()
    day_of_10 = formats.date_format(timezone.localtime(at(10)), "D j M")
    assert response.json() == {
        "booking": {
            "id": booking.pk,
            "roomId": room.pk,
            "roomName": "Room 101",
            "teacherId": alice.pk,
            "teacherName": "Alice Adams",
            "startTime": timezone.localtime(at(10)).isoformat(),
            "endTime": timezone.localtime(at(11)).isoformat(),
            "status": "confirmed",
            "periods": "",  # added: the period names it covers (none set here)
            "checkInBy": None,  # added: no check-in asked for
            "checkedInAt": None,  # added
        },
        # added: what the page shows, naming the day and the period
        "message": f"Room booked successfully: Room 101, {day_of_10}, 10:00\u201311:00",
    }


def test_claim_of_a_taken_room_answers_409_naming_the_holder(as_alice, room):
    bob = make_teacher("Bob Brown")
    taken = make_booking(room, bob, at(10), at(11))
    response = as_alice.post(f"/rooms/{room.pk}/claim/", period(), **JSON)
    assert response.status_code == 409
    body = response.json()
    assert body == {
        "code": "ROOM_NOT_AVAILABLE",
        "message": "Room already booked by Bob Brown",
        "conflictingBooking": {
            "id": taken.pk,
            "teacherName": "Bob Brown",
            "startTime": timezone.localtime(at(10)).isoformat(),
            "endTime": timezone.localtime(at(11)).isoformat(),
        },
        "canJoinWaitlist": True,  # added: the page offers "Join waitlist" on this
        "canWait": False,  # added: "Wait for this room" is for a room being confirmed
    }


def test_claim_while_another_teacher_holds_answers_booking_conflict(as_alice, room):
    bob = make_teacher("Bob Brown")
    services.booking_hold(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    response = as_alice.post(f"/rooms/{room.pk}/claim/", period(), **JSON)
    assert response.status_code == 409
    body = response.json()
    assert body == {
        "code": "BOOKING_CONFLICT",
        "message": "Another teacher is currently booking this room",
        "conflictingBooking": None,
        "canJoinWaitlist": False,
        "canWait": True,  # added: the page offers "Wait for this room"
    }


def test_hold_answers_200_with_its_expiry(as_alice, room):
    before = timezone.now()
    response = as_alice.post(f"/rooms/{room.pk}/hold/", period(), **JSON)
    assert response.status_code == 200
    hold = response.json()["hold"]
    assert hold["roomId"] == room.pk
    assert hold["startTime"] == timezone.localtime(at(10)).isoformat()
    assert hold["endTime"] == timezone.localtime(at(11)).isoformat()
    expires = timezone.datetime.fromisoformat(hold["expiresAt"])
    assert 25 <= (expires - before).total_seconds() <= 31


def test_unknown_room_answers_404(as_alice):
    for action in ("hold", "claim"):
        response = as_alice.post(f"/rooms/999999/{action}/", period(), **JSON)
        assert response.status_code == 404
        assert response.json() == {"code": "ROOM_NOT_FOUND", "message": "Room not found"}


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"start": "tomorrow at ten", "end": local(at(11))}, "start"),
        ({"start": local(at(10)), "end": "25:99"}, "end"),
        ({"end": local(at(11))}, "start"),
        ({"start": local(at(11)), "end": local(at(10))}, "end"),
        ({"start": local(at(10)), "end": local(at(10))}, "end"),
        ({"start": local(at(10, days=-1)), "end": local(at(11, days=-1))}, "start"),
        ({"start": local(at(10, days=400)), "end": local(at(11, days=400))}, "start"),
        ({"start": local(at(8)), "end": local(at(21))}, "end"),
        (period(attendees="31"), "attendees"),
        (period(attendees="0"), "attendees"),
        (period(attendees="lots"), "attendees"),
        (period(purpose="x" * 201), "purpose"),
    ],
    ids=[
        "unparsable-start",
        "unparsable-end",
        "missing-start",
        "end-before-start",
        "empty-period",
        "start-in-past",
        "too-far-ahead",
        "absurd-length",
        "more-than-seats",
        "zero-attendees",
        "attendees-not-a-number",
        "purpose-too-long",
    ],
)
def test_bad_input_answers_400_naming_the_field(as_alice, room, fields, bad_field):
    response = as_alice.post(f"/rooms/{room.pk}/claim/", fields, **JSON)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "INVALID_INPUT"
    assert body["message"]
    assert list(body["errors"]) == [bad_field]
    assert not Booking.objects.exists()


def test_bad_hold_input_answers_400(as_alice, room):
    response = as_alice.post(f"/rooms/{room.pk}/hold/", {"start": "soon"}, **JSON)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"start", "end"}


def test_form_post_claim_redirects_to_my_bookings_with_a_message(as_alice, room):
    response = as_alice.post(f"/rooms/{room.pk}/claim/", period(), follow=True)
    assert response.redirect_chain == [("/bookings/", 303)]
    assert "Room booked successfully" in response.content.decode()
    assert "Room 101" in response.content.decode()


def test_form_post_conflict_shows_the_form_again_with_409(as_alice, room):
    make_booking(room, make_teacher("Bob Brown"), at(10), at(11))
    response = as_alice.post(f"/rooms/{room.pk}/claim/", period(purpose="Choir"))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Room already booked by Bob Brown" in page
    assert "Confirm booking" in page
    assert 'value="Choir"' in page


def test_form_post_bad_input_shows_the_field_error_with_400(as_alice, room):
    response = as_alice.post(f"/rooms/{room.pk}/claim/", period(attendees="31"))
    assert response.status_code == 400
    assert "31 attendees will not fit" in response.content.decode()


def test_form_post_hold_shows_the_confirmation_page(as_alice, room):
    response = as_alice.post(f"/rooms/{room.pk}/hold/", period(attendees="12"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Claim Room 101" in page
    assert "Held for you until" in page
    assert f'action="/rooms/{room.pk}/claim/"' in page


def test_form_post_release_frees_the_hold(as_alice, room):
    as_alice.post(f"/rooms/{room.pk}/hold/", period())
    response = as_alice.post(f"/rooms/{room.pk}/release/", period())
    assert response.status_code == 302
    bob = make_teacher()
    services.booking_hold(teacher=bob, room_id=room.pk, start=at(10), end=at(11))


def test_cancel_own_booking(as_alice, alice, room):
    booking = make_booking(room, alice, at(10), at(11))
    response = as_alice.post(f"/bookings/{booking.pk}/cancel/", **JSON)
    assert response.status_code == 200
    assert response.json()["booking"]["status"] == "cancelled"
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_cancel_form_post_redirects_with_a_message(as_alice, alice, room):
    booking = make_booking(room, alice, at(10), at(11))
    response = as_alice.post(f"/bookings/{booking.pk}/cancel/", follow=True)
    assert response.redirect_chain == [("/bookings/", 303)]
    assert "Booking cancelled" in response.content.decode()


def test_another_teachers_booking_answers_404(as_alice, room):
    booking = make_booking(room, make_teacher(), at(10), at(11))
    assert as_alice.post(f"/bookings/{booking.pk}/cancel/", **JSON).status_code == 404
    assert as_alice.post(f"/bookings/{booking.pk}/cancel/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_my_bookings_lists_upcoming_first_and_past(as_alice, alice, room):
    now = timezone.now()
    make_booking(room, alice, at(14), at(15), purpose="Later")
    make_booking(room, alice, at(9), at(10), purpose="Sooner")
    make_booking(
        room, alice, now - timezone.timedelta(hours=3), now - timezone.timedelta(hours=2), purpose="Gone"
    )
    make_booking(room, alice, at(16), at(17), purpose="Dropped", status="cancelled")
    make_booking(room, make_teacher(), at(12), at(13), purpose="Not mine")
    page = as_alice.get("/bookings/").content.decode()
    assert page.index("Sooner") < page.index("Later") < page.index("Dropped") < page.index("Gone")
    assert "Not mine" not in page
    assert "Cancelled" in page
    body = as_alice.get("/bookings/", **JSON).json()
    assert [b["status"] for b in body["upcoming"]] == ["confirmed", "confirmed", "cancelled"]
    assert len(body["past"]) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/"),
        ("get", "/bookings/"),
        ("post", "/rooms/1/hold/"),
        ("post", "/rooms/1/claim/"),
        ("post", "/rooms/1/release/"),
        ("post", "/bookings/1/cancel/"),
    ],
)
def test_strangers_get_nothing(client, room, method, path):
    json_response = getattr(client, method)(path, period(), **JSON)
    assert json_response.status_code == 401
    assert json_response.json()["code"] == "NOT_AUTHENTICATED"
    page = getattr(client, method)(path, period())
    assert page.status_code == 302
    assert page.url.startswith("/accounts/login/")
    assert not Booking.objects.exists()


def test_anonymous_post_without_csrf_token_is_refused(room):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(f"/rooms/{room.pk}/claim/", period(), **JSON)
    assert response.status_code in (401, 403)
    assert not Booking.objects.exists()


def test_get_on_claim_is_not_allowed(as_alice, room):
    assert as_alice.get(f"/rooms/{room.pk}/claim/").status_code == 405


def test_cancel_asks_first_on_a_page_that_needs_no_javascript(as_alice, alice, room):
    booking = make_booking(room, alice, at(10), at(11))
    page = as_alice.get(f"/bookings/{booking.pk}/cancel/")
    assert page.status_code == 200
    assert "Cancel your booking of Room 101" in page.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"  # asking changes nothing
    other = make_booking(make_room(), make_teacher(), at(12), at(13))
    assert as_alice.get(f"/bookings/{other.pk}/cancel/").status_code == 404


def test_a_teacher_who_lost_is_shown_other_rooms_and_the_nearest_free_periods(as_alice, room):
    make_booking(room, make_teacher("Bob Brown"), at(10), at(11))
    spare = make_room("Room 102", capacity=30)
    response = as_alice.get(f"/rooms/{room.pk}/alternatives/", period(attendees="20"), **JSON)
    alternatives = response.json()["alternatives"]
    assert [(r["id"], r["name"], r["claimUrl"]) for r in alternatives["rooms"]] == [
        (spare.pk, "Room 102", f"/rooms/{spare.pk}/claim/")
    ]
    assert alternatives["periods"] == [
        {"startTime": iso_at(9), "endTime": iso_at(10), "name": ""},
        {"startTime": iso_at(11), "endTime": iso_at(12), "name": ""},
    ]
    bad = as_alice.get(f"/rooms/{room.pk}/alternatives/", {"start": "x", "end": "y"}, **JSON)
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"start", "end"}


def test_where_the_school_has_periods_the_free_periods_offered_instead_are_periods(as_alice, room):
    for name, starts, ends in (
        ("Period 1", time(9), time(10)),
        ("Period 2", time(10), time(11)),
        ("Period 3", time(11, 30), time(12, 30)),  # after a break
        ("Period 4", time(12, 30), time(13, 30)),
        ("Period 5", time(13, 30), time(14, 30)),
    ):
        Period.objects.create(name=name, starts=starts, ends=ends)
    bob = make_teacher("Bob Brown")
    make_booking(room, bob, at(12.5), at(13.5))  # Period 4, lost
    make_booking(room, bob, at(11.5), at(12))  # half of Period 3
    response = as_alice.get(
        f"/rooms/{room.pk}/alternatives/", {"start": local(at(12.5)), "end": local(at(13.5))}, **JSON
    )
    assert response.json()["alternatives"]["periods"] == [
        {"startTime": iso_at(10), "endTime": iso_at(11), "name": "Period 2"},
        {"startTime": iso_at(13.5), "endTime": iso_at(14.5), "name": "Period 5"},
    ]
    # A run of two periods is offered as a run of two.
    response = as_alice.get(
        f"/rooms/{room.pk}/alternatives/", {"start": local(at(12.5)), "end": local(at(14.5))}, **JSON
    )
    assert response.json()["alternatives"]["periods"] == [
        {"startTime": iso_at(9), "endTime": iso_at(11), "name": "Period 1\u2013Period 2"},
    ]


def test_a_teacher_holds_two_rooms_at_once_and_is_told_why_not_a_third(as_alice):
    rooms = [make_room(f"Room {number}") for number in (201, 202, 203)]
    for room in rooms[:2]:
        assert as_alice.post(f"/rooms/{room.pk}/hold/", period(), **JSON).status_code == 200
    refused = as_alice.post(f"/rooms/{rooms[2].pk}/hold/", period(), **JSON)
    assert refused.status_code == 429
    assert refused.json() == {
        "code": "TOO_MANY_HOLDS",
        "message": "You are holding as many rooms as you may; book or cancel one first",
    }
    # A claim is no hold: it goes on, and frees a hold for the next dialog.
    assert as_alice.post(f"/rooms/{rooms[0].pk}/claim/", period(), **JSON).status_code == 201
    assert as_alice.post(f"/rooms/{rooms[2].pk}/hold/", period(), **JSON).status_code == 200
