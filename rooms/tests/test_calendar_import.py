"""Terms and closures from a file: all or nothing, one error per bad line, idempotent."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from rooms.models import Closure, Term
from tests.factories import make_room

pytestmark = pytest.mark.django_db

CSV = """kind,name,first_day,last_day,reason,building,room
term,Autumn term,2026-09-02,2026-12-18,,,
closure,Christmas holidays,2026-12-19,2027-01-04,holiday,,
closure,Lab refit,2026-11-30,2026-12-04,maintenance,Science Wing,
closure,Mock exams,2026-12-07,2026-12-08,exams,,Hall
"""

ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//School//Calendar//EN
BEGIN:VEVENT
UID:1@school
SUMMARY:Spring term
CATEGORIES:term
DTSTART;VALUE=DATE:20270105
DTEND;VALUE=DATE:20270327
END:VEVENT
BEGIN:VEVENT
UID:2@school
SUMMARY:Half term
DTSTART;VALUE=DATE:20270215
DTEND;VALUE=DATE:20270220
END:VEVENT
BEGIN:VEVENT
UID:3@school
SUMMARY:GCSE mocks
CATEGORIES:exams
DTSTART;VALUE=DATE:20270301
DTEND;VALUE=DATE:20270302
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def school():
    make_room("Lab 1", building="Science Wing")
    make_room("Hall")


def run(path, *args) -> str:
    out = StringIO()
    call_command("import_calendar", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_csv_imports_terms_and_closures_once(tmp_path, school):
    file = tmp_path / "calendar.csv"
    file.write_text(CSV)
    assert run(file).splitlines()[-1] == "Created 4, already there 0"
    assert Term.objects.get().name == "Autumn term"
    assert [(c.description, c.reason, c.scope) for c in Closure.objects.order_by("first_day")] == [
        ("Lab refit", "maintenance", "Science Wing"),
        ("Mock exams", "exams", "Hall"),
        ("Christmas holidays", "holiday", "whole school"),
    ]
    assert run(file).splitlines()[-1] == "Created 0, already there 4"  # twice changes nothing
    assert Closure.objects.count() == 3


def test_a_dry_run_reports_and_changes_nothing(tmp_path, school):
    file = tmp_path / "calendar.csv"
    file.write_text(CSV)
    out = run(file, "--dry-run")
    assert "Would create term Autumn term, 2026-09-02 to 2026-12-18" in out
    assert out.splitlines()[-1] == "Would create 4, already there 0 (dry run)"
    assert not Term.objects.exists() and not Closure.objects.exists()


def test_bad_lines_are_each_named_and_nothing_is_imported(tmp_path, school):
    file = tmp_path / "calendar.csv"
    file.write_text(
        CSV
        + "closure,Flood,2026-13-01,2026-12-02,,,\n"
        + "closure,Paint,2026-12-02,2026-12-01,,,\n"
        + "holiday,Oops,2026-12-02,2026-12-03,,,\n"
        + "closure,Roof,2026-12-02,2026-12-03,,Annexe,\n"
    )
    errors = StringIO()
    with pytest.raises(CommandError, match="Nothing imported: 4 problem"):
        call_command("import_calendar", str(file), stdout=StringIO(), stderr=errors)
    assert errors.getvalue().splitlines() == [
        "Line 6: first_day “2026-13-01” is not a date like 2026-12-21.",
        "Line 7: last_day is before first_day.",
        "Line 8: kind “holiday” is neither term nor closure.",
        "Line 9: there is no building called “Annexe”.",
    ]
    assert not Term.objects.exists() and not Closure.objects.exists()


def test_an_ics_export_imports_terms_and_closures(tmp_path):
    file = tmp_path / "school.ics"
    file.write_bytes(ICS)
    assert run(file).splitlines()[-1] == "Created 3, already there 0"
    term = Term.objects.get()
    assert (term.name, str(term.first_day), str(term.last_day)) == ("Spring term", "2027-01-05", "2027-03-26")
    half, mocks = Closure.objects.order_by("first_day")
    assert (half.description, half.reason, str(half.last_day)) == ("Half term", "holiday", "2027-02-19")
    assert (mocks.reason, str(mocks.first_day), str(mocks.last_day)) == ("exams", "2027-03-01", "2027-03-01")


def test_admins_import_from_the_closures_list(admin_client, school):
    page = admin_client.get("/admin/rooms/closure/")
    assert "Import from a file" in page.content.decode()
    upload = SimpleUploadedFile("calendar.csv", CSV.encode(), content_type="text/csv")
    response = admin_client.post(
        "/admin/rooms/closure/import/", {"file": upload, "default": "closure"}, follow=True
    )
    assert "4 new, 0 changed, 0 unchanged." in response.content.decode()
    assert "Created term Autumn term, 2026-09-02 to 2026-12-18" in response.content.decode()
    assert Closure.objects.count() == 3
    bad = SimpleUploadedFile("calendar.csv", b"name,first_day,last_day\nX,soon,2026-12-01\n")
    response = admin_client.post("/admin/rooms/closure/import/", {"file": bad, "default": "closure"})
    assert response.status_code == 400
    assert "Line 2: first_day “soon” is not a date like 2026-12-21." in response.content.decode()


def test_the_import_page_is_for_admins_only(client):
    assert client.get("/admin/rooms/closure/import/").status_code == 302  # to the admin login
