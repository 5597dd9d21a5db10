from django.db import models


class Building(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Feature(models.Model):
    """Something a room offers that a lesson may need (projector, lab, ...)."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    name = models.CharField(max_length=100, unique=True)
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="rooms")
    capacity = models.PositiveIntegerField(help_text="Seats.")
    features = models.ManyToManyField(Feature, blank=True, related_name="rooms")
    floor = models.CharField(
        max_length=40, blank=True, db_default="", help_text="e.g. “Ground floor”, “2nd floor”."
    )
    notes = models.TextField(
        blank=True, db_default="", help_text="Shown on the room's page, e.g. where the key is."
    )
    accessibility_notes = models.TextField(
        blank=True,
        db_default="",
        help_text="Step-free access, hearing loop, lift: what a teacher or pupil may need to know.",
    )
    # Until when a waitlist offer may hold part of this room's time (set when an offer is
    # made, under the room's row lock): a claim looks the offers up only before this, so
    # the usual claim pays nothing for them.
    offers_open_until = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(
        default=True, help_text="Inactive rooms are closed: not shown and not bookable."
    )

    class Meta:
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
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class Term(models.Model):
    """A term, first to last day. Once any term is set, days outside every term are closed."""

    name = models.CharField(max_length=100)
    first_day = models.DateField()
    last_day = models.DateField()

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="term_days_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.first_day:%d %b %Y} \u2013 {self.last_day:%d %b %Y})"


class Closure(models.Model):
    """Days when the whole school, one building or one room cannot be booked."""

    class Reason(models.TextChoices):
        HOLIDAY = "holiday", "Holiday"
        EXAMS = "exams", "Exams"
        MAINTENANCE = "maintenance", "Maintenance"
        EVENT = "event", "School event"
        OTHER = "other", "Other"

    first_day = models.DateField()
    last_day = models.DateField()
    reason = models.CharField(max_length=12, choices=Reason.choices, default=Reason.HOLIDAY)
    description = models.CharField(
        max_length=200, blank=True, help_text="Shown to teachers, e.g. “Christmas holidays”."
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        help_text="Only this building (leave building and room empty for the whole school).",
    )
    room = models.ForeignKey(
        Room,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        help_text="Only this room.",
    )

    class Meta:
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
        return f"{self.label} ({self.first_day:%d %b %Y} \u2013 {self.last_day:%d %b %Y}, {self.scope})"

    @property
    def label(self) -> str:
        """In words, for teachers: “Christmas holidays (holiday)”."""
        reason = self.get_reason_display().lower()
        return f"{self.description} ({reason})" if self.description else reason.capitalize()

    @property
    def scope(self) -> str:
        return self.room.name if self.room_id else self.building.name if self.building_id else "whole school"


class Period(models.Model):
    """A lesson period of the day plan, e.g. “Period 3”, 10:40-11:30, in local wall-clock
    time. Periods with a weekday are that weekday's own plan (it replaces the plan for
    every day); a week letter puts the period in week A or B of a two-week rotation,
    counted from the first week of the term."""

    class Week(models.TextChoices):
        EVERY = "", "Every week"
        A = "A", "Week A"
        B = "B", "Week B"

    name = models.CharField(max_length=40)
    starts = models.TimeField()
    ends = models.TimeField()
    weekday = models.PositiveSmallIntegerField(
        choices=WEEKDAYS,
        null=True,
        blank=True,
        help_text="Only on this weekday; empty: every day without a plan of its own.",
    )
    week = models.CharField(max_length=1, choices=Week.choices, blank=True, default=Week.EVERY)

    class Meta:
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
        Building, on_delete=models.CASCADE, null=True, blank=True, related_name="hours"
    )
    room = models.ForeignKey(Room, on_delete=models.CASCADE, null=True, blank=True, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        verbose_name_plural = "bookable hours"
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
