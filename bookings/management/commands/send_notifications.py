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
            sent = failed = 0
            while True:  # drain: a full batch means there may be more
                batch_sent, batch_failed = notifications.send_pending(batch=batch)
                sent, failed = sent + batch_sent, failed + batch_failed
                if batch_sent + batch_failed < batch:
                    break
            self.stdout.write(f"Sent {sent} notifications, {failed} failed")
            if not interval:
                return
            time.sleep(interval)
