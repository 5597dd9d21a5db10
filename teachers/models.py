from django.contrib.auth.models import AbstractUser
from django.db import models


class Teacher(AbstractUser):
    """A school teacher; staff teachers are the school's admins."""

    display_name = models.CharField(
        max_length=120, blank=True, help_text="Shown to colleagues, e.g. on a taken room."
    )

    class Meta:
        ordering = ["display_name", "username"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username
