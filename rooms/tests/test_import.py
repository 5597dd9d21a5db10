"""Rooms from CSV files: idempotent, every bad line named, all or nothing, and the admin's
upload with a dry run."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from rooms.models import Room

pytestmark = pytest.mark.django_db

ROOMS = """name,building,capacity,features,floor,accessibility_notes,active
Lab 1,Science Wing,24,Lab;Projector,1st floor,Lift by the stairs,yes
Hall,Main Building,120,Sound system,Ground floor,,
"""


def run(text, tmp_path, *args) -> str:
    file = tmp_path / "rooms.csv"
    file.write_text(text)
    out = StringIO()
    call_command("import_rooms", str(file), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_rooms_import_once_with_buildings_and_features(tmp_path):
    assert run(ROOMS, tmp_path).splitlines()[-1] == "2 new, 0 changed, 0 unchanged"
    lab = Room.objects.get(name="Lab 1")
    assert (lab.building.name, lab.capacity, lab.floor, lab.accessibility_notes) == (
        "Science Wing",
        24,
        "1st floor",
        "Lift by the stairs",
    )
    assert sorted(lab.features.values_list("name", flat=True)) == ["Lab", "Projector"]
    assert run(ROOMS, tmp_path).splitlines()[-1] == "0 new, 0 changed, 2 unchanged"
    out = run("name,capacity\nHall,150\n", tmp_path)
    assert "Changed room Hall: capacity" in out and Room.objects.get(name="Hall").capacity == 150


def test_bad_room_lines_are_named(tmp_path):
    file = tmp_path / "rooms.csv"
    file.write_text("name,building,capacity\nNew Room,,10\nLab 9,Science Wing,lots\nLab 8,Science Wing,0\n")
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("import_rooms", str(file), stdout=StringIO(), stderr=errors)
    assert errors.getvalue().splitlines() == [
        "Line 2: room “New Room” is new: give its building.",
        "Line 3: capacity “lots” is not a whole number.",
        "Line 4: capacity must be at least 1.",
    ]
    assert not Room.objects.exists()


def test_admins_import_rooms_with_a_dry_run_first(admin_client):
    assert "Import from a file" in admin_client.get("/admin/rooms/room/").content.decode()
    upload = SimpleUploadedFile("rooms.csv", ROOMS.encode(), content_type="text/csv")
    response = admin_client.post("/admin/rooms/room/import/", {"file": upload, "dry_run": "on"}, follow=True)
    assert "2 new, 0 changed, 0 unchanged (a dry run: nothing would be saved)." in response.content.decode()
    assert not Room.objects.exists()
    upload = SimpleUploadedFile("rooms.csv", ROOMS.encode(), content_type="text/csv")
    response = admin_client.post("/admin/rooms/room/import/", {"file": upload}, follow=True)
    assert "2 new, 0 changed, 0 unchanged." in response.content.decode()
    assert sorted(Room.objects.values_list("name", flat=True)) == ["Hall", "Lab 1"]
