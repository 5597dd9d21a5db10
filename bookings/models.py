from django.conf import settings
from django.db import models


class BookingQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=Booking.Status.CONFIRMED)

    def overlapping(self, start, end):
        """Confirmed bookings that share any instant with the half-open ``[start, end)``."""
        return self.confirmed().filter(start__lt=end, end__gt=start)


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    room = models.ForeignKey("rooms.Room", on_delete=models.PROTECT, related_name="bookings")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    # The period is half-open, [start, end): a booking ending at 11:00 and one starting
    # at 11:00 do not overlap.
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    attendees = models.PositiveIntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["start", "room__name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="booking_end_after_start"
            ),
            # On PostgreSQL, migration 0002 adds the exclusion constraint
            # `booking_no_overlap` that makes two confirmed overlapping bookings impossible.
        ]
        indexes = [
            models.Index(fields=["room", "start", "end", "status"], name="booking_overlap_idx"),
            models.Index(fields=["teacher", "start"], name="booking_teacher_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.room} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} ({self.status})"

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED
