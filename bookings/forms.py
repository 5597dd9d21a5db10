"""Input for hold and claim. Every rule names the field it is about."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

MAX_LENGTH = timedelta(hours=12)
MAX_AHEAD = timedelta(days=366)
MAX_ATTENDEES = 10_000


def period_errors(start: datetime, end: datetime) -> dict[str, str]:
    """The rules every booking period obeys, keyed by the field to blame."""
    now = timezone.now()
    if end <= start:
        return {"end": "The end must be after the start."}
    if start < now.replace(second=0, microsecond=0):
        return {"start": "The start is in the past."}
    if start > now + MAX_AHEAD:
        return {"start": "Bookings open at most a year ahead."}
    if end - start > MAX_LENGTH:
        return {"end": "A booking may last at most 12 hours."}
    return {}


class PeriodForm(forms.Form):
    start = forms.DateTimeField(help_text="Local time, e.g. 2026-12-01T10:00")
    end = forms.DateTimeField(help_text="Local time, e.g. 2026-12-01T11:00")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            for field, message in period_errors(start, end).items():
                self.add_error(field, message)
        return cleaned


class HoldForm(PeriodForm):
    pass


class ClaimForm(PeriodForm):
    attendees = forms.IntegerField(required=False, min_value=1, max_value=MAX_ATTENDEES)
    purpose = forms.CharField(required=False, max_length=200, strip=True)


def first_errors(form: forms.Form) -> dict[str, list[str]]:
    """Form errors as plain lists per field (``__all__`` for form-wide ones)."""
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}
