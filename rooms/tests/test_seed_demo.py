"""seed_demo: the demo school, the same however often it runs."""

import io

import pytest
from django.core.management import call_command

from rooms.models import Feature, Room
from teachers.models import Teacher


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    run("seed_demo")
    run("seed_demo")
    assert Teacher.objects.filter(username__startswith="teacher").count() == 8
    assert Room.objects.count() == 24
    teacher = Teacher.objects.get(username="teacher1")
    assert teacher.display_name == "Teacher 1"
    assert teacher.check_password("demo-pass-123")
    admin = Teacher.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert Room.objects.filter(name="Room 101").exists()
    capacities = set(Room.objects.values_list("capacity", flat=True))
    assert min(capacities) == 8 and max(capacities) == 120
    assert {"projector", "whiteboard", "lab", "wheelchair-access"} <= set(
        Feature.objects.values_list("slug", flat=True)
    )


@pytest.mark.django_db
def test_seed_demo_takes_counts_and_password():
    run("seed_demo", "--teachers", "3", "--rooms", "5", "--password", "other-pass-456")
    assert Teacher.objects.filter(username__startswith="teacher").count() == 3
    assert Room.objects.count() == 5
    assert Teacher.objects.get(username="teacher3").check_password("other-pass-456")
