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
