"""``sweep``: every periodic job of the booking app, once or every ``--interval`` seconds:
expired holds, holds passed to their line, lapsed and missed waitlist offers, bookings
nobody checked in to, reminders, requests nobody decided in time, approvers' digests and
old login tries (``bookings.maintenance``).
``cleanup_room_locks``, the contract's name for it, is the same command."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils import timezone

from bookings import maintenance
from bookings.errors import database_unavailable
from bookings.selectors import active_holds

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Sweep: expired holds, lapsed waitlist offers, bookings nobody checked in to, reminders "
        "and old login tries; --list shows the active holds; --interval sweeps forever. "
        "(cleanup_room_locks is the same command.)"
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
        swept = maintenance.sweep()
        self.stdout.write(f"Cleaned up {swept.locks_cleaned} expired room locks")
        if swept.holds_handed:
            self.stdout.write(f"Passed {swept.holds_handed} expired holds to the next teacher in line")
        if swept.entries_closed:
            self.stdout.write(f"Closed {swept.entries_closed} waitlist entries")
        if swept.offers_made:
            self.stdout.write(f"Offered {swept.offers_made} freed periods to waiting teachers")
        if swept.bookings_released:
            self.stdout.write(f"Released {swept.bookings_released} bookings nobody checked in to")
        if swept.reminders_queued:
            self.stdout.write(f"Queued {swept.reminders_queued} reminders")
        if swept.requests_decided:
            self.stdout.write(f"Decided {swept.requests_decided} requests nobody decided in time")
        if swept.digests_queued:
            self.stdout.write(f"Queued {swept.digests_queued} daily digests of open requests")

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
