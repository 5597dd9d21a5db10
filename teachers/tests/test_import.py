"""Staff lists from CSV files: idempotent, dry runs, every bad line, all or
nothing, and teachers who left deactivated with their bookings cancelled."""

from io import StringIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from bookings import notifications
from bookings.models import Booking
from teachers.models import Teacher
from tests.factories import at, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db(transaction=True)  # cancellations announce after commit

STAFF = """username,name,email,staff,groups
ada,Ada Lovelace,ada@school.example,no,Science;Leadership
alan,Alan Turing,alan@school.example,,Science
grace,Grace Hopper,,yes,
"""


def run(command, text, tmp_path, *args) -> str:
    file = tmp_path / "file.csv"
    file.write_text(text)
    out = StringIO()
    call_command(command, str(file), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_staff_list_imports_once(tmp_path):
    out = run("import_teachers", STAFF, tmp_path)
    assert out.splitlines()[-1] == "3 new, 0 changed, 0 unchanged"
    ada = Teacher.objects.get(username="ada")
    assert (ada.name, ada.email, ada.is_staff, ada.has_usable_password()) == (
        "Ada Lovelace",
        "ada@school.example",
        False,
        False,
    )
    assert sorted(ada.groups.values_list("name", flat=True)) == ["Leadership", "Science"]
    assert Teacher.objects.get(username="grace").is_staff
    assert run("import_teachers", STAFF, tmp_path).splitlines()[-1] == "0 new, 0 changed, 3 unchanged"
    changed = STAFF.replace("Alan Turing,alan@school.example", "Alan M. Turing,alan@school.example")
    out = run("import_teachers", changed, tmp_path)
    assert "Changed teacher alan (Alan M. Turing): display_name" in out


def test_a_dry_run_reports_and_saves_nothing(tmp_path):
    out = run("import_teachers", STAFF, tmp_path, "--dry-run")
    assert "Would create teacher ada (Ada Lovelace)" in out
    assert out.splitlines()[-1] == "3 new, 0 changed, 0 unchanged (a dry run: nothing would be saved)"
    assert not Teacher.objects.filter(username="ada").exists()


def test_every_bad_line_is_named_and_nothing_is_imported(tmp_path):
    file = tmp_path / "staff.csv"
    file.write_text(
        STAFF + "bad name,X,,,\nbob,Bob,not-an-address,,\nada,Ada again,,,\ncarl,Carl,,perhaps,\n"
    )
    errors = StringIO()
    with pytest.raises(CommandError, match="Nothing imported: 4 problem"):
        call_command("import_teachers", str(file), stdout=StringIO(), stderr=errors)
    assert errors.getvalue().splitlines() == [
        "Line 5: username “bad name” may hold only letters, digits and @ . + - _",
        "Line 6: email “not-an-address” is not an email address.",
        "Line 7: username “ada” is on line 2 already.",
        "Line 8: staff “perhaps” is neither yes nor no.",
    ]
    assert not Teacher.objects.filter(username__in=["ada", "alan", "grace"]).exists()


def test_teachers_who_left_are_deactivated_only_when_asked_and_their_bookings_cancelled(tmp_path):
    make_teacher("Admin", username="admin", is_superuser=True, is_staff=True)
    left = make_teacher("Leo Left", username="leo", email="leo@school.example")
    booking = make_booking(make_room("Room 101"), left, at(10), at(11))
    run("import_teachers", STAFF, tmp_path)
    assert Teacher.objects.get(username="leo").is_active  # never by default
    out = run("import_teachers", STAFF, tmp_path, "--deactivate-missing")
    assert "Deactivated teacher leo, 1 upcoming bookings cancelled" in out
    left.refresh_from_db()
    booking.refresh_from_db()
    assert (left.is_active, booking.status) == (False, "cancelled")
    assert Teacher.objects.get(username="admin").is_active  # staff are never deactivated
    notifications.send_pending()
    assert [m.to for m in mail.outbox] == [["leo@school.example"]]  # "cancelled by an admin", as usual


def test_admins_import_staff_from_the_teachers_list(admin_client):
    assert "Import from a file" in admin_client.get("/admin/teachers/teacher/").content.decode()
    upload = SimpleUploadedFile("staff.csv", STAFF.encode(), content_type="text/csv")
    response = admin_client.post("/admin/teachers/teacher/import/", {"file": upload}, follow=True)
    assert "3 new, 0 changed, 0 unchanged." in response.content.decode()
    assert Teacher.objects.filter(username__in=["ada", "alan", "grace"]).count() == 3
    assert Booking.objects.count() == 0
