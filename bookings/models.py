from urllib.parse import urlencode

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rooms.models import WEEKDAYS
from rooms.models import Period as SchoolPeriod


class Period(models.Func):
    """``tstzrange(start, end, '[)')``: the very expression the exclusion constraint's GiST
    index is built on (migration 0003), so PostgreSQL answers overlap questions from it."""

    function = "tstzrange"
    template = "%(function)s(%(expressions)s, '[)')"
    output_field = DateTimeRangeField()


def overlaps(start, end, other_start, other_end) -> bool:
    """Whether two half-open periods share an instant: ``[9, 10)`` and ``[10, 11)`` do not.
    The one overlap condition; ``overlapping_q`` is the same in a query."""
    return start < other_end and end > other_start


def overlapping_q(start, end, *, prefix: str = "") -> models.Q:
    """Rows whose ``start``/``end`` (behind ``prefix``, e.g. ``"bookings__"``) overlap
    ``[start, end)``."""
    return models.Q(**{f"{prefix}start__lt": end, f"{prefix}end__gt": start})


class BookingQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=Booking.Status.CONFIRMED)

    def holding(self):
        """The bookings that hold their slot: confirmed ones, and requests awaiting a
        decision (the exclusion constraint covers both)."""
        return self.filter(status__in=Booking.HOLDING)

    def requested(self):
        return self.filter(status=Booking.Status.REQUESTED)

    def open_requests(self, room_ids):
        """The requests for ``room_ids`` still open (not decided, not over), oldest first."""
        return (
            self.requested()
            .filter(room_id__in=room_ids, end__gt=timezone.now())
            .order_by("created_at", "start", "pk")
        )

    def ad_hoc(self):
        """The bookings teachers made, not the dates of the timetable's lessons."""
        return self.filter(lesson__isnull=True)

    def overlapping(self, start, end):
        """Bookings holding their slot (confirmed, or requested) that share any instant
        with the half-open ``[start, end)``."""
        if connections[self.db].vendor == "postgresql":
            # A B-tree cannot narrow "start < end AND end > start" well on a busy room;
            # the GiST index on the range finds the few overlapping rows directly.
            return (
                self.holding()
                .alias(period=Period("start", "end"))
                .filter(period__overlap=DateTimeTZRange(start, end, "[)"))
            )
        return self.holding().filter(overlapping_q(start, end))


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        RELEASED = "released", _("Released (not checked in)")
        FREED = "freed", _("Room given back (class away)")
        # A room that needs approval (``BookingRule.approvers``): the request holds the
        # slot until an approver (or, at ``decide_by``, the rule) decides.
        REQUESTED = "requested", _("Requested (awaiting approval)")
        DECLINED = "declined", _("Declined")

    HOLDING = (Status.CONFIRMED, Status.REQUESTED)

    room = models.ForeignKey("rooms.Room", on_delete=models.PROTECT, related_name="bookings")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.PROTECT, related_name="bookings"
    )
    # The period is half-open, [start, end): a booking ending at 11:00 and one starting
    # at 11:00 do not overlap.
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    attendees = models.PositiveIntegerField(_("attendees"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    series = models.ForeignKey(
        "bookings.Series",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("series"),
    )
    # Check-in (when the room's rules ask for it): a booking not checked in by
    # ``check_in_by`` is released by the sweeper, and its period offered to the waitlist.
    check_in_by = models.DateTimeField(_("check in by"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # Who made the booking when it was not the teacher (staff booking for a colleague).
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked by"),
    )

    # A date of a lesson of the school's timetable (``Lesson``): it holds the room under the
    # same exclusion constraint as any booking. ``freed_reason``: why its teacher gave the
    # room back for this date ("7b on a trip"), status FREED.
    lesson = models.ForeignKey(
        "bookings.Lesson",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dates",
        verbose_name=_("lesson"),
    )
    freed_reason = models.CharField(
        _("why the room was given back"), max_length=120, blank=True, default="", db_default=""
    )
    # A date of a series changed or cancelled by itself: a change of the whole series (or
    # of "this and the following") leaves it as it is, unless the teacher resets it.
    detached = models.BooleanField(_("changed by itself"), default=False, db_default=False)

    # A request (status REQUESTED): decided by an approver, or, when nobody has by
    # ``decide_by``, by the room's rule. ``decided_by`` empty on a decided request: the rule
    # decided. ``decision_reason``: why it was declined.
    decide_by = models.DateTimeField(_("decide by"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.CharField(_("reason"), max_length=200, blank=True, default="", db_default="")

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start", "room__name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="booking_end_after_start"
            ),
            # On PostgreSQL, migration 0003 adds the exclusion constraint
            # `booking_no_overlap` that makes two overlapping bookings impossible (confirmed
            # ones, and since 0015 requests awaiting a decision: ``HOLDING``).
        ]
        indexes = [
            models.Index(fields=["room", "start", "end", "status"], name="booking_overlap_idx"),
            models.Index(fields=["teacher", "start"], name="booking_teacher_start_idx"),
            models.Index(
                fields=["check_in_by"],
                condition=models.Q(status="confirmed", checked_in_at__isnull=True, check_in_by__isnull=False),
                name="booking_check_in_due_idx",
            ),
            models.Index(
                fields=["decide_by"], condition=models.Q(status="requested"), name="booking_request_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} ({self.get_status_display()})"

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    @property
    def is_requested(self) -> bool:
        return self.status == self.Status.REQUESTED

    @property
    def holds_slot(self) -> bool:
        return self.status in self.HOLDING

    @property
    def request_key(self) -> tuple[str, int]:
        """What makes dates one request: a series' dates are one, any other booking its own."""
        return ("series", self.series_id) if self.series_id else ("booking", self.pk)

    def overlaps(self, start, end) -> bool:
        return overlaps(self.start, self.end, start, end)


class Lesson(models.Model):
    """A lesson of the school's timetable: a class (or group) with its teachers in a room,
    on a weekday, for a run of periods of the day plan (or between two times), every week
    or in week A or B, from its first day to its last. Each date it takes place on (in
    term, not closed) holds the room as a booking (``dates``), so lessons and bookings meet
    the same exclusion constraint. Made by the timetable import (``bookings.lessons``)."""

    Week = SchoolPeriod.Week  # every week, or week A or B of the school's two-week rotation

    # What makes a lesson the same lesson in the next import of the timetable: its dates,
    # their releases and check-ins are kept when nothing of it changed.
    key = models.CharField(_("key"), max_length=64, db_index=True)
    room = models.ForeignKey(
        "rooms.Room", on_delete=models.PROTECT, related_name="lessons", verbose_name=_("room")
    )
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="lessons", verbose_name=_("teachers")
    )
    group = models.CharField(_("class or group"), max_length=60)
    subject = models.CharField(_("subject"), max_length=60, blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)  # 0 Monday … 6 Sunday
    first_period = models.PositiveSmallIntegerField(_("first period"), null=True, blank=True)  # 1: the first
    last_period = models.PositiveSmallIntegerField(_("last period"), null=True, blank=True)
    starts = models.TimeField(_("starts"), null=True, blank=True)  # when given as times, not periods
    ends = models.TimeField(_("ends"), null=True, blank=True)
    week = models.CharField(_("week"), max_length=1, choices=Week.choices, blank=True, default=Week.EVERY)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["weekday", "first_period", "starts", "room__name"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        """ "7b Maths": what a timetable cell and the search show."""
        return f"{self.group} {self.subject}".strip()


class Series(models.Model):
    """Bookings that repeat: every week on one weekday, or every school day, until a date."""

    class Rule(models.TextChoices):
        WEEKLY = "weekly", _("Every week on this weekday")
        SCHOOL_DAYS = "school_days", _("Every school day (Monday to Friday)")

    room = models.ForeignKey("rooms.Room", on_delete=models.PROTECT, related_name="series")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.PROTECT, related_name="series"
    )
    rule = models.CharField(_("rule"), max_length=12, choices=Rule.choices)
    until = models.DateField(_("until"))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return _("%(room)s %(rule)s until %(until)s") % {
            "room": self.room,
            "rule": self.get_rule_display().lower(),
            "until": self.until,
        }


class Conflict(models.Model):
    """A hold or claim that failed because someone else had the room: demand we missed."""

    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="conflicts")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teacher"),
        on_delete=models.CASCADE,
        related_name="conflicts",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    code = models.CharField(_("code"), max_length=32)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("conflict")
        verbose_name_plural = _("conflicts")
        indexes = [models.Index(fields=["room", "created_at"], name="conflict_room_created_idx")]

    def __str__(self) -> str:
        return f"{self.code} on {self.room} by {self.teacher} at {self.created_at:%Y-%m-%d %H:%M}"


class WaitlistEntry(models.Model):
    """A teacher waiting for a taken room and period, first come first offered."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered")
        BOOKED = "booked", _("Booked")
        EXPIRED = "expired", _("Expired")
        LEFT = "left", _("Left")

    ACTIVE = (Status.WAITING, Status.OFFERED)

    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="waitlist")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.CASCADE, related_name="waitlist"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    # The group the teacher waits with: an offer's "Claim it" asks for as many seats.
    attendees = models.PositiveIntegerField(_("attendees"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["teacher", "room", "start", "end"],
                condition=models.Q(status__in=["waiting", "offered"]),  # the ACTIVE statuses
                name="waitlist_one_active_entry",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="waitlist_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["room", "status", "start"], name="waitlist_room_status_idx")]

    def __str__(self) -> str:
        return _("%(teacher)s waits for %(room)s %(start)s (%(status)s)") % {
            "teacher": self.teacher,
            "room": self.room,
            "start": f"{self.start:%Y-%m-%d %H:%M}",
            "status": self.get_status_display(),
        }

    @property
    def claim_path(self) -> str:
        return claim_path(self.room_id, self.start, self.end, seats=self.attendees)


def claim_path(room_id: int, start, end, *, seats: int | None = None) -> str:
    """Where a teacher claims a room held for them (a waitlist offer, a lock that came to
    them from its line): the search for the period (for ``seats``, if known), which shows
    the room first and opens its dialog."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    period = {"date": f"{start:%Y-%m-%d}", "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
    if seats:
        period["capacity"] = seats
    query = urlencode({**period, "room": room_id}, safe=":")
    return f"{reverse('rooms:dashboard')}?{query}"


class Notification(models.Model):
    """The mail outbox: written in the transaction that made the news, sent later by
    ``send_notifications``, so a slow mail server never holds a request up."""

    class Kind(models.TextChoices):
        BOOKING_CONFIRMED = "booking_confirmed", _("Booking confirmed")
        CANCELLED_BY_ADMIN = "cancelled_by_admin", _("Booking cancelled by an admin")
        WAITLIST_OFFER = "waitlist_offer", _("Waitlist offer")
        REMINDER = "reminder", _("Reminder before a booking")
        BOOKED_FOR_YOU = "booked_for_you", _("Booked for you by a colleague")
        MOVED = "moved", _("Booking moved by a colleague")
        RELEASED = "released", _("Booking released (not checked in)")
        PASSWORD_RESET = "password_reset", _("Password reset")
        APPROVAL_NEEDED = "approval_needed", _("A request to decide")
        REQUESTS_DIGEST = "requests_digest", _("Requests to decide (daily)")
        REQUEST_APPROVED = "request_approved", _("Request approved")
        REQUEST_DECLINED = "request_declined", _("Request declined")

    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("teacher"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What the mail is about; it is rendered when sent, so the hot path only inserts a row.
    booking = models.ForeignKey(
        Booking, verbose_name=_("booking"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    entry = models.ForeignKey(
        WaitlistEntry,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entry"),
    )
    # What a mail about no booking needs (a password reset's link parts), cleared once sent.
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # When a sender may next try it (later after each failure), and until when a sender
    # that took it has it to itself (a sender that crashed gives it up by this time).
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    # Not sent, and never will be: what it announced no longer holds, or it kept failing.
    dropped_at = models.DateTimeField(_("dropped at"), null=True, blank=True)
    dropped_reason = models.CharField(_("dropped reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"], name="notification_due_idx")]

    def __str__(self) -> str:
        return _("%(kind)s for %(teacher)s") % {"kind": self.get_kind_display(), "teacher": self.teacher}


class BookingRule(models.Model):
    """Limits on booking: the school's (no room, no group), a room's (overriding the
    school's) and a group's (overriding both for its members; a teacher in several groups
    gets the most generous). An empty limit is inherited; with no rules at all, only the
    fixed limits in ``bookings.rules`` apply (12 hours long, a year ahead)."""

    room = models.OneToOneField(
        "rooms.Room",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="booking_rule",
        verbose_name=_("room"),
    )
    group = models.OneToOneField(
        "auth.Group",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="booking_rule",
        verbose_name=_("group"),
    )
    max_length_minutes = models.PositiveIntegerField(_("longest booking (minutes)"), null=True, blank=True)
    max_days_ahead = models.PositiveIntegerField(_("how far ahead (days)"), null=True, blank=True)
    min_notice_minutes = models.PositiveIntegerField(_("minimum notice (minutes)"), null=True, blank=True)
    max_upcoming_bookings = models.PositiveIntegerField(
        _("upcoming bookings per teacher"), null=True, blank=True
    )
    max_hours_per_week = models.PositiveIntegerField(
        _("booked hours per teacher per week"), null=True, blank=True
    )
    max_series_dates = models.PositiveIntegerField(_("dates in one series"), null=True, blank=True)
    check_in_minutes = models.PositiveIntegerField(
        _("check-in within (minutes)"),
        null=True,
        blank=True,
        help_text=_("School or room only: a booking not checked in this long after its start is released."),
    )
    only_groups = models.ManyToManyField(
        "auth.Group",
        blank=True,
        related_name="bookable_rooms",
        help_text=_("Room only: only members of these groups may book the room (empty: everyone)."),
        verbose_name=_("groups"),
    )
    # Room only: a claim is a request that holds the slot until a member of this group
    # decides (its members book directly). Nobody deciding by ``decide_hours`` before the
    # start: the request is ``undecided``.
    approvers = models.ForeignKey(
        "auth.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="approves_rules",
        verbose_name=_("needs approval by"),
        help_text=_(
            "Room only: bookings are requests until a member of this group approves them "
            "(members book directly)."
        ),
    )
    decide_hours = models.PositiveIntegerField(
        _("decide by (hours before the start)"),
        null=True,
        blank=True,
        help_text=_("Empty: by the start. Requests must be made before then."),
    )

    class Undecided(models.TextChoices):
        DECLINED = "declined", _("Declined")
        APPROVED = "approved", _("Approved")

    undecided = models.CharField(
        _("not decided in time"),
        max_length=8,
        choices=Undecided.choices,
        default=Undecided.DECLINED,
        db_default=Undecided.DECLINED,
        help_text=_("What becomes of a request nobody decided by then."),
    )

    class Meta:
        verbose_name = _("booking rule")
        verbose_name_plural = _("booking rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(room__isnull=True) | models.Q(group__isnull=True), name="rule_one_scope"
            ),
        ]

    def __str__(self) -> str:
        if self.room_id:
            return _("Rules for %(room)s") % {"room": self.room}
        if self.group_id:
            return _("Rules for the group %(group)s") % {"group": self.group}
        return str(_("The school's rules"))

    def clean(self) -> None:
        if self.room_id and self.group_id:
            raise ValidationError(_("A rule is for the school, one room or one group: choose one."))
        school_wide = BookingRule.objects.filter(room__isnull=True, group__isnull=True).exclude(pk=self.pk)
        if self.approvers_id and not self.room_id:
            raise ValidationError({"approvers": _("Approval is set per room: choose the room.")})
        if not self.room_id and not self.group_id and school_wide.exists():
            raise ValidationError(
                _("The school's rules exist already: change those, or choose a room or group.")
            )
