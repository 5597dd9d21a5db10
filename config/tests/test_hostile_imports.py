"""Files an audit made to break the imports: every one is refused with the line (or the
event) and what is wrong with it, in the admin (400, never a 500) and from the command
(no traceback), and nothing of it is saved."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from rooms.models import Building, Closure, Room, Term
from teachers.models import Teacher

pytestmark = pytest.mark.django_db

ROOMS = ("/admin/rooms/room/import/", "import_rooms", {})
STAFF = ("/admin/teachers/teacher/import/", "import_teachers", {})
CALENDAR = ("/admin/rooms/closure/import/", "import_calendar", {"default": "closure"})


def ics(dtstart: str, summary: str = "Holiday") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1@test\r\n"
        f"SUMMARY:{summary}\r\n{dtstart}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


HOSTILE = [
    (ROOMS, "rooms.csv", b'name,building,capacity\n"' + b"x" * 140_000 + b'",Main,10\n', "Line 2"),
    (ROOMS, "rooms.csv", b"name,building,capacity\nLab\x00 1,Main,10\n", "Line 2: it holds a NUL character"),
    (
        ROOMS,
        "rooms.csv",
        b"name,building,capacity\nLab 1," + b"B" * 150 + b",10\n",
        "Line 2: building is longer",
    ),
    (
        ROOMS,
        "rooms.csv",
        b"name,building,capacity,features\nLab 1,Main,10," + b"F" * 80 + b"\n",
        "feature is longer",
    ),
    (
        ROOMS,
        "rooms.csv",
        b"name,building,capacity\nLab 1,Main,99999999999999999999\n",
        "capacity must be at most",
    ),
    (STAFF, "staff.csv", b"username,name\n" + b"u" * 200 + b",Ann\n", "Line 2: username is longer"),
    (STAFF, "staff.csv", b"username,name,groups\nann,Ann," + b"G" * 200 + b"\n", "Line 2: group is longer"),
    (STAFF, "staff.csv", b"username,name\nann,Ann\x00\n", "Line 2: it holds a NUL character"),
    (
        CALENDAR,
        "terms.csv",
        b"kind,name,first_day,last_day\nterm," + b"T" * 150 + b",2027-01-04,2027-03-26\n",
        "name is longer",
    ),
    (
        CALENDAR,
        "c.csv",
        b"name,first_day,last_day\n" + b"D" * 250 + b",2027-01-04,2027-01-05\n",
        "name is longer",
    ),
    (CALENDAR, "c.csv", b"name,first_day,last_day\nX,0001-01-01,0001-01-02\n", "Line 2: first_day"),
    (CALENDAR, "c.ics", ics("DTSTART;VALUE=DATE:00010101"), "Event 1"),
    (CALENDAR, "c.ics", ics("DTSTART;VALUE=PERIOD:20270104T090000Z/PT1H"), "DTSTART is not a date"),
    (CALENDAR, "c.ics", ics("DTSTART;VALUE=TIME:090000"), "DTSTART is not a date"),
    (CALENDAR, "c.ics", ics("DTSTART:notadate"), ""),
    (CALENDAR, "c.ics", ics("DTSTART;VALUE=DATE:20270104", summary="S" * 300), "SUMMARY is longer"),
]


def saved_nothing() -> bool:
    return (
        not (
            Room.objects.exists()
            or Building.objects.exists()
            or Closure.objects.exists()
            or Term.objects.exists()
        )
        and not Teacher.objects.exclude(is_superuser=True).exists()
    )


@pytest.mark.parametrize(("kind", "name", "content", "told"), HOSTILE)
def test_a_hostile_file_is_refused_by_line_in_the_admin(admin_client, kind, name, content, told):
    address, _, extra = kind
    upload = SimpleUploadedFile(name, content, content_type="text/plain")
    response = admin_client.post(address, {"file": upload, **extra})
    assert response.status_code == 400
    assert told in response.content.decode()
    assert saved_nothing()


@pytest.mark.parametrize(("kind", "name", "content", "told"), HOSTILE)
def test_a_hostile_file_is_refused_by_line_from_the_command(tmp_path, kind, name, content, told):
    _, command, _ = kind
    file = tmp_path / name
    file.write_bytes(content)
    errors = StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command(command, str(file), stdout=StringIO(), stderr=errors)
    assert told in errors.getvalue()
    assert saved_nothing()


def test_a_file_past_the_size_limit_is_refused_naming_the_limit(admin_client, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1000
    content = b"name,building,capacity\n" + b"".join(b"Room %d,Main,10\n" % n for n in range(200))
    upload = SimpleUploadedFile("rooms.csv", content, content_type="text/csv")
    response = admin_client.post(ROOMS[0], {"file": upload})
    assert response.status_code == 200 and "IMPORT_MAX_BYTES" in response.content.decode()  # the form again
    file = tmp_path / "rooms.csv"
    file.write_bytes(content)
    with pytest.raises(CommandError, match="IMPORT_MAX_BYTES"):
        call_command("import_rooms", str(file), stdout=StringIO(), stderr=StringIO())
    assert saved_nothing()
