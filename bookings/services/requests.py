"""Requests for rooms that need approval (``BookingRule.approvers``): a claim on such a
room by someone outside its approving group is a request (status ``requested``) that
holds its slot under the same guard and exclusion constraint as a booking (``claim``,
``series``). Here an approver decides it, through the guard, and the sweeper decides
those nobody decided by their ``decide_by``, as the room's rule says.

A series' request is one request: deciding any of its dates decides all its dates still
awaiting a decision. Two approvers at once, or an approver while the teacher withdraws:
the request's row lock orders them, the first decides and the second is told what
happened (``ALREADY_DECIDED``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from teachers.models import Teacher

from .. import events, notifications
from ..errors import ALREADY_DECIDED, BOOKING_NOT_FOUND, BookingError
from ..models import Booking, BookingRule, Notification
from ..rules import Approval, approval_of, approves, rooms_approved_by
from ..waitlist import offer_after_commit
from .guard import Locked, Rows, guarded_write

logger = logging.getLogger(__name__)

MAX_REASON = 200


@dataclass(frozen=True)
class Decision:
    """What was decided: the request's dates (one, or a series' dates awaiting a decision),
    approved or declined."""

    bookings: list[Booking]
    approved: bool

    @property
    def first(self) -> Booking:
        return self.bookings[0]


def booking_decide(*, booking_id: int, approver: Teacher, approve: bool, reason: str = "") -> Decision:
    """Approve or decline a request for a room ``approver`` decides for (else: not found).
    A decline needs a reason, which the teacher reads. A request decided already (by a
    colleague, by the rule) or withdrawn: ``ALREADY_DECIDED``, saying what happened."""
    reason = " ".join(reason.split())
    request = Booking.objects.filter(pk=booking_id, decide_by__isnull=False).only("room_id").first()
    if request is None or not approves(approver, request.room_id):  # never a request, or not theirs
        raise BookingError(BOOKING_NOT_FOUND, _("Request not found"))
    if not approve and not reason:
        raise BookingError.invalid("reason", _("Say why, for the teacher who asked."))
    if len(reason) > MAX_REASON:
        raise BookingError.invalid("reason", _("At most %(most)d characters, please.") % {"most": MAX_REASON})
    decided_at = timezone.now()

    def decide(locked: Locked) -> Decision:
        booking = _locked(Booking.objects.filter(pk=booking_id)).first()
        if booking is None or not booking.is_requested:
            raise already_decided(booking)
        dates = [booking]
        if booking.series_id:
            dates = list(_locked(Booking.objects.requested().filter(series_id=booking.series_id)))
        _decide(dates, approve=approve, by=approver, at=decided_at, reason=reason)
        return Decision(dates, approve)

    def find() -> Decision | None:
        dates = list(
            Booking.objects.filter(pk=booking_id, decided_by=approver, decided_at=decided_at).select_related(
                "room", "teacher"
            )
        )
        if dates and dates[0].series_id:
            dates = list(
                Booking.objects.filter(
                    series_id=dates[0].series_id, decided_by=approver, decided_at=decided_at
                ).select_related("room", "teacher")
            )
        return Decision(dates, approve) if dates else None

    return guarded_write(
        decide,
        rows=Rows(room_ids=frozenset({request.room_id})),
        find=find,
        on_found=lambda decision: _after_decision(decision.bookings),
    )


def _locked(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    return bookings.select_for_update(of=("self",)).select_related("room", "teacher").order_by("start")


def _decide(dates: list[Booking], *, approve: bool, by: Teacher | None, at, reason: str) -> None:
    """Write the decision on ``dates`` (their row locks held), then, after commit, announce
    it: the event for each date, one mail to the teacher, a declined slot offered to its
    waitlist."""
    for booking in dates:
        booking.status = Booking.Status.CONFIRMED if approve else Booking.Status.DECLINED
        booking.decided_at, booking.decided_by, booking.decision_reason = at, by, reason
        if not approve:
            booking.cancelled_at = at
        booking.save(update_fields=["status", "decided_at", "decided_by", "decision_reason", "cancelled_at"])
    kind = Notification.Kind.REQUEST_APPROVED if approve else Notification.Kind.REQUEST_DECLINED
    notifications.enqueue(teacher=dates[0].teacher, kind=kind, booking=dates[0], details=_more(len(dates)))
    _after_decision(dates)
    logger.info(
        "Request %s (%d dates) %s by %s",
        dates[0].pk,
        len(dates),
        "approved" if approve else "declined",
        by.username if by else "the rule",
    )


def _after_decision(dates: list[Booking]) -> None:
    for booking in dates:
        events.publish_booking_decided(booking)
        if not booking.is_confirmed:
            offer_after_commit(room_id=booking.room_id, start=booking.start, end=booking.end)


def already_decided(booking: Booking | None) -> BookingError:
    """What an approver is told of a request decided (or withdrawn) before them."""
    if booking is None or booking.status == Booking.Status.CANCELLED:
        return BookingError(ALREADY_DECIDED, _("The teacher withdrew this request."))
    name = booking.decided_by.name if booking.decided_by else None
    if booking.is_confirmed:
        message = (
            _("Already approved by %(name)s.") % {"name": name}
            if name
            else _("Already approved: nobody decided in time, and the room's rule approves.")
        )
    elif booking.status == Booking.Status.DECLINED:
        message = (
            _("Already declined by %(name)s: %(reason)s") % {"name": name, "reason": booking.decision_reason}
            if name
            else _("Already declined: nobody decided in time.")
        )
    else:
        message = _("This request is no longer open.")
    return BookingError(ALREADY_DECIDED, message, conflicting_booking=booking)


def decide_overdue() -> int:
    """The sweeper's part: requests nobody decided by their ``decide_by`` are decided as
    their room's rule says now (declined, or approved; a room that no longer needs approval
    approves). Each through the guard; a request decided meanwhile is left alone."""
    overdue = Booking.objects.requested().filter(decide_by__lte=timezone.now())
    decided = 0
    for booking_id, room_id in overdue.values_list("pk", "room_id")[:500]:
        approval = approval_of(room_id)
        approve = approval is None or approval.undecided == BookingRule.Undecided.APPROVED
        at = timezone.now()

        def decide(locked: Locked, booking_id: int = booking_id, approve: bool = approve, at=at) -> bool:
            booking = (
                overdue.filter(pk=booking_id)
                .select_for_update(of=("self",), skip_locked=True)
                .select_related("room", "teacher")
                .first()
            )
            if booking is None:  # decided or withdrawn meanwhile
                return False
            _decide([booking], approve=approve, by=None, at=at, reason="")
            return True

        done = Booking.objects.filter(pk=booking_id, decided_at=at, decided_by__isnull=True)
        decided += (
            guarded_write(
                decide,
                find=lambda done=done: done.exists() or None,
                on_found=lambda _found, done=done: _after_decision(
                    list(done.select_related("room", "teacher"))
                ),
            )
            is True
        )
    return decided


def queue_request_digests(*, now=None) -> int:
    """The sweeper's part, once a day from ``REQUEST_DIGEST_HOUR`` (the school's time): one
    mail to each approver who chose the daily digest (``Teacher.request_mail``) and has
    requests open on a room they decide on, naming those rooms (the mail lists what is
    still open when it is sent). None twice in a day, none with nothing to decide."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.REQUEST_DIGEST_HOUR:
        return 0
    open_rooms = set(
        Booking.objects.requested().filter(end__gt=now).values_list("room_id", flat=True).distinct()
    )
    if not open_rooms:
        return 0
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    sent_today = Notification.objects.filter(
        kind=Notification.Kind.REQUESTS_DIGEST, created_at__gte=today
    ).values("teacher_id")
    daily = (
        Teacher.objects.filter(request_mail="daily", is_active=True)
        .exclude(email="")
        .exclude(pk__in=sent_today)
    )
    queued = 0
    for approver in daily:
        if rooms := sorted(open_rooms & set(rooms_approved_by(approver))):
            notifications.enqueue(
                teacher=approver, kind=Notification.Kind.REQUESTS_DIGEST, details={"rooms": rooms}
            )
            queued += 1
    return queued


def _more(dates: int) -> dict:
    """A mail about a series' first date says how many more it has."""
    return {"more": dates - 1} if dates > 1 else {}


def announce_requested(first: Booking, approval: Approval, *, dates: int = 1) -> None:
    """A new request (for a series: its first date): a mail to each approver who asked for
    one a request (``Teacher.request_mail``; the daily ones get the digest)."""
    approvers = Teacher.objects.filter(groups=approval.group_id, is_active=True, request_mail="each").exclude(
        email=""
    )
    for approver in approvers:
        notifications.enqueue(
            teacher=approver, kind=Notification.Kind.APPROVAL_NEEDED, booking=first, details=_more(dates)
        )
