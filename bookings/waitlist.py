"""Offers: the waitlist's side of a freed period.

A teacher who finds a room booked may join its waitlist (``services.waitlist_join``).
When a booking is cancelled, moved or released, the first teacher on the waitlist whose
whole period is now free gets an offer: a hold on that period, kept for them for
``WAITLIST_OFFER_SECONDS``, a ``roomAvailable`` event and an email. An offer not taken in
time passes to the next on the waitlist (``expire_offers``, run by the sweeper). Offers
for one room are decided under that room's row lock, so processes racing to offer never
offer twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from rooms.models import Room
from teachers.models import Teacher

from . import events, locks, metrics, notifications
from .models import Booking, Notification, WaitlistEntry, overlapping_q
from .rules import from_now, this_minute

logger = logging.getLogger(__name__)
Status = WaitlistEntry.Status


def offer_after_commit(*, room_id: int, start: datetime, end: datetime) -> None:
    """Offer a freed period once the transaction that freed it commits (at once outside
    one). A failure is logged, never raised into the answer of what has committed; the
    next ``offer_missed`` sweep makes the offer instead."""

    def offer() -> None:  # a named function: Django's robust on_commit logs its name
        offer_freed(room_id=room_id, start=start, end=end)

    transaction.on_commit(offer, robust=True)


def open_offers(*, start: datetime, end: datetime) -> QuerySet[WaitlistEntry]:
    """Offers still open that touch ``[start, end)``."""
    return WaitlistEntry.objects.filter(
        overlapping_q(start, end), status=Status.OFFERED, offer_expires_at__gt=timezone.now()
    )


@dataclass(frozen=True)
class Offers:
    """The open offers touching a period in one room, as a claim sees them."""

    held_until: datetime | None = None  # an offer to someone else holds the room until then
    offered_to_me: bool = False


def offers_on(room: Room, *, teacher: Teacher, start: datetime, end: datetime) -> Offers:
    """What open offers mean for ``teacher`` claiming ``room`` for ``[start, end)``. Asks
    the database only while the room may have an open offer (``offers_open_until``)."""
    if room.offers_open_until is None or room.offers_open_until <= timezone.now():
        return Offers()
    touching = list(
        open_offers(start=start, end=end).filter(room=room).values_list("teacher_id", "offer_expires_at")
    )
    others = [expires for holder, expires in touching if holder != teacher.pk]
    return Offers(min(others, default=None), any(holder == teacher.pk for holder, _ in touching))


def without_offers_to_others(
    rooms: QuerySet[Room], *, teacher: Teacher, start: datetime, end: datetime
) -> QuerySet[Room]:
    """Rooms without an open offer to another teacher touching ``[start, end)`` (one
    subquery, evaluated once, not once per room)."""
    held = open_offers(start=start, end=end).exclude(teacher=teacher).values("room_id")
    return rooms.exclude(pk__in=Subquery(held))


def mark_booked(*, teacher: Teacher, room: Room, start: datetime, end: datetime) -> None:
    """The teacher booked the room they were offered: the offer is taken."""
    offered = room.waitlist.filter(overlapping_q(start, end), teacher=teacher, status=Status.OFFERED)
    offered.update(status=Status.BOOKED)


def offer_freed(*, room_id: int, start: datetime, end: datetime) -> WaitlistEntry | None:
    """Offer a freed period to the first teacher in line for whom it is now free."""
    with transaction.atomic():
        # The room's row lock makes deciding an offer one-at-a-time across processes.
        room = Room.objects.select_for_update().filter(pk=room_id, is_active=True).first()
        if room is None:
            return None
        # A period under way is still worth offering: the rest of it, from now.
        waiting = room.waitlist.filter(
            overlapping_q(max(start, timezone.now()), end), status=Status.WAITING
        ).select_related("teacher")
        for entry in waiting.order_by("created_at", "pk"):
            if room.bookings.overlapping(from_now(entry.start, entry.end), entry.end).exists():
                continue
            attempt = locks.acquire(
                room_id=room.pk,
                start=entry.start,
                end=entry.end,
                teacher_id=entry.teacher_id,
                ttl=settings.WAITLIST_OFFER_SECONDS,
            )
            if not attempt.acquired:  # someone is booking exactly this right now
                continue
            return _do_offer(entry, room=room, expires_at=attempt.lock.expires_at)
    return None


def _do_offer(entry: WaitlistEntry, *, room: Room, expires_at: datetime) -> WaitlistEntry:
    """Mark the entry offered. The caller holds the room's row lock and the booking lock."""
    entry.room = room
    if room.offers_open_until is None or room.offers_open_until < expires_at:
        room.offers_open_until = expires_at
        room.save(update_fields=["offers_open_until"])
    entry.status = Status.OFFERED
    entry.offered_at = timezone.now()
    entry.offer_expires_at = expires_at
    entry.save(update_fields=["status", "offered_at", "offer_expires_at"])
    notifications.enqueue(teacher=entry.teacher, kind=Notification.Kind.WAITLIST_OFFER, entry=entry)
    events.publish_room_available(entry)
    metrics.WAITLIST_OFFERS.inc()
    logger.info("Waitlist: offered %s %s-%s to %s", room.name, entry.start, entry.end, entry.teacher.username)
    return entry


def expire_offers() -> int:
    """Close offers whose time is up (booked, or passed on to the next in line) and
    entries whose period has ended. Returns how many entries were closed."""
    now = timezone.now()
    closed = WaitlistEntry.objects.filter(status=Status.WAITING, end__lte=now).update(status=Status.EXPIRED)
    with transaction.atomic():
        due = list(
            WaitlistEntry.objects.select_for_update(skip_locked=True)
            .filter(status=Status.OFFERED, offer_expires_at__lte=now)
            .order_by("offer_expires_at")
        )
        for entry in due:
            taken = Booking.objects.overlapping(entry.start, entry.end).filter(
                room_id=entry.room_id, teacher_id=entry.teacher_id
            )
            entry.status = Status.BOOKED if taken.exists() else Status.EXPIRED
            entry.save(update_fields=["status"])
            if entry.status == Status.EXPIRED:
                events.publish_offer_ended(entry)
                offer_after_commit(room_id=entry.room_id, start=entry.start, end=entry.end)
    return closed + len(due)


def offer_missed() -> int:
    """Offer the periods whose waiting teachers got no offer although the room is free
    (an offer that failed after a cancellation committed). Returns how many offers."""
    now = timezone.now()
    free_waits = (
        WaitlistEntry.objects.filter(status=Status.WAITING, end__gt=now)
        .exclude(
            Exists(
                Booking.objects.holding().filter(
                    overlapping_q(Greatest(OuterRef("start"), Value(this_minute(now))), OuterRef("end")),
                    room=OuterRef("room"),
                )
            )
        )
        .exclude(
            Exists(
                WaitlistEntry.objects.filter(
                    overlapping_q(OuterRef("start"), OuterRef("end")),
                    room=OuterRef("room"),
                    status=Status.OFFERED,
                )
            )
        )
        .values_list("room_id", "start", "end")
        .distinct()
    )
    offered = 0
    for room_id, start, end in free_waits:
        offered += offer_freed(room_id=room_id, start=start, end=end) is not None
    if offered:
        logger.warning("Waitlist: made %d offers that were missed after a cancellation", offered)
    return offered
