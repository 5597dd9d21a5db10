from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Teacher(AbstractUser):
    """A school teacher; staff teachers are the school's admins."""

    display_name = models.CharField(
        _("display name"),
        max_length=120,
        blank=True,
        help_text=_("Shown to colleagues, e.g. on a taken room."),
    )
    # The teacher's code in the school's timetable program (Untis, FET: "HOO"), which the
    # timetable import matches on (else the username).
    code = models.CharField(_("timetable code"), max_length=20, blank=True, db_index=True)
    # Pages and emails in this language; empty: as the browser asks (emails: LANGUAGE_CODE).
    language = models.CharField(
        _("Language"),
        max_length=10,
        blank=True,
        choices=[("", _("As my browser asks")), *settings.LANGUAGES],
    )
    notify_booking_confirmed = models.BooleanField(_("Email me when I book a room"), default=True)
    notify_cancelled_by_admin = models.BooleanField(
        _("Email me when an admin cancels my booking"), default=True
    )
    notify_waitlist_offer = models.BooleanField(_("Email me when a room I wait for is free"), default=True)
    notify_booked_for_me = models.BooleanField(
        _("Email me when a colleague books or moves a room for me"), default=True
    )
    notify_released = models.BooleanField(
        _("Email me when a booking I did not check in to is released"), default=True
    )
    reminder_minutes = models.PositiveSmallIntegerField(
        _("Remind me before a booking starts"),
        null=True,
        blank=True,
        choices=[
            (None, _("No reminders")),
            (10, _("10 minutes before")),
            (15, _("15 minutes before")),
            (30, _("30 minutes before")),
            (60, _("1 hour before")),
            (1440, _("1 day before")),
        ],
    )
    # For members of a group that approves a room's bookings: how they hear of requests.
    request_mail = models.CharField(
        _("Requests I decide on"),
        max_length=5,
        choices=[
            ("each", _("An email for each new request")),
            ("daily", _("One email a day with the open requests")),
            ("none", _("No email")),
        ],
        default="each",
        db_default="each",
    )
    # The secret in the private calendar feed's URL; empty when the teacher has none.
    calendar_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["display_name", "username"]
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")

    def __str__(self) -> str:
        return self.name

    @property
    def mail_language(self) -> str:
        """The language of this teacher's emails: their choice, else the school's."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def name(self) -> str:
        return self.name_of(self.display_name, self.first_name, self.last_name, self.username)

    @staticmethod
    def name_of(display_name: str, first_name: str, last_name: str, username: str) -> str:
        """The name colleagues see, from the fields (for reads of plain values)."""
        return display_name or f"{first_name} {last_name}".strip() or username


class ThrottleEvent(models.Model):
    """One try counted by ``teachers.throttle``: a failed login from an address, a password
    reset asked for an account or from an address."""

    kind = models.CharField(max_length=20)
    key = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "created_at"], name="throttle_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} at {self.created_at:%Y-%m-%d %H:%M}"


class AccessToken(models.Model):
    """A personal access token for the API (``/api/v1/``): a teacher's own key for a
    school's other systems, named, scoped and revocable (``teachers.tokens``).

    Only the token's prefix (to find it) and the SHA-256 of the whole token are stored:
    the token itself is shown once, when it is made. Its secret part is 256 random bits,
    which no one can guess, so a fast hash is enough (a slow one, as for passwords, would
    cost every API request a tenth of a second)."""

    class Scope(models.TextChoices):
        READ = "read", _("Read: rooms, free rooms, the timetable, my bookings, waitlist and lessons")
        BOOK = (
            "book",
            _("Book: read, and book, hold, move and cancel, wait for rooms, give lessons' rooms back"),
        )

    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="access_tokens", verbose_name=_("teacher")
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.teacher})"
