"""The private ICS feed, parsed back as a calendar app would."""

import pytest
from icalendar import Calendar

from tests.factories import at, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db


def feed_path(client):
    client.post("/calendar/link/")
    url = client.get("/bookings/", HTTP_ACCEPT="text/html").context["calendar_url"]
    return url.replace("http://testserver", "")


def test_feed_lists_the_teachers_bookings(as_alice, alice):
    client = as_alice
    room = make_room("Room 101", building="Science Wing")
    make_booking(room, alice, at(10), at(11), purpose="Chemistry")
    make_booking(room, alice, at(12), at(13), status="cancelled")
    make_booking(room, make_teacher(), at(14), at(15), purpose="Not mine")
    path = feed_path(client)
    client.logout()  # calendar apps have no session: the token is the key
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = sorted(calendar.walk("VEVENT"), key=lambda event: event.decoded("dtstart"))
    assert [str(event["summary"]) for event in events] == ["Room 101: Chemistry", "Room 101"]
    assert [str(event["status"]) for event in events] == ["CONFIRMED", "CANCELLED"]
    assert events[0].decoded("dtstart") == at(10)
    assert events[0].decoded("dtend") == at(11)
    assert str(events[0]["location"]) == "Room 101, Science Wing"
    assert len({str(event["uid"]) for event in events}) == 2
    assert calendar["version"] == "2.0"


def test_a_new_link_retires_the_old_and_revoking_ends_it(as_alice):
    client = as_alice
    old = feed_path(client)
    new = feed_path(client)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    client.post("/calendar/link/revoke/")
    assert client.get(new).status_code == 404


def test_unknown_tokens_get_nothing(client):
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert client.post("/calendar/link/").status_code == 302  # strangers: log in first
