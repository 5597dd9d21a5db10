import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils import timezone

from bookings import locks, waitlist
from bookings.errors import database_unavailable
from bookings.selectors import active_holds
from teachers import throttle

logger = logging.getLogger(__name__)


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
            try:
                self.sweep()
            except DatabaseError as exc:
                if not interval or not database_unavailable(exc):
                    raise
                logger.warning("Sweep skipped, the database is unavailable: %s", exc)
            if not interval:
                return
            time.sleep(interval)

    def sweep(self):
        self.stdout.write(f"Cleaned up {locks.cleanup_expired()} expired room locks")
        closed = waitlist.expire_offers()
        if closed:
            self.stdout.write(f"Closed {closed} waitlist entries")
        offered = waitlist.offer_missed()
        if offered:
            self.stdout.write(f"Offered {offered} freed periods to waiting teachers")
        throttle.forget_old()

    def print_active(self):
        holds = active_holds()
        self.stdout.write(f"{len(holds)} active room locks")
        for hold in holds:
            lock = hold.lock
            start, end, expires = (
                timezone.localtime(moment) for moment in (lock.start, lock.end, lock.expires_at)
            )
            self.stdout.write(
                f"room {lock.room_id} ({hold.room_name})  {start:%Y-%m-%d %H:%M}-{end:%H:%M}  "
                f"teacher {lock.holder_id} ({hold.holder_name})  expires {expires:%H:%M:%S}"
            )
