"""Demo data for trying Roomclaim out; running it again changes nothing."""

import itertools

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from rooms.models import Building, Feature, Room

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
        # A school calendar and booking rules are not seeded yet, so --bare changes nothing
        # today; scripts may pass it already.
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
        self.stdout.write(
            f"Demo data ready: {teachers} teachers ({created_teachers} new), "
            f"{rooms} rooms ({created_rooms} new), admin user 'admin'."
        )

    @staticmethod
    def ensure_user(Teacher, username, password, **fields):
        user, created = Teacher.objects.get_or_create(username=username, defaults=fields)
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        return user, created
