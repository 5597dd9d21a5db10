"""The API under /api/v1/ (docs/api.md): its OpenAPI schema, every path in it, personal
access tokens from making to revoking, and its refusals, in the pages' JSON shapes."""

import re
from datetime import timedelta
from functools import partial

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from bookings import services
from bookings.metrics import CLAIMS
from bookings.models import Booking, Lesson, WaitlistEntry
from teachers import tokens
from teachers.models import AccessToken
from tests.factories import at, local, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return Client()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def token(alice):
    return tokens.make(alice, name="Office MIS", scope="read", days=30)[1]


def lesson_date_of(teacher, room, start, end) -> Booking:
    """A date of a lesson of the school's timetable that ``teacher`` teaches."""
    day = timezone.localtime(start).date()
    lesson = Lesson.objects.create(
        key=f"7b-{room.pk}-{start:%H}",
        room=room,
        group="7b",
        subject="Maths",
        weekday=day.weekday(),
        starts=timezone.localtime(start).time(),
        ends=timezone.localtime(end).time(),
        first_day=day,
        last_day=day,
    )
    lesson.teachers.add(teacher)
    return make_booking(room, teacher, start, end, purpose=lesson.title, lesson=lesson)


def every_call(alice, bob, room) -> dict[tuple[str, str], tuple[str, dict]]:
    """A request that Alice's token may make, for every path of the API: (method, path)
    to (address, query or body), with what each needs (a booking to move and cancel, a
    booked room to wait for, a waitlist place to leave, a lesson's date to give back)."""
    lab = make_room("Lab 1", capacity=30)
    booking = services.booking_create(teacher=alice, room_id=room.pk, start=at(14), end=at(15))
    services.booking_create(teacher=bob, room_id=room.pk, start=at(12), end=at(13))
    services.booking_create(teacher=bob, room_id=room.pk, start=at(16), end=at(17))
    entry = services.waitlist_join(teacher=alice, room_id=room.pk, start=at(16), end=at(17))
    lesson_date = lesson_date_of(alice, lab, at(8), at(9))
    period = {"start": local(at(10)), "end": local(at(11))}
    return {
        ("get", "/api/v1/me"): ("/api/v1/me", {}),
        ("get", "/api/v1/rooms"): ("/api/v1/rooms", {}),
        ("get", "/api/v1/rooms/free"): ("/api/v1/rooms/free", period),
        ("get", "/api/v1/bookings"): ("/api/v1/bookings", {}),
        ("get", "/api/v1/timetable"): ("/api/v1/timetable", {}),
        ("get", "/api/v1/rooms/{room_id}/week"): (f"/api/v1/rooms/{room.pk}/week", {}),
        ("post", "/api/v1/rooms/{room_id}/hold"): (f"/api/v1/rooms/{room.pk}/hold", period),
        ("post", "/api/v1/rooms/{room_id}/release"): (f"/api/v1/rooms/{room.pk}/release", period),
        ("post", "/api/v1/rooms/{room_id}/claim"): (f"/api/v1/rooms/{room.pk}/claim", period),
        ("post", "/api/v1/bookings/{booking_id}/move"): (
            f"/api/v1/bookings/{booking.pk}/move",
            {"start": local(at(15)), "end": local(at(16))},
        ),
        ("post", "/api/v1/bookings/{booking_id}/cancel"): (f"/api/v1/bookings/{booking.pk}/cancel", {}),
        ("get", "/api/v1/waitlist"): ("/api/v1/waitlist", {}),
        ("post", "/api/v1/rooms/{room_id}/waitlist"): (
            f"/api/v1/rooms/{room.pk}/waitlist",
            {"start": local(at(12)), "end": local(at(13))},
        ),
        ("post", "/api/v1/waitlist/{entry_id}/leave"): (f"/api/v1/waitlist/{entry.pk}/leave", {}),
        ("get", "/api/v1/lessons"): ("/api/v1/lessons", {}),
        ("post", "/api/v1/lessons/dates/{date_id}/release"): (
            f"/api/v1/lessons/dates/{lesson_date.pk}/release",
            {"reason": "7b on a trip"},
        ),
        ("post", "/api/v1/lessons/dates/{date_id}/restore"): (
            f"/api/v1/lessons/dates/{lesson_date.pk}/restore",
            {},
        ),
    }


def test_the_schema_is_valid_openapi_and_every_path_in_it_answers(api, alice, bob, room):
    token = tokens.make(alice, name="Everything", scope="book", days=30)[1]
    schema = api.get("/api/v1/openapi.json").json()
    validate(schema)
    assert schema["info"]["title"] == "Roomclaim"
    calls = every_call(alice, bob, room)
    in_schema = {(method, path) for path, operations in schema["paths"].items() for method in operations}
    assert in_schema == set(calls)  # every path in the schema is called here
    for (method, _path), (url, data) in calls.items():
        send = api.get if method == "get" else partial(post_json, api)
        answer = send(url, data, **bearer(token))
        assert answer.status_code in (200, 201), (url, answer.content)
        refused = send(url, data)
        assert refused.status_code == 401, url
        assert refused.json()["code"] == tokens.TOKEN_INVALID


def test_a_token_from_its_making_to_its_revoking(api, alice):
    row, token = tokens.make(alice, name="Signage", scope="read", days=30)
    assert token.startswith(f"rc_{row.prefix}_")
    assert token not in {row.digest, row.prefix}  # the token itself is not stored

    me = api.get("/api/v1/me", **bearer(token))
    assert me.status_code == 200
    assert me.json() == {
        "id": alice.pk,
        "username": alice.username,
        "name": "Alice Adams",
        "isStaff": False,
        "tokenScope": "read",
    }
    row.refresh_from_db()
    assert row.last_used_at is not None

    tokens.revoke(row)
    revoked = api.get("/api/v1/me", **bearer(token))
    assert revoked.status_code == 401
    assert revoked.json()["code"] == tokens.TOKEN_REVOKED


@pytest.mark.parametrize(
    "sent",
    ["", "Bearer", "Bearer rc_", "Bearer nonsense", "Bearer rc_000000000000_guess", "Basic dXNlcjpwYXNz"],
)
def test_a_wrong_token_is_refused_with_its_code(api, token, sent):
    answer = api.get("/api/v1/rooms", HTTP_AUTHORIZATION=sent) if sent else api.get("/api/v1/rooms")
    assert answer.status_code == 401
    assert answer.json()["code"] == tokens.TOKEN_INVALID


def test_a_token_with_a_changed_secret_is_refused(api, token):
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    answer = api.get("/api/v1/rooms", **bearer(tampered))
    assert answer.status_code == 401
    assert answer.json()["code"] == tokens.TOKEN_INVALID


def test_an_expired_token_and_a_disabled_teacher_are_refused(api, alice, token):
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = api.get("/api/v1/me", **bearer(token))
    assert (expired.status_code, expired.json()["code"]) == (401, tokens.TOKEN_EXPIRED)

    bob = make_teacher("Bob Brown")
    bobs = tokens.make(bob, name="Script", scope="read", days=1)[1]
    bob.is_active = False
    bob.save()
    disabled = api.get("/api/v1/me", **bearer(bobs))
    assert (disabled.status_code, disabled.json()["code"]) == (401, tokens.TOKEN_INVALID)


def test_a_token_past_its_requests_a_minute_gets_429_with_retry_after(api, token, settings, monkeypatch):
    settings.API_REQUESTS_PER_MINUTE = 3
    monkeypatch.setattr(tokens.time, "time", lambda: 1_800_000_030.0)  # one minute, 30 s in
    for _ in range(3):
        assert api.get("/api/v1/me", **bearer(token)).status_code == 200
    refused = api.get("/api/v1/me", **bearer(token))
    assert refused.status_code == 429
    assert refused.json()["code"] == tokens.TOO_MANY_REQUESTS
    assert refused["Retry-After"] == "30"
    monkeypatch.setattr(tokens.time, "time", lambda: 1_800_000_090.0)  # the next minute
    assert api.get("/api/v1/me", **bearer(token)).status_code == 200


def test_free_rooms_for_a_period_by_times_or_by_the_schools_periods(api, token, alice):
    small = make_room("Small", capacity=10, features=("projector",))
    large = make_room("Large", capacity=60, features=("projector",))
    taken = make_room("Taken", capacity=30, features=("projector",))
    services.booking_create(teacher=alice, room_id=taken.pk, start=at(10), end=at(11))
    period = {"start": local(at(10)), "end": local(at(11)), "seats": 20, "feature": ["projector"]}
    answer = api.get("/api/v1/rooms/free", period, **bearer(token))
    assert answer.status_code == 200
    assert [room["name"] for room in answer.json()] == ["Large"]  # seats 20, and Taken is taken
    assert answer.json()[0] == {
        "id": large.pk,
        "name": "Large",
        "building": "Main Building",
        "capacity": 60,
        "features": ["projector"],
    }
    every = api.get("/api/v1/rooms/free", {"start": local(at(12)), "end": local(at(13))}, **bearer(token))
    assert {room["id"] for room in every.json()} == {small.pk, large.pk, taken.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "tomorrow", "end": "later"}, "start"),
        ({"start": "LATER", "end": "SOON"}, "end"),
        ({"start": "9999-12-31T10:00", "end": "9999-12-31T11:00"}, "start"),
        ({}, "start"),
        ({"date": "2026-13-01", "period": "Period 3"}, "date"),
        ({"start": "SOON", "end": "LATER", "seats": "0"}, "seats"),
        ({"start": "SOON", "end": "LATER", "seats": "many"}, "seats"),
        ({"start": "SOON", "end": "LATER", "feature": "no-such"}, "feature"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, token, query, field):
    times = {"SOON": local(at(10)), "LATER": local(at(11))}
    query = {name: times.get(value, value) for name, value in query.items()}
    answer = api.get("/api/v1/rooms/free", query, **bearer(token))
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "INVALID_INPUT"
    assert field in answer.json()["errors"]


def test_an_operator_makes_lists_and_revokes_a_token(api, alice, capsys):
    call_command("access_token", "make", "--teacher", alice.username, "--name", "Exams", "--scope", "book")
    token = capsys.readouterr().out.strip()
    assert api.get("/api/v1/me", **bearer(token)).json()["tokenScope"] == "book"
    prefix = token.split("_")[1]
    call_command("access_token", "list")
    assert prefix in capsys.readouterr().out
    call_command("access_token", "revoke", prefix)
    assert api.get("/api/v1/me", **bearer(token)).json()["code"] == tokens.TOKEN_REVOKED


def post_json(api, url, data, **headers):
    return api.post(url, data, "application/json", **headers)


def claim(api, token, room, **wanted):
    return post_json(api, f"/api/v1/rooms/{room.pk}/claim", wanted, **bearer(token))


def test_a_book_token_claims_and_cancels_through_the_same_guard(api, alice, bob, room):
    token = tokens.make(alice, name="Exams", scope="book", days=30)[1]
    made = claim(api, token, room, start=local(at(10)), end=local(at(11)), attendees=20, purpose="Exam")
    assert made.status_code == 201, made.content
    booking = Booking.objects.get(pk=made.json()["booking"]["id"])
    assert (booking.teacher, booking.room, booking.purpose, booking.attendees) == (alice, room, "Exam", 20)
    assert made.json()["message"].startswith(f"Room booked successfully: {room.name}, ")  # as the pages say

    theirs = tokens.make(bob, name="Bob's", scope="book", days=30)[1]
    lost = claim(api, theirs, room, start=local(at(10, days=1)), end=local(at(11)))
    assert lost.status_code == 409
    assert lost.json()["code"] == "ROOM_NOT_AVAILABLE"
    assert lost.json()["conflictingBooking"]["id"] == booking.pk
    assert Booking.objects.filter(room=room).count() == 1

    not_theirs = post_json(api, f"/api/v1/bookings/{booking.pk}/cancel", {}, **bearer(theirs))
    assert not_theirs.status_code == 404
    cancelled = post_json(api, f"/api/v1/bookings/{booking.pk}/cancel", {}, **bearer(token))
    assert cancelled.status_code == 200
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    listed = api.get("/api/v1/bookings", **bearer(token)).json()
    assert [(item["id"], item["status"]) for item in listed] == [(booking.pk, "cancelled")]  # as My bookings


def test_a_read_token_cannot_book(api, token, room):
    refused = claim(api, token, room, start=local(at(10)), end=local(at(11)))
    assert refused.status_code == 403
    assert refused.json()["code"] == tokens.TOKEN_READ_ONLY
    assert not Booking.objects.exists()


def test_staff_tokens_book_for_a_colleague_and_others_cannot(api, alice, bob, room):
    staff = make_teacher("Sam Staff", is_staff=True)
    for hour, who in ((10, staff), (12, alice)):
        token = tokens.make(who, name="Office", scope="book", days=30)[1]
        period = {"start": local(at(hour)), "end": local(at(hour + 1))}
        answer = claim(api, token, room, **period, for_teacher=bob.username)
        if who.is_staff:
            assert answer.status_code == 201, answer.content
        else:
            assert answer.status_code == 400
            assert "for_teacher" in answer.json()["errors"]
    assert [booking.teacher for booking in Booking.objects.all()] == [bob]  # the staff's, for Bob


@pytest.mark.parametrize(
    ("wanted", "field"),
    [
        ({"start": "tomorrow", "end": "later"}, "start"),
        ({"start": "LATER", "end": "SOON"}, "end"),
        ({"start": "SOON", "end": "LATER", "attendees": 0}, "attendees"),
        ({"start": "SOON", "end": "LATER", "purpose": "x" * 201}, "purpose"),
        ({"start": "SOON", "end": "LATER", "for_teacher": "nobody"}, "for_teacher"),
        ({"start": "SOON", "end": "LATER", "attendees": "many"}, "attendees"),
    ],
)
def test_a_bad_claim_is_a_400_naming_the_field_and_books_nothing(api, alice, room, wanted, field):
    token = tokens.make(alice, name="Exams", scope="book", days=30)[1]
    times = {"SOON": local(at(10)), "LATER": local(at(11))}
    wanted = {name: times.get(value, value) for name, value in wanted.items()}
    answer = claim(api, token, room, **wanted)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"]
    assert not Booking.objects.exists()


@pytest.mark.parametrize("sent", ["not json", "", "a=b"])
def test_a_claim_that_is_not_a_json_object_is_a_400_naming_the_body(api, alice, room, sent):
    token = tokens.make(alice, name="Exams", scope="book", days=30)[1]
    answer = api.post(f"/api/v1/rooms/{room.pk}/claim", sent, "application/json", **bearer(token))
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "INVALID_INPUT"
    assert "body" in answer.json()["errors"]
    assert not Booking.objects.exists()


def test_a_claim_on_a_room_that_does_not_exist_is_a_404(api, alice):
    token = tokens.make(alice, name="Exams", scope="book", days=30)[1]
    period = {"start": local(at(10)), "end": local(at(11))}
    answer = post_json(api, "/api/v1/rooms/999999/claim", period, **bearer(token))
    assert (answer.status_code, answer.json()["code"]) == (404, "ROOM_NOT_FOUND")


def test_the_days_timetable_for_a_signage_screen(api, token, alice, bob, room, settings):
    settings.TIMETABLE_SHOWS_NAMES = True
    booking = services.booking_create(teacher=bob, room_id=room.pk, start=at(10), end=at(11), purpose="Choir")
    day = at(10).date().isoformat()
    answer = api.get("/api/v1/timetable", {"date": day}, **bearer(token))
    assert answer.status_code == 200, answer.content
    grid = answer.json()
    assert grid["date"] == day
    row = next(row for row in grid["rooms"] if row["id"] == room.pk)
    assert len(row["cells"]) == len(grid["columns"])
    taken = [cell for cell in row["cells"] if cell["bookingId"] == booking.pk]
    assert taken and {(cell["state"], cell["who"], cell["purpose"]) for cell in taken} == {
        ("booked", "Bob Brown", "Choir")
    }

    settings.TIMETABLE_SHOWS_NAMES = False
    hidden = api.get("/api/v1/timetable", {"date": day}, **bearer(token)).json()
    whos = {cell["who"] for row in hidden["rooms"] for cell in row["cells"] if cell["bookingId"]}
    assert whos == {"a colleague"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date": "2026-13-01"}, "date"),
        ({"date": "0001-01-01"}, "date"),
        ({"building": "999999"}, "building"),
    ],
)
def test_a_bad_timetable_query_is_a_400_naming_the_field(api, token, query, field):
    answer = api.get("/api/v1/timetable", query, **bearer(token))
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"]


def test_a_rooms_week(api, token, bob, room):
    booking = services.booking_create(teacher=bob, room_id=room.pk, start=at(10), end=at(11), purpose="Choir")
    day = at(10).date()
    answer = api.get(f"/api/v1/rooms/{room.pk}/week", {"week": day.isoformat()}, **bearer(token))
    assert answer.status_code == 200, answer.content
    week = answer.json()
    assert week["room"]["id"] == room.pk
    dates = [item["date"] for item in week["days"]]
    assert len(dates) == 7 and day.isoformat() in dates  # the week the day is in, Monday first
    that_day = next(item for item in week["days"] if item["date"] == day.isoformat())
    cells = that_day["cells"]
    taken = {(cell["state"], cell["purpose"]) for cell in cells if cell["bookingId"] == booking.pk}
    assert taken == {("booked", "Choir")}


def test_a_bad_week_or_room_is_refused(api, token, room):
    bad = api.get(f"/api/v1/rooms/{room.pk}/week", {"week": "someday"}, **bearer(token))
    assert bad.status_code == 400 and "week" in bad.json()["errors"]
    missing = api.get("/api/v1/rooms/999999/week", **bearer(token))
    assert (missing.status_code, missing.json()["code"]) == (404, "ROOM_NOT_FOUND")


def test_claims_through_the_api_are_counted_with_the_pages(api, alice, bob, room):
    booked, lost = (CLAIMS.labels(outcome=outcome) for outcome in ("booked", "not_available"))
    before = booked._value.get(), lost._value.get()
    for teacher in (alice, bob):
        token = tokens.make(teacher, name="Exams", scope="book", days=30)[1]
        claim(api, token, room, start=local(at(10)), end=local(at(11)))
    assert (booked._value.get(), lost._value.get()) == (before[0] + 1, before[1] + 1)


@pytest.fixture
def books(alice):
    """Alice's token that may book."""
    return tokens.make(alice, name="Exams", scope="book", days=30)[1]


def test_a_hold_then_its_line_then_its_release(api, alice, bob, room, books):
    period = {"start": local(at(10)), "end": local(at(11))}
    bobs = tokens.make(bob, name="Bob's", scope="book", days=30)[1]
    held = post_json(api, f"/api/v1/rooms/{room.pk}/hold", period, **bearer(bobs))
    assert held.status_code == 200, held.content
    assert held.json()["hold"]["roomId"] == room.pk and held.json()["hold"]["degraded"] is False

    taken = post_json(api, f"/api/v1/rooms/{room.pk}/hold", period, **bearer(books))
    assert (taken.status_code, taken.json()["code"]) == (409, "BOOKING_CONFLICT")
    waiting = post_json(api, f"/api/v1/rooms/{room.pk}/hold", {**period, "wait": True}, **bearer(books))
    assert waiting.status_code == 202, waiting.content
    assert waiting.json()["queue"]["position"] == 1
    assert waiting.json()["message"] == "You are number 1 in line for this room."

    released = post_json(api, f"/api/v1/rooms/{room.pk}/release", period, **bearer(bobs))
    assert released.json() == {"released": True}
    # The hold went to the first in line: Alice's now, and Bob's claim meets it.
    lost = claim(api, bobs, room, **period)
    assert (lost.status_code, lost.json()["code"]) == (409, "BOOKING_CONFLICT")
    assert claim(api, books, room, **period).status_code == 201
    assert post_json(api, f"/api/v1/rooms/{room.pk}/release", period, **bearer(bobs)).json() == {
        "released": False
    }


def test_a_series_is_booked_through_the_api_with_its_dates(api, alice, room, books):
    start, end = at(10), at(11)
    until = (timezone.localtime(start) + timedelta(weeks=2)).date()
    made = claim(
        api,
        books,
        room,
        start=local(start),
        end=local(end),
        repeat="weekly",
        until=until.isoformat(),
        purpose="Exam prep",
    )
    assert made.status_code == 201, made.content
    series = made.json()["series"]
    assert series["rule"] == "weekly" and series["until"] == until.isoformat()
    assert [item["purpose"] for item in series["bookings"]] == ["Exam prep"] * 3
    assert Booking.objects.filter(series_id=series["id"]).count() == 3
    assert made.json()["message"].endswith(", 3 dates")

    bad = claim(
        api, books, room, start=local(start), end=local(end), repeat="hourly", until=until.isoformat()
    )
    assert bad.status_code == 400 and "repeat" in bad.json()["errors"]
    assert Booking.objects.count() == 3


def test_a_booking_is_moved_through_the_same_guard(api, alice, bob, room, books):
    lab = make_room("Lab 1", capacity=30)
    booking = services.booking_create(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    services.booking_create(teacher=bob, room_id=lab.pk, start=at(12), end=at(13))
    url = f"/api/v1/bookings/{booking.pk}/move"

    moved = post_json(api, url, {"room": lab.pk, "purpose": "Chemistry"}, **bearer(books))
    assert moved.status_code == 200, moved.content
    assert moved.json()["booking"]["roomId"] == lab.pk and moved.json()["booking"]["purpose"] == "Chemistry"
    assert moved.json()["message"].startswith("Booking moved: Lab 1, ")
    taken = post_json(api, url, {"start": local(at(12)), "end": local(at(13))}, **bearer(books))
    assert taken.status_code == 409 and taken.json()["code"] == "ROOM_NOT_AVAILABLE"
    backwards = post_json(api, url, {"start": local(at(11)), "end": local(at(10))}, **bearer(books))
    assert backwards.status_code == 400 and "end" in backwards.json()["errors"]
    no_room = post_json(api, url, {"room": 999999}, **bearer(books))
    assert no_room.status_code == 400 and "room" in no_room.json()["errors"]
    bobs = tokens.make(bob, name="Bob's", scope="book", days=30)[1]
    assert post_json(api, url, {"room": room.pk}, **bearer(bobs)).status_code == 404
    booking.refresh_from_db()
    assert (booking.room, booking.start, booking.purpose) == (lab, at(10), "Chemistry")


def test_the_waitlist_through_the_api(api, alice, bob, room, books):
    services.booking_create(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    period = {"start": local(at(10)), "end": local(at(11))}
    joined = post_json(api, f"/api/v1/rooms/{room.pk}/waitlist", period, **bearer(books))
    assert joined.status_code == 201, joined.content
    entry = joined.json()["entry"]
    assert (entry["roomId"], entry["status"]) == (room.pk, "waiting")
    assert joined.json()["message"].startswith("You are on the waitlist for Room 101")
    assert [item["id"] for item in api.get("/api/v1/waitlist", **bearer(books)).json()] == [entry["id"]]

    left = post_json(api, f"/api/v1/waitlist/{entry['id']}/leave", {}, **bearer(books))
    assert left.status_code == 200 and left.json()["entry"]["status"] == "left"
    assert api.get("/api/v1/waitlist", **bearer(books)).json() == []
    again = post_json(api, f"/api/v1/waitlist/{entry['id']}/leave", {}, **bearer(books))
    assert again.status_code == 404
    assert WaitlistEntry.objects.get().status == "left"


def test_a_lessons_room_is_given_back_and_taken_back_through_the_api(api, alice, bob, room, books):
    lesson_date = lesson_date_of(alice, room, at(10), at(11))
    listed = api.get("/api/v1/lessons", **bearer(books)).json()
    assert [(item["id"], item["lesson"]["title"]) for item in listed] == [(lesson_date.pk, "7b Maths")]

    url = f"/api/v1/lessons/dates/{lesson_date.pk}/release"
    empty = post_json(api, url, {"reason": "  "}, **bearer(books))
    assert empty.status_code == 400 and "reason" in empty.json()["errors"]
    freed = post_json(api, url, {"reason": "7b on a trip"}, **bearer(books))
    assert freed.status_code == 200, freed.content
    assert freed.json()["freed"][0]["freedReason"] == "7b on a trip"
    assert freed.json()["message"] == "Room given back: Room 101, 1 lesson"
    bobs = tokens.make(bob, name="Bob's", scope="book", days=30)[1]
    assert (
        post_json(api, f"/api/v1/lessons/dates/{lesson_date.pk}/restore", {}, **bearer(bobs)).status_code
        == 404
    )
    back = post_json(api, f"/api/v1/lessons/dates/{lesson_date.pk}/restore", {}, **bearer(books))
    assert back.status_code == 200 and back.json()["lesson"]["status"] == "confirmed"


def test_a_read_token_may_not_hold_move_wait_or_give_back(api, alice, room, token):
    booking = services.booking_create(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    lesson_date = lesson_date_of(alice, room, at(12), at(13))
    for url in (
        f"/api/v1/rooms/{room.pk}/hold",
        f"/api/v1/rooms/{room.pk}/release",
        f"/api/v1/bookings/{booking.pk}/move",
        f"/api/v1/rooms/{room.pk}/waitlist",
        f"/api/v1/lessons/dates/{lesson_date.pk}/release",
    ):
        refused = post_json(
            api, url, {"start": local(at(14)), "end": local(at(15)), "reason": "away"}, **bearer(token)
        )
        assert (refused.status_code, refused.json()["code"]) == (403, tokens.TOKEN_READ_ONLY), url
    booking.refresh_from_db()
    lesson_date.refresh_from_db()
    assert (booking.start, lesson_date.status) == (at(10), "confirmed")


# What the pages already refuse, sent to every endpoint, one field at a time: each is a 4xx
# in the pages' JSON (a 400 names a field), never a 500, and a refusal writes nothing. (A
# value that is fine where it goes, a purpose of "<script>", is booked as text.)
BAD_VALUES = [
    "",
    "tomorrow",
    "2026-13-45T25:61",
    "2026-12-01T10:00\x00",
    "10:00:30",
    "x" * 5000,
    "<script>alert(1)</script>",
    "'; DROP TABLE bookings_booking; --",
    -1,
    0,
    2**63,
    10**30,
    1.5,
    True,
    None,
    [],
    {"nested": 1},
]
BAD_IDS = ["999999", "0", "9223372036854775808", "99999999999999999999999"]


def _fields(schema, method: str, path: str) -> set[str]:
    """The names of an endpoint's query parameters or body fields, from the schema."""
    operation = schema["paths"][path][method]
    names = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "query"}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body:
        names |= set(schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]["properties"])
    return names


def _assert_refused_well(answer, where):
    assert answer.status_code < 500, (where, answer.status_code, answer.content[:300])
    assert answer.status_code != 429, where  # the limit is lifted here: every answer is the endpoint's own
    if answer.status_code >= 400:
        body = answer.json()
        assert body["code"] and body["message"], where
        if answer.status_code == 400:
            assert body["errors"] and all(
                isinstance(problems, list) for problems in body["errors"].values()
            ), where


def _state() -> list:
    bookings = Booking.objects.order_by("pk").values_list(
        "pk", "room_id", "start", "end", "status", "purpose"
    )
    entries = WaitlistEntry.objects.order_by("pk").values_list("pk", "status")
    return [*bookings, *entries]


def test_every_endpoint_refuses_bad_input_without_a_500_and_writes_nothing(api, alice, bob, room, settings):
    """Each field of each endpoint in turn gets each bad value, the rest of the request
    being one that works (``every_call``), so the value reaches as far as it can."""
    settings.API_REQUESTS_PER_MINUTE = 1_000_000
    staff = make_teacher("Sam Staff", is_staff=True)
    schema = api.get("/api/v1/openapi.json").json()
    calls = every_call(alice, bob, room)
    refusals = 0
    for (method, path), (url, valid) in calls.items():
        send = api.get if method == "get" else partial(post_json, api)
        for who in (alice, staff):
            token = tokens.make(who, name="Fuzz", scope="book", days=1)[1]
            for name in sorted(_fields(schema, method, path)):
                for value in BAD_VALUES:
                    if method == "get" and (isinstance(value, (list, dict)) or value is None):
                        continue  # a query string has no such values
                    before = _state()
                    answer = send(url, {**valid, name: value}, **bearer(token))
                    _assert_refused_well(answer, (method, url, name, repr(value)[:40]))
                    if answer.status_code >= 400:
                        refusals += 1
                        assert _state() == before, (method, url, name, repr(value)[:40])
            if "{" in path:  # the id in the path, out of range or missing
                for bad in BAD_IDS:
                    before = _state()
                    wrong = re.sub(r"/\d+/", f"/{bad}/", url, count=1)
                    _assert_refused_well(send(wrong, valid, **bearer(token)), (method, wrong))
                    assert _state() == before, (method, wrong)
    assert refusals > 500  # the bad values were refused, not let through


def test_the_readable_docs_are_served_from_this_site_alone(api):
    page = api.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/api/v1/openapi.json" in html
    assert "https://" not in html and "cdn" not in html.lower()  # nothing from elsewhere
    assert "<noscript>" in html  # without JavaScript: where the schema and the guide are
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_the_api_answers_json_whatever_the_client_accepts_a_database_away_too(api, token, monkeypatch):
    unknown = api.get("/api/v1/nothing-here", HTTP_ACCEPT="text/html", **bearer(token))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND")

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tokens, "check", unreachable)
    away = api.get("/api/v1/rooms", HTTP_ACCEPT="text/html", **bearer(token))
    assert away.status_code == 503 and away["Retry-After"]
    assert away.json()["code"] == "SERVICE_BUSY"
