"""Analytics for admins: recorded conflicts, demand, utilisation, waitlists, CSV."""

import csv
import io

import pytest
from django.utils import timezone

from bookings import services
from bookings.errors import BookingError
from bookings.models import Conflict
from tests.factories import at, make_room, make_teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_room():
    room = make_room("Room 101")
    alice, bob, carol = make_teacher("Alice"), make_teacher("Bob"), make_teacher("Carol")
    services.booking_create(teacher=alice, room_id=room.pk, start=at(10), end=at(12))
    for teacher in (bob, carol):
        with pytest.raises(BookingError):
            services.booking_create(teacher=teacher, room_id=room.pk, start=at(10), end=at(11))
    services.waitlist_join(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    make_room("Room 102")
    return room


def test_conflicts_are_recorded_when_they_happen(busy_room):
    assert Conflict.objects.filter(room=busy_room, code="ROOM_NOT_AVAILABLE").count() == 2


def test_one_teacher_trying_one_period_again_and_again_counts_once(busy_room):
    dave = make_teacher("Dave")
    for _ in range(20):
        with pytest.raises(BookingError):
            services.booking_hold(teacher=dave, room_id=busy_room.pk, start=at(10), end=at(11))
    assert Conflict.objects.filter(teacher=dave).count() == 1


def test_analytics_page_shows_the_figures(admin_client, busy_room):
    response = admin_client.get("/analytics/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page
    assert "2</strong> conflicts recorded" in page
    report = response.context["report"]
    room = next(r for r in report.rooms if r.name == "Room 101")
    assert (room.bookings, room.booked_hours, room.conflicts, room.waitlist_joins, room.waiting_now) == (
        1,
        2.0,
        2,
        1,
        1,
    )
    start = timezone.localtime(at(10))
    assert report.by_hour[(start.isoweekday(), start.hour)] == 2


def test_csv_export(admin_client, busy_room):
    response = admin_client.get("/analytics/", {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = {row["room"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert rows["Room 101"]["conflicts"] == "2"
    assert rows["Room 101"]["booked_hours"] == "2.00"
    assert rows["Room 102"]["bookings"] == "0"


def test_admin_index_links_to_analytics(admin_client):
    assert 'href="/analytics/"' in admin_client.get("/admin/").content.decode()


def test_bad_range_answers_400(admin_client):
    response = admin_client.get("/analytics/", {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 400
    assert "end" in response.context["form"].errors


def test_teachers_and_strangers_get_nothing(client):
    assert client.get("/analytics/").status_code == 302
    client.force_login(make_teacher())
    response = client.get("/analytics/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil")', "+1", "-1+2", "@SUM(A1)", "\tTab", "\rCR"])
def test_csv_cells_that_look_like_formulas_are_written_as_text(admin_client, name):
    make_room(name)
    rows = list(csv.reader(io.StringIO(admin_client.get("/analytics/", {"format": "csv"}).content.decode())))
    assert [row[0] for row in rows[1:]] == [f"'{name}"]


def test_a_spreadsheet_splitting_on_semicolons_still_finds_no_formula(admin_client):
    """German Excel splits a line on semicolons: every piece it would make of a cell is
    checked, and every cell is quoted, so a name cannot become a formula there either."""
    make_room("Raum;=1+1;x")
    text = admin_client.get("/analytics/", {"format": "csv"}).content.decode()
    line = text.splitlines()[1]
    assert line.startswith('"Raum;\'=1+1;x",')
    for piece in line.replace('"', "").replace(",", ";").split(";"):
        assert not piece.strip().startswith(("=", "+", "-", "@")), piece


def test_a_csv_export_with_bad_dates_is_a_400_as_the_page_is(admin_client):
    response = admin_client.get("/analytics/", {"format": "csv", "start": "0001-01-01", "end": "2026-12-01"})
    assert response.status_code == 400
