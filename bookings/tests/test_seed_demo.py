"""seed_demo: the demo school, the same however often it runs."""

import io

import pytest
from django.core.management import call_command

from bookings.models import BookingRule, Lesson
from rooms.models import BookableHours, Closure, Feature, Period, Room, Term
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


@pytest.mark.django_db
def test_seed_demo_is_a_realistic_school():
    run("seed_demo")
    run("seed_demo")  # still once each
    assert [p.name for p in Period.objects.order_by("starts")] == [
        "Period 1",
        "Period 2",
        "Period 3",
        "Period 4",
        "Lunch",
        "Period 5",
        "Period 6",
    ]
    assert Term.objects.count() == 3
    reasons = {closure.description: closure.reason for closure in Closure.objects.all()}
    assert reasons["Staff training day"] == "event" and reasons["Autumn half term"] == "holiday"
    assert BookableHours.objects.filter(weekday=0).count() == 3  # every building on Mondays
    school = BookingRule.objects.get(room__isnull=True, group__isnull=True)
    assert (school.max_days_ahead, school.max_length_minutes) == (28, 240)
    hall = BookingRule.objects.get(room__name="Room 112")
    assert [group.name for group in hall.only_groups.all()] == ["Leadership"]
    assert Teacher.objects.get(username="teacher1").groups.filter(name="Leadership").exists()
    # The demo timetable: once, whatever the runs; its lessons hold their rooms.
    assert Lesson.objects.count() == 8 * 5 * 4
    assert Lesson.objects.filter(room__name="Room 109").count() == 0


@pytest.mark.django_db
def test_seed_demo_bare_seeds_no_calendar_or_rules():
    run("seed_demo", "--bare")
    assert Room.objects.count() == 24 and Teacher.objects.filter(username="teacher8").exists()
    for model in (Period, Term, Closure, BookableHours, BookingRule, Lesson):
        assert not model.objects.exists(), model.__name__
