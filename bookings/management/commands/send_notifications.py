import logging
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from bookings import notifications
from bookings.errors import database_unavailable

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send the waiting notification emails; --interval keeps sending forever."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, help="Check for new mail every SECONDS, forever.")
        parser.add_argument("--batch", type=int, default=100)

    def handle(self, *args, interval=None, batch=100, **options):
        while True:
            try:
                sent, failed = notifications.send_all(batch=batch)
                self.stdout.write(f"Sent {sent} notifications, {failed} failed")
            except DatabaseError as exc:
                if not interval or not database_unavailable(exc):
                    raise
                logger.warning("Outbox not drained, the database is unavailable: %s", exc)
            if not interval:
                return
            time.sleep(interval)
