import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from bookings import locks, waitlist
from rooms.models import Room
from teachers.models import Teacher


class Command(BaseCommand):
    help = (
        "Remove expired booking locks and pass untaken waitlist offers on; --list shows the "
        "active locks; --interval sweeps forever."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=int,
            nargs="?",
            const=settings.LOCK_CLEANUP_INTERVAL,
            help=f"Sweep every SECONDS, forever (default {settings.LOCK_CLEANUP_INTERVAL}).",
        )
        parser.add_argument("--list", action="store_true", help="Print the active locks.")

    def handle(self, *args, interval=None, list=False, **options):
        if list:
            self.print_active()
        while True:
            self.stdout.write(f"Cleaned up {locks.cleanup_expired()} expired room locks")
            # Offers not taken in time pass to the next teacher in line.
            closed = waitlist.expire_offers()
            if closed:
                self.stdout.write(f"Closed {closed} waitlist entries")
            if not interval:
                return
            time.sleep(interval)

    def print_active(self):
        active = locks.active_locks()
        rooms = dict(Room.objects.filter(pk__in={lock.room_id for lock in active}).values_list("pk", "name"))
        teachers = {
            teacher.pk: teacher
            for teacher in Teacher.objects.filter(pk__in={lock.holder_id for lock in active})
        }
        self.stdout.write(f"{len(active)} active room locks")
        for lock in active:
            start, end, expires = (
                timezone.localtime(moment) for moment in (lock.start, lock.end, lock.expires_at)
            )
            holder = teachers.get(lock.holder_id)
            self.stdout.write(
                f"room {lock.room_id} ({rooms.get(lock.room_id, 'unknown')})  "
                f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}  "
                f"teacher {lock.holder_id} ({holder.name if holder else 'unknown'})  "
                f"expires {expires:%H:%M:%S}"
            )
