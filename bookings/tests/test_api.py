"""The API under /api/v1/ (docs/api.md): its OpenAPI schema, every path in it, personal
access tokens from making to revoking, and its refusals, in the pages' JSON shapes."""

from datetime import timedelta
from functools import partial

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from bookings import services
from bookings.metrics import CLAIMS
from bookings.models import Booking
from teachers import tokens
from teachers.models import AccessToken
from tests.factories import at, local, make_room, make_teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return Client()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def token(alice):
    return tokens.make(alice, name="Office MIS", scope="read", days=30)[1]


def test_the_schema_is_valid_openapi_and_every_path_in_it_answers(api, alice, room):
    token = tokens.make(alice, name="Everything", scope="book", days=30)[1]
    schema = api.get("/api/v1/openapi.json").json()
    validate(schema)
    assert schema["info"]["title"] == "Roomclaim"
    booking = services.booking_create(teacher=alice, room_id=room.pk, start=at(14), end=at(15))
    calls = {
        ("get", "/api/v1/me"): ("/api/v1/me", {}),
        ("get", "/api/v1/rooms"): ("/api/v1/rooms", {}),
        ("get", "/api/v1/rooms/free"): ("/api/v1/rooms/free", {"start": local(at(10)), "end": local(at(11))}),
        ("get", "/api/v1/bookings"): ("/api/v1/bookings", {}),
        ("get", "/api/v1/timetable"): ("/api/v1/timetable", {}),
        ("get", "/api/v1/rooms/{room_id}/week"): (f"/api/v1/rooms/{room.pk}/week", {}),
        ("post", "/api/v1/rooms/{room_id}/claim"): (
            f"/api/v1/rooms/{room.pk}/claim",
            {"start": local(at(10)), "end": local(at(11))},
        ),
        ("post", "/api/v1/bookings/{booking_id}/cancel"): (f"/api/v1/bookings/{booking.pk}/cancel", {}),
    }
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
    assert made.json()["message"] == f"Room booked successfully: {room.name}"

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
