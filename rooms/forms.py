"""The dashboard's search form: a period on one day, seats and features."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bookings.rules import MAX_ATTENDEES, from_now, period_errors
from config.widgets import SchoolDateField

from .models import Building, Feature
from .schoolcalendar import PeriodError, PeriodTime, calendar


def next_free_hour() -> tuple[datetime, datetime]:
    """The next whole hour in the school's time zone, and the hour after it."""
    now = timezone.localtime()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return start, start + timedelta(hours=1)


def next_period() -> PeriodTime | None:
    """Where the school has periods: the one under way or next today, else the first of
    the next day that has any (within a fortnight)."""
    now = timezone.localtime()
    school = calendar()
    for ahead in range(15):
        day = now.date() + timedelta(days=ahead)
        upcoming = [period for period in school.periods_on(day) if period.end > now]
        if upcoming and not school.school_closed_reason(day):
            return upcoming[0]
    return None


def period_times(days: int = 15) -> str:
    """Each day's periods' times for the next fortnight, {"2026-12-03": {"Period 3":
    ["10:50", "11:40"]}}: the page's script fills the time fields when a period is chosen.
    Worked out once per day and copy of the calendar, as JSON (every search page has it)."""
    school, today = calendar(), timezone.localdate()
    return school.remembered(("period times", today, days), lambda: json.dumps(_period_times(today, days)))


def _period_times(today, days: int) -> dict[str, dict[str, list[str]]]:
    school = calendar()
    times = {}
    for ahead in range(days):
        day = today + timedelta(days=ahead)
        if plan := school.periods_on(day):
            times[day.isoformat()] = {
                p.name: [f"{timezone.localtime(p.start):%H:%M}", f"{timezone.localtime(p.end):%H:%M}"]
                for p in plan
            }
    return times


def period_names() -> list[str]:
    """Every period name of the day plans, in the order of the day."""
    names: dict[str, None] = {}
    for period in sorted(calendar().periods, key=lambda period: (period.starts, period.name)):
        names.setdefault(period.name)
    return list(names)


class SearchForm(forms.Form):
    date = SchoolDateField(label=_("Date"))
    period = forms.ChoiceField(label=_("Period"), required=False)
    to_period = forms.ChoiceField(label=_("To period"), required=False)
    start = forms.TimeField(
        label=_("Start"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label=_("End"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    capacity = forms.IntegerField(
        label=_("Seats"),
        required=False,
        min_value=1,
        max_value=MAX_ATTENDEES,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    feature = forms.ModelMultipleChoiceField(
        label=_("Features"),
        queryset=Feature.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Unknown feature: %(value)s.")},
    )

    building = forms.ModelChoiceField(
        queryset=Building.objects.all(),
        label=_("Building"),
        required=False,
        empty_label=_("All buildings"),
        error_messages={"invalid_choice": _("Unknown building.")},
    )
    room = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # The periods whose times the time fields show ("Period 3|Period 4"): times changed by
    # hand while the periods stay are a search by time (the page says "By time" then).
    shown = forms.CharField(required=False, max_length=90, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = period_names()
        if names:
            self.fields["period"].choices = [("", _("By time")), *((name, name) for name in names)]
            self.fields["to_period"].choices = [("", _("Same period")), *((name, name) for name in names)]
            self.fields["period"].widget.attrs["data-times"] = period_times()
        else:  # a school without periods searches by time only
            del self.fields["period"], self.fields["to_period"]

    @classmethod
    def for_query(cls, query) -> SearchForm:
        """Bound to the query string, or to sensible defaults when it is empty: the next
        period where the school has periods, else the next whole hour."""
        if not any(name in query for name in ("date", "start", "end", "period", "capacity", "feature")):
            upcoming = next_period()
            if upcoming is not None:
                query = {"date": upcoming.start.date().isoformat(), "period": upcoming.name, "capacity": "1"}
            else:
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
        if cleaned.get("date") and cleaned.get("period") and not self._times_typed(cleaned):
            self._by_period(cleaned)
        elif {"date", "start", "end"} <= cleaned.keys():
            for name in ("start", "end"):
                if cleaned[name] is None:
                    self.add_error(name, _("Enter a time (or choose a period)."))
            if self.errors:
                return cleaned
            tz = timezone.get_current_timezone()
            cleaned["period_start"] = datetime.combine(cleaned["date"], cleaned["start"], tz)
            cleaned["period_end"] = datetime.combine(cleaned["date"], cleaned["end"], tz)
        if "period_start" in cleaned:
            for field, message in period_errors(cleaned["period_start"], cleaned["period_end"]).items():
                self.add_error(field, message)
        return cleaned

    def _times_typed(self, cleaned) -> bool:
        """The periods chosen are the ones whose times were shown, but the times are not
        theirs any more: the teacher typed times. The search goes by time, and says so."""
        run = f"{cleaned['period']}|{cleaned.get('to_period') or ''}"
        if cleaned.get("shown") != run or cleaned.get("start") is None or cleaned.get("end") is None:
            return False
        try:
            start, end = calendar().run_of_periods(
                cleaned["date"], cleaned["period"], cleaned.get("to_period")
            )
        except PeriodError:
            return False
        shown_times = (timezone.localtime(start).time(), timezone.localtime(end).time())
        if shown_times == (cleaned["start"], cleaned["end"]):
            return False
        self.data = self.data.copy()
        self.data["period"] = self.data["to_period"] = self.data["shown"] = ""
        cleaned["period"] = cleaned["to_period"] = ""
        return True

    def _by_period(self, cleaned) -> None:
        """A period, or a run of periods, of the chosen date's plan."""
        try:
            start, end = calendar().run_of_periods(
                cleaned["date"], cleaned["period"], cleaned.get("to_period")
            )
        except PeriodError as problem:
            self.add_error(problem.field_name, str(problem))
            return
        cleaned["period_start"], cleaned["period_end"] = start, end
        cleaned["start"], cleaned["end"] = start.time(), end.time()
        # The page shows the periods' times in the time fields too.
        self.data = self.data.copy()
        self.data["start"], self.data["end"] = f"{start:%H:%M}", f"{end:%H:%M}"
        self.data["shown"] = f"{cleaned['period']}|{cleaned.get('to_period') or ''}"

    def summary(self) -> dict:
        """What every result card repeats, worked out once per search."""
        start = timezone.localtime(self.cleaned_data["period_start"])
        end = timezone.localtime(self.cleaned_data["period_end"])
        features = self.cleaned_data["feature"]
        school = calendar()
        periods = school.period_label(start, end)
        return {
            "seats": self.cleaned_data["capacity"],
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": end.strftime("%Y-%m-%dT%H:%M"),
            # A period under way is booked from now: the times say so, the hold keeps its name.
            "label": school.when(start, end, shown_from=from_now(start, end)),
            "periods": periods,
            "wanted": {feature.pk for feature in features},
            "features": ", ".join(feature.name.lower() for feature in features),
        }


class RoomWeekForm(forms.Form):
    """A room page's week: any day of it (``?week=``); none, this week."""

    week = SchoolDateField(required=False)
