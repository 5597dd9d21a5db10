"""The dashboard's search form: a period on one day, seats and features."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from bookings.rules import MAX_ATTENDEES, period_errors

from .models import Feature


def next_free_hour() -> tuple[datetime, datetime]:
    """The next whole hour in the school's time zone, and the hour after it."""
    now = timezone.localtime()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return start, start + timedelta(hours=1)


class SearchForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    capacity = forms.IntegerField(
        label="Seats",
        required=False,
        min_value=1,
        max_value=MAX_ATTENDEES,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    feature = forms.ModelMultipleChoiceField(
        label="Features",
        queryset=Feature.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Unknown feature: %(value)s."},
    )

    room = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    @classmethod
    def for_query(cls, query) -> SearchForm:
        """Bound to the query string, or to sensible defaults when it is empty."""
        if not any(name in query for name in ("date", "start", "end", "capacity", "feature")):
            start, end = next_free_hour()
            query = {
                "date": start.date().isoformat(),
                "start": start.strftime("%H:%M"),
                "end": end.strftime("%H:%M") if end.date() == start.date() else "23:59",
                "capacity": "1",
            }
        return cls(query)

    def clean_capacity(self) -> int:
        return self.cleaned_data["capacity"] or 1  # a link may leave seats out

    def clean(self):
        cleaned = super().clean()
        if {"date", "start", "end"} <= cleaned.keys():
            tz = timezone.get_current_timezone()
            cleaned["period_start"] = datetime.combine(cleaned["date"], cleaned["start"], tz)
            cleaned["period_end"] = datetime.combine(cleaned["date"], cleaned["end"], tz)
            for field, message in period_errors(cleaned["period_start"], cleaned["period_end"]).items():
                self.add_error(field, message)
        return cleaned

    def summary(self) -> dict:
        """What every result card repeats, worked out once per search."""
        start = timezone.localtime(self.cleaned_data["period_start"])
        end = timezone.localtime(self.cleaned_data["period_end"])
        features = self.cleaned_data["feature"]
        return {
            "seats": self.cleaned_data["capacity"],
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": end.strftime("%Y-%m-%dT%H:%M"),
            "label": f"{start:%a} {start.day} {start:%b}, {start:%H:%M}\u2013{end:%H:%M}",
            "wanted": {feature.pk for feature in features},
            "features": ", ".join(feature.name.lower() for feature in features),
        }
