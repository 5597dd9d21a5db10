import time

from django.core.management.base import BaseCommand

from bookings import notifications


class Command(BaseCommand):
    help = "Send the waiting notification emails; --interval keeps sending forever."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, help="Check for new mail every SECONDS, forever.")
        parser.add_argument("--batch", type=int, default=100)

    def handle(self, *args, interval=None, batch=100, **options):
        while True:
            sent, failed = notifications.send_all(batch=batch)
            self.stdout.write(f"Sent {sent} notifications, {failed} failed")
            if not interval:
                return
            time.sleep(interval)
