"""Mail to teachers, through an outbox.

``enqueue`` adds a row in the caller's transaction (so a rolled-back booking sends
nothing) and costs one INSERT; ``send_pending``, run by ``send_notifications``, renders
and sends. A slow or broken mail server never holds a request up (nor a transaction:
``EMAIL_TIMEOUT`` bounds each send); a failed send is tried again with a growing pause
(30 s, doubling, at most an hour apart) for ``EMAIL_RETRY_HOURS``; a mail whose news no
longer holds when its turn comes (the booking was cancelled, the offer ended) is dropped,
not sent. Teachers without an address, or who turned a kind off, get nothing.

Why an outbox and not a task library: it needs no broker or worker beyond a management
command, and it is atomic with the booking it announces.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from teachers.models import Teacher

from .models import Booking, Notification, WaitlistEntry

logger = logging.getLogger(__name__)

Kind = Notification.Kind
PREFERENCE = {
    Kind.BOOKING_CONFIRMED: "notify_booking_confirmed",
    Kind.CANCELLED_BY_ADMIN: "notify_cancelled_by_admin",
    Kind.WAITLIST_OFFER: "notify_waitlist_offer",
    Kind.REMINDER: "reminder_minutes",
    Kind.BOOKED_FOR_YOU: "notify_booked_for_me",
    Kind.MOVED: "notify_booked_for_me",
    Kind.RELEASED: "notify_released",
}
MAX_BACKOFF = timedelta(hours=1)
FIRST_BACKOFF = timedelta(seconds=30)


def enqueue(
    *,
    teacher: Teacher,
    kind: str,
    booking: Booking | None = None,
    entry: WaitlistEntry | None = None,
    details: dict | None = None,
) -> Notification | None:
    """Queue a mail; none for a teacher without an address or who turned its kind off (a
    password reset cannot be turned off)."""
    preference = PREFERENCE.get(kind)
    if not teacher.email or (preference and not getattr(teacher, preference)):
        return None
    return Notification.objects.create(
        teacher=teacher, kind=kind, booking=booking, entry=entry, details=details or {}
    )


def enqueue_reminders() -> int:
    """Queue a reminder for each booking starting within its teacher's reminder time
    (``Teacher.reminder_minutes``), once: not for bookings made inside that time, nor
    twice. One query per reminder choice, and one insert per reminder."""
    now = timezone.now()
    queued = 0
    reminded = Notification.objects.filter(kind=Kind.REMINDER).values("booking_id")
    for minutes, _ in Teacher._meta.get_field("reminder_minutes").choices:
        if minutes is None:
            continue
        ahead = timedelta(minutes=minutes)
        due = (
            Booking.objects.confirmed()
            .ad_hoc()
            .filter(teacher__reminder_minutes=minutes, start__gt=now, start__lte=now + ahead)
            .exclude(teacher__email="")
            .filter(created_at__lte=F("start") - ahead)
            .exclude(pk__in=reminded)
            .select_related("teacher")
        )
        for booking in due:
            Notification.objects.create(teacher=booking.teacher, kind=Kind.REMINDER, booking=booking)
            queued += 1
    return queued


def _open_requests(room_ids: list[int]) -> list[Booking]:
    """The requests for ``room_ids`` still open, oldest first, a series once (at its first
    date still open), as the approvers' page lists them."""
    firsts: dict[tuple[str, int], Booking] = {}
    for booking in Booking.objects.open_requests(room_ids).select_related("room__building", "teacher"):
        firsts.setdefault(booking.request_key, booking)
    return list(firsts.values())


def render(notification: Notification) -> EmailMultiAlternatives:
    context = {
        "teacher": notification.teacher,
        "booking": notification.booking,
        "entry": notification.entry,
        "site_url": settings.SITE_URL,
        "offer_minutes": max(1, round(settings.WAITLIST_OFFER_SECONDS / 60)),
        "user": notification.teacher,
        **notification.details,
    }
    if notification.kind == Kind.REQUESTS_DIGEST:
        context["requests"] = _open_requests(notification.details.get("rooms", []))
    name = f"email/{notification.kind}"
    # In the teacher's language (their choice, else the school's), not the sender's.
    with translation.override(notification.teacher.mail_language):
        message = EmailMultiAlternatives(
            # One line, whatever a room's name holds: a CR or LF would make every send fail.
            subject=" ".join(render_to_string(f"{name}_subject.txt", context).split()),
            body=render_to_string(f"{name}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.teacher.email],
        )
        message.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    return message


def send_pending(*, batch: int = 100) -> tuple[int, int]:
    """Send up to ``batch`` due mails; several senders may run at once. Returns (sent,
    failed); mails dropped as no longer true count as neither.

    Each mail is leased first (in a short transaction of its own), then sent outside any
    transaction, and marked sent at once: a slow mail server holds no lock, and a sender
    that crashes mid-batch loses only its lease (the mails it had not sent go out after
    ``EMAIL_LEASE_SECONDS``), not the record of the ones it sent."""
    sent = failed = 0
    for notification in _lease(batch):
        reason = _no_longer_true(notification)
        if reason:
            _drop(notification, reason)
            continue
        try:
            render(notification).send()
        except Exception as exc:  # the mail server's problem, not ours: try again later
            failed += 1
            _failed(notification, exc)
        else:
            sent += 1
            notification.sent_at = timezone.now()
            notification.leased_until = None
            notification.details = {}  # a reset link is no longer kept once sent
            notification.save(update_fields=["sent_at", "leased_until", "details"])
    return sent, failed


def _lease(batch: int) -> list[Notification]:
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sent_at__isnull=True, dropped_at__isnull=True, next_attempt_at__lte=now)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
            .select_related("teacher", "booking__room__building", "booking__teacher", "entry__room")
            .order_by("next_attempt_at")[:batch]
        )
        for notification in due:
            notification.attempts += 1
            notification.leased_until = now + timedelta(seconds=settings.EMAIL_LEASE_SECONDS)
        Notification.objects.bulk_update(due, ["attempts", "leased_until"])
    return due


def _no_longer_true(notification: Notification) -> str:
    """Why the news in this mail no longer holds, or "" if it still does."""
    announced = (Kind.BOOKING_CONFIRMED, Kind.REMINDER, Kind.BOOKED_FOR_YOU, Kind.MOVED)
    if notification.kind in announced and not notification.booking.is_confirmed:
        return "the booking was cancelled before the mail went out"
    if notification.kind == Kind.APPROVAL_NEEDED and not notification.booking.is_requested:
        return "the request was decided or withdrawn before the mail went out"
    if notification.kind == Kind.REQUEST_APPROVED and not notification.booking.is_confirmed:
        return "the approved booking was cancelled before the mail went out"
    if notification.kind == Kind.REQUESTS_DIGEST and not _open_requests(
        notification.details.get("rooms", [])
    ):
        return "every request was decided before the digest went out"
    if notification.kind == Kind.REMINDER and notification.booking.start <= timezone.now():
        return "the booking began before the reminder went out"
    if notification.kind == Kind.PASSWORD_RESET and timezone.now() > notification.created_at + timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT
    ):
        return "the reset link expired before the mail went out"
    if notification.kind == Kind.WAITLIST_OFFER:
        entry = notification.entry
        if entry.status != WaitlistEntry.Status.OFFERED or entry.offer_expires_at <= timezone.now():
            return "the offer ended before the mail went out"
    return ""


def _failed(notification: Notification, exc: Exception) -> None:
    now = timezone.now()
    notification.last_error = f"{type(exc).__name__}: {exc}"
    backoff = min(FIRST_BACKOFF * 2 ** (notification.attempts - 1), MAX_BACKOFF)
    notification.next_attempt_at = now + backoff
    notification.leased_until = None
    if notification.next_attempt_at > notification.created_at + timedelta(hours=settings.EMAIL_RETRY_HOURS):
        logger.error(
            "Gave up on notification %s after %d attempts: %s", notification.pk, notification.attempts, exc
        )
        _drop(notification, f"gave up after {notification.attempts} attempts")
        return
    logger.warning(
        "Could not send notification %s (attempt %d): %s", notification.pk, notification.attempts, exc
    )
    notification.save(update_fields=["last_error", "next_attempt_at", "leased_until"])


def _drop(notification: Notification, reason: str) -> None:
    notification.dropped_at = timezone.now()
    notification.dropped_reason = reason
    notification.leased_until = None
    notification.save(update_fields=["dropped_at", "dropped_reason", "leased_until", "last_error"])
    logger.info("Dropped notification %s: %s", notification.pk, reason)


def send_all(*, batch: int = 100) -> tuple[int, int]:
    """Send batches until no more mail is due. Returns (sent, failed)."""
    sent = failed = 0
    while True:
        batch_sent, batch_failed = send_pending(batch=batch)
        sent, failed = sent + batch_sent, failed + batch_failed
        if batch_sent + batch_failed < batch:  # a full batch means there may be more
            return sent, failed
