import secrets

from django.db import models
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from config.words import noun_in_sentence


class Building(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Feature(models.Model):
    """Something a room offers that a lesson may need (projector, lab, ...)."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("feature")
        verbose_name_plural = _("features")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def new_display_key() -> str:
    """A room's display key: the secret in its door display's address (32 bytes)."""
    return secrets.token_urlsafe(32)


class Room(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="rooms"
    )
    capacity = models.PositiveIntegerField(_("capacity"), help_text=_("Seats."))
    features = models.ManyToManyField(Feature, verbose_name=_("features"), blank=True, related_name="rooms")
    # How many features the room has, kept by ``rooms.signals`` as they are added and
    # removed: the search ranks rooms with fewer features nobody asked for first, and reads
    # it here rather than counting each fitting room's features again.
    feature_count = models.PositiveSmallIntegerField(
        _("number of features"), default=0, db_default=0, editable=False
    )
    # The room's name in the school's timetable program ("PH1"), which the timetable import
    # matches besides the name.
    code = models.CharField(_("timetable code"), max_length=20, blank=True, db_default="", db_index=True)
    floor = models.CharField(
        _("floor"), max_length=40, blank=True, db_default="", help_text=_("e.g. “Ground floor”, “2nd floor”.")
    )
    notes = models.TextField(
        _("notes"), blank=True, db_default="", help_text=_("Shown on the room's page, e.g. where the key is.")
    )
    accessibility_notes = models.TextField(
        _("accessibility notes"),
        blank=True,
        db_default="",
        help_text=_("Step-free access, hearing loop, lift: what a teacher or pupil may need to know."),
    )
    # Until when a waitlist offer may hold part of this room's time (set when an offer is
    # made, under the room's row lock): a claim looks the offers up only before this, so
    # the usual claim pays nothing for them.
    offers_open_until = models.DateTimeField(_("offers open until"), null=True, blank=True, editable=False)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive rooms are closed: not shown and not bookable.")
    )
    # The secret in the address of the room's door display (``/rooms/<id>/display/?key=``):
    # the tablet by the door shows the room's day without signing in. Staff make a new one
    # (and so retire the old address) on the room's door sign page.
    display_key = models.CharField(_("display key"), max_length=64, default=new_display_key, editable=False)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="room_capacity_positive"),
        ]
        indexes = [models.Index(fields=["is_active", "capacity"], name="room_active_capacity_idx")]

    def __str__(self) -> str:
        return self.name


# The school's calendar: when rooms can be used at all. Admins set it in Django admin;
# ``rooms.schoolcalendar`` reads it. With none of it set, every day and hour is open.

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def _days(first_day, last_day) -> str:
    first, last = (formats.date_format(day, "SHORT_DATE_FORMAT_YEAR") for day in (first_day, last_day))
    return f"{first} \u2013 {last}"


class Term(models.Model):
    """A term, first to last day. Once any term is set, days outside every term are closed."""

    name = models.CharField(_("name"), max_length=100)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="term_days_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({_days(self.first_day, self.last_day)})"


class Closure(models.Model):
    """Days when the whole school, one building or one room cannot be booked."""

    class Reason(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        EXAMS = "exams", _("Exams")
        MAINTENANCE = "maintenance", _("Maintenance")
        EVENT = "event", _("School event")
        OTHER = "other", _("Other")

    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices, default=Reason.HOLIDAY)
    description = models.CharField(
        _("description"),
        max_length=200,
        blank=True,
        help_text=_("Shown to teachers, e.g. “Christmas holidays”."),
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        help_text=_("Only this building (leave building and room empty for the whole school)."),
        verbose_name=_("building"),
    )
    room = models.ForeignKey(
        Room,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        help_text=_("Only this room."),
        verbose_name=_("room"),
    )

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="closure_days_in_order"
            ),
            models.CheckConstraint(
                condition=models.Q(building__isnull=True) | models.Q(room__isnull=True),
                name="closure_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({_days(self.first_day, self.last_day)}, {self.scope})"

    @property
    def label(self) -> str:
        """In words, for teachers: “Christmas holidays (holiday)”."""
        reason = noun_in_sentence(self.get_reason_display())
        return f"{self.description} ({reason})" if self.description else self.get_reason_display()

    @property
    def scope(self) -> str:
        return (
            self.room.name
            if self.room_id
            else self.building.name
            if self.building_id
            else str(_("whole school"))
        )


class Period(models.Model):
    """A lesson period of the day plan, e.g. “Period 3”, 10:40-11:30, in local wall-clock
    time. Periods with a weekday are that weekday's own plan (it replaces the plan for
    every day); a week letter puts the period in week A or B of a two-week rotation,
    counted from the first week of the term."""

    class Week(models.TextChoices):
        EVERY = "", _("Every week")
        A = "A", _("Week A")
        B = "B", _("Week B")

    name = models.CharField(_("name"), max_length=40)
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=WEEKDAYS,
        null=True,
        blank=True,
        help_text=_("Only on this weekday; empty: every day without a plan of its own."),
    )
    week = models.CharField(_("week"), max_length=1, choices=Week.choices, blank=True, default=Week.EVERY)

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["weekday", "week", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.starts:%H:%M}\u2013{self.ends:%H:%M}"


class BookableHours(models.Model):
    """When a building's rooms (or one room, overriding its building) can be booked on a
    weekday. A building or room with hours set is closed on weekdays it has none for."""

    building = models.ForeignKey(
        Building,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="hours",
        verbose_name=_("building"),
    )
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.CASCADE, null=True, blank=True, related_name="hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("bookable hours")
        verbose_name_plural = _("bookable hours")
        ordering = ["building", "room", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="hours_close_after_open"
            ),
            models.CheckConstraint(
                condition=(models.Q(building__isnull=True) & models.Q(room__isnull=False))
                | (models.Q(building__isnull=False) & models.Q(room__isnull=True)),
                name="hours_building_or_room",
            ),
        ]

    def __str__(self) -> str:
        where = self.room or self.building
        return f"{where}: {self.get_weekday_display()} {self.opens:%H:%M}\u2013{self.closes:%H:%M}"
