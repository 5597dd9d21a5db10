"""Demo data for trying Roomclaim out; running it again changes nothing.

Without ``--bare`` it is a realistic school: six periods and a lunch break, the academic
year's three terms with their half-terms, a staff training day, bookable hours, a few
booking rules (a hall only leadership may book, a computer room that asks for check-in),
and a timetable whose lessons hold a third of the rooms two periods in three, so
``make run`` shows all of it."""

import itertools
from datetime import date, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from bookings.lessons.plan import import_timetable
from bookings.models import BookingRule
from rooms.models import BookableHours, Building, Closure, Feature, Period, Room, Term

BUILDINGS = ["Main Building", "Science Wing", "Arts Block"]
FEATURES = {
    "projector": "Projector",
    "whiteboard": "Whiteboard",
    "lab": "Lab",
    "wheelchair-access": "Wheelchair access",
    "computers": "Computers",
    "sound-system": "Sound system",
}
CAPACITIES = [8, 12, 16, 20, 24, 28, 30, 32, 36, 40, 60, 120]
# Feature sets handed out in turn, so every search finds a mix.
FEATURE_SETS = [
    ("whiteboard",),
    ("projector", "whiteboard"),
    ("projector", "wheelchair-access"),
    ("lab", "whiteboard"),
    ("computers", "projector"),
    ("projector", "sound-system", "wheelchair-access"),
    ("whiteboard", "wheelchair-access"),
    (),
]


PERIODS = [
    ("Period 1", time(8, 50), time(9, 40)),
    ("Period 2", time(9, 40), time(10, 30)),
    ("Period 3", time(10, 50), time(11, 40)),
    ("Period 4", time(11, 40), time(12, 30)),
    ("Lunch", time(12, 30), time(13, 20)),
    ("Period 5", time(13, 20), time(14, 10)),
    ("Period 6", time(14, 10), time(15, 0)),
]
HALL, COMPUTER_ROOM = "Room 112", "Room 105"  # 120 seats; computers and projector
ASSEMBLY_ROOM = "Room 124"  # 120 seats, booked on Leadership's approval
SUBJECTS = ["Maths", "English", "Biology", "History", "French", "Geography", "Art", "Music"]


def _monday_of_week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def academic_year(today: date) -> tuple[list[tuple[str, date, date]], list[tuple[str, date, date]]]:
    """This school year's terms and holidays inside them (half-terms, a training day)."""
    year = today.year if today.month >= 8 else today.year - 1
    terms = [
        ("Autumn term", date(year, 9, 2), date(year, 12, 18)),
        ("Spring term", date(year + 1, 1, 5), date(year + 1, 3, 26)),
        ("Summer term", date(year + 1, 4, 13), date(year + 1, 7, 21)),
    ]
    half_terms = [
        _monday_of_week(date(year, 10, 28)),
        _monday_of_week(date(year + 1, 2, 17)),
        _monday_of_week(date(year + 1, 5, 28)),
    ]
    closures = [
        (f"{name.split()[0]} half term", monday, monday + timedelta(days=4))
        for (name, _, _), monday in zip(terms, half_terms, strict=True)
    ]
    training = date(year, 12, 1) + timedelta(
        days=(4 - date(year, 12, 1).weekday()) % 7
    )  # first Friday of December
    closures.append(("Staff training day", training, training))
    return terms, closures


class Command(BaseCommand):
    help = "Create demo teachers (teacher1..N), an admin and rooms (Room 101...). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--teachers", type=int, default=8)
        parser.add_argument("--rooms", type=int, default=24)
        parser.add_argument("--password", default="demo-pass-123")
        parser.add_argument(
            "--bare",
            action="store_true",
            help="Buildings, rooms, features and teachers only: no school calendar or booking rules, "
            "so any date and time within the built-in limits can be booked (for scripts).",
        )

    @transaction.atomic
    def handle(self, *args, teachers, rooms, password, bare=False, **options):
        Teacher = get_user_model()
        created_teachers = 0
        for number in range(1, teachers + 1):
            # Demo addresses, so the notification emails show (on the console by default).
            _, created = self.ensure_user(
                Teacher,
                f"teacher{number}",
                password,
                display_name=f"Teacher {number}",
                email=f"teacher{number}@school.example",
            )
            created_teachers += created
        self.ensure_user(Teacher, "admin", password, display_name="Admin", is_staff=True, is_superuser=True)

        features = {
            slug: Feature.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in FEATURES.items()
        }
        buildings = [Building.objects.get_or_create(name=name)[0] for name in BUILDINGS]
        created_rooms = 0
        plan = zip(
            range(rooms),
            itertools.cycle(CAPACITIES),
            itertools.cycle(FEATURE_SETS),
            strict=False,
        )
        for index, capacity, feature_set in plan:
            room, created = Room.objects.get_or_create(
                name=f"Room {101 + index}",
                defaults={"building": buildings[index % len(buildings)], "capacity": capacity},
            )
            if created:
                room.features.set(features[slug] for slug in feature_set)
                created_rooms += 1
        summary = (
            f"Demo data ready: {teachers} teachers ({created_teachers} new), "
            f"{rooms} rooms ({created_rooms} new), admin user 'admin'"
        )
        if not bare:
            self.seed_school(buildings)
            summary += "; periods, terms, closures, bookable hours and booking rules"
            lessons = self.seed_timetable(teachers=teachers, rooms=rooms)
            summary += f"; a timetable of {lessons} lessons" if lessons else ""
        self.stdout.write(summary + ".")

    def seed_school(self, buildings) -> None:
        """The school calendar and rules, each made once (kept as an admin changed them)."""
        for name, starts, ends in PERIODS:
            Period.objects.get_or_create(
                name=name, weekday=None, week="", defaults={"starts": starts, "ends": ends}
            )
        terms, closures = academic_year(timezone.localdate())
        for name, first, last in terms:
            Term.objects.get_or_create(name=name, first_day=first, defaults={"last_day": last})
        for description, first, last in closures:
            reason = Closure.Reason.EVENT if "training" in description else Closure.Reason.HOLIDAY
            Closure.objects.get_or_create(
                description=description, first_day=first, defaults={"last_day": last, "reason": reason}
            )
        for building in buildings:
            for weekday in range(5):
                BookableHours.objects.get_or_create(
                    building=building, weekday=weekday, defaults={"opens": time(7, 30), "closes": time(18, 0)}
                )
        arts = next(building for building in buildings if building.name == "Arts Block")
        BookableHours.objects.get_or_create(
            building=arts, weekday=5, defaults={"opens": time(9, 0), "closes": time(13, 0)}
        )
        if not BookingRule.objects.filter(room__isnull=True, group__isnull=True).exists():
            BookingRule.objects.create(max_length_minutes=240, max_days_ahead=28, max_upcoming_bookings=20)
        leadership, _ = Group.objects.get_or_create(name="Leadership")
        BookingRule.objects.get_or_create(group=leadership, defaults={"max_days_ahead": 365})
        leadership.user_set.add(*get_user_model().objects.filter(username__in=["admin", "teacher1"]))
        hall = Room.objects.filter(name=HALL).first()
        if hall is not None:
            rule, created = BookingRule.objects.get_or_create(room=hall)
            if created:
                rule.only_groups.add(leadership)
        computers = Room.objects.filter(name=COMPUTER_ROOM).first()
        if computers is not None:
            BookingRule.objects.get_or_create(room=computers, defaults={"check_in_minutes": 10})
        assembly = Room.objects.filter(name=ASSEMBLY_ROOM).first()
        if assembly is not None:
            BookingRule.objects.get_or_create(
                room=assembly, defaults={"approvers": leadership, "decide_hours": 24}
            )

    @staticmethod
    def seed_timetable(*, teachers: int, rooms: int) -> int:
        """The demo school's timetable, from today to the end of the school year, imported
        as an office would import its own (a plain CSV): lessons in the first rooms, two
        periods in three, Monday to Friday. Bookings made meanwhile keep their rooms."""
        today = timezone.localdate()
        terms, _ = academic_year(today)
        last_day = terms[-1][2]
        shown = min(rooms, 8)
        if today > last_day or not shown or not teachers:
            return 0
        rows = ["group,subject,teachers,room,weekday,period"]
        for index in range(shown):
            for weekday in range(1, 6):
                for number in range(1, 7):
                    if (index + weekday + number) % 3 == 0:
                        continue
                    group = f"{5 + index % 6}{'abc'[(index + weekday) % 3]}"
                    subject = SUBJECTS[(index + weekday * 2 + number) % len(SUBJECTS)]
                    teacher = f"teacher{(index + weekday + number) % teachers + 1}"
                    rows.append(f"{group},{subject},{teacher},Room {101 + index},{weekday},Period {number}")
        outcome = import_timetable(
            "\n".join(rows).encode(), start=today, end=last_day, format="csv", skip_clashing=True
        )
        return len(outcome.created) + len(outcome.updated) + len(outcome.unchanged)

    @staticmethod
    def ensure_user(Teacher, username, password, **fields):
        user, created = Teacher.objects.get_or_create(username=username, defaults=fields)
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        return user, created
