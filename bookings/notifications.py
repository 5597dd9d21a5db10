"""Mail to teachers, through an outbox.

``enqueue`` adds a row in the caller's transaction (so a rolled-back booking sends
nothing) and costs one INSERT; ``send_pending``, run by ``send_notifications``, renders
and sends. A slow or broken mail server never holds a request up, and a failed send is
tried again. Teachers without an address, or who turned a kind off, get nothing.

Why an outbox and not a task library: it needs no broker or worker beyond a management
command, and it is atomic with the booking it announces.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from teachers.models import Teacher

from .models import Booking, Notification, WaitlistEntry

logger = logging.getLogger(__name__)

Kind = Notification.Kind
PREFERENCE = {
    Kind.BOOKING_CONFIRMED: "notify_booking_confirmed",
    Kind.CANCELLED_BY_ADMIN: "notify_cancelled_by_admin",
    Kind.WAITLIST_OFFER: "notify_waitlist_offer",
}
MAX_ATTEMPTS = 5


def enqueue(
    *, teacher: Teacher, kind: str, booking: Booking | None = None, entry: WaitlistEntry | None = None
) -> Notification | None:
    if not teacher.email or not getattr(teacher, PREFERENCE[kind]):
        return None
    return Notification.objects.create(teacher=teacher, kind=kind, booking=booking, entry=entry)


def render(notification: Notification) -> EmailMultiAlternatives:
    context = {
        "teacher": notification.teacher,
        "booking": notification.booking,
        "entry": notification.entry,
        "site_url": settings.SITE_URL,
    }
    name = f"email/{notification.kind}"
    message = EmailMultiAlternatives(
        subject=render_to_string(f"{name}_subject.txt", context).strip(),
        body=render_to_string(f"{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.teacher.email],
    )
    message.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    return message


def send_pending(*, batch: int = 100) -> tuple[int, int]:
    """Send up to ``batch`` waiting mails; several senders may run at once. Returns
    (sent, failed)."""
    sent = failed = 0
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .select_related("teacher", "booking__room__building", "booking__teacher", "entry__room")
            .order_by("created_at")[:batch]
        )
        for notification in pending:
            notification.attempts += 1
            try:
                render(notification).send()
            except Exception as exc:  # the mail server's problem, not ours: try again later
                notification.last_error = f"{type(exc).__name__}: {exc}"
                failed += 1
                logger.warning("Could not send notification %s: %s", notification.pk, exc)
            else:
                notification.sent_at = timezone.now()
                sent += 1
            notification.save(update_fields=["attempts", "last_error", "sent_at"])
    return sent, failed


def send_all(*, batch: int = 100) -> tuple[int, int]:
    """Send batches until the outbox has no more waiting mail. Returns (sent, failed)."""
    sent = failed = 0
    while True:
        batch_sent, batch_failed = send_pending(batch=batch)
        sent, failed = sent + batch_sent, failed + batch_failed
        if batch_sent + batch_failed < batch:  # a full batch means there may be more
            return sent, failed
