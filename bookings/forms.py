"""Input for hold and claim. Every rule names the field it is about."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from config.widgets import SchoolDateField
from rooms.models import Building, Room
from rooms.schoolcalendar import PeriodError, calendar
from teachers.models import Teacher

from . import notifications, services
from .errors import ROOM_NOT_AVAILABLE, BookingError
from .models import Booking, Notification, Series
from .rules import MAX_ATTENDEES, approval_of, attendees_error, period_errors, series_errors
from .serializers import booking_payload, series_payload, skipped_in_words


class LocalDateTimeField(forms.DateTimeField):
    """An ISO 8601 local time, and nothing else: Python's parser lets stray characters
    (a trailing NUL, say) through, so anything but digits and separators is refused."""

    ALLOWED = re.compile(r"[0-9T :.\-]+")

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not self.ALLOWED.fullmatch(value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        moment = super().to_python(value)
        # Bookings are to the minute: 09:00:00.000001 would block a colleague's 09:00 for
        # a microsecond and count for nothing against a weekly limit.
        if moment is not None and (moment.second or moment.microsecond):
            raise forms.ValidationError(_("Give the time to the minute, e.g. 10:00."), code="precision")
        return moment


def add_rule_errors(form: forms.Form, cleaned: dict) -> None:
    """The period's rules, and with a repeat the series' rules, as errors on ``form``."""
    start, end = cleaned.get("start"), cleaned.get("end")
    if start and end:
        for field, message in period_errors(start, end).items():
            form.add_error(field, message)
    if cleaned.get("repeat") and start:
        for field, message in series_errors(timezone.localtime(start).date(), cleaned.get("until")).items():
            form.add_error(field, message)


class PeriodForm(forms.Form):
    """A period by its times (``start``, ``end``), or by the school's periods: ``date``
    with ``period`` and, for a run, ``to_period``."""

    start = LocalDateTimeField(
        label=_("Start"), required=False, help_text=_("Local time, e.g. 2026-12-01T10:00")
    )
    end = LocalDateTimeField(label=_("End"), required=False, help_text=_("Local time, e.g. 2026-12-01T11:00"))
    date = SchoolDateField(required=False, widget=forms.HiddenInput)
    period = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    to_period = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") and not (cleaned.get("start") or cleaned.get("end")):
            self._by_period(cleaned)
        else:
            for name in ("start", "end"):
                if name not in self.errors and cleaned.get(name) is None:
                    self.add_error(name, forms.Field.default_error_messages["required"])
        add_rule_errors(self, cleaned)
        return cleaned

    def _by_period(self, cleaned) -> None:
        if cleaned.get("date") is None:
            if "date" not in self.errors:
                self.add_error("date", _("Say which day (with a period)."))
            return
        try:
            cleaned["start"], cleaned["end"] = calendar().run_of_periods(
                cleaned["date"], cleaned["period"], cleaned.get("to_period")
            )
        except PeriodError as problem:
            self.add_error(problem.field_name, str(problem))


class HoldForm(PeriodForm):
    pass


class ClaimForm(PeriodForm):
    attendees = forms.IntegerField(label=_("Attendees"), required=False, min_value=1, max_value=MAX_ATTENDEES)
    purpose = forms.CharField(label=_("Purpose"), required=False, max_length=200, strip=True)
    repeat = forms.ChoiceField(
        required=False,
        choices=[("", _("Does not repeat")), *Series.Rule.choices],
        label=_("Repeat"),
    )
    until = SchoolDateField(required=False, label=_("Until"))
    free_dates_only = forms.BooleanField(
        required=False, label=_("If some dates are taken, book the free ones")
    )
    for_teacher = forms.ModelChoiceField(
        queryset=Teacher.objects.filter(is_active=True),
        required=False,
        label=_("Book for"),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose a teacher from the list.")},
    )

    def book(self, *, room_id: int, actor: Teacher) -> Claimed:
        """Book what the (valid) form asks for: one period, or with ``repeat`` a series;
        for the teacher (``actor``) or, staff only (the service checks), a colleague. What
        the page and the API answer alike: the payload and the message."""
        data = self.cleaned_data
        details = {
            "start": data["start"],
            "end": data["end"],
            "attendees": data["attendees"],
            "purpose": data["purpose"],
        }
        owner = data.get("for_teacher") or actor
        if data["repeat"]:
            series, bookings, skipped = services.series_create(
                teacher=owner,
                booked_by=actor,
                room_id=room_id,
                rule=data["repeat"],
                until=data["until"],
                free_dates_only=data["free_dates_only"],
                **details,
            )
            booking = bookings[0]
        else:
            series, bookings, skipped = None, [], {}
            booking = services.booking_create(teacher=owner, room_id=room_id, booked_by=actor, **details)
        message = _claimed_message(booking, actor=actor, series_dates=bookings, skipped=skipped)
        return Claimed(booking, message, series, bookings, skipped)


@dataclass(frozen=True)
class Claimed:
    booking: Booking  # the booking, or a series' first date
    message: str
    series: Series | None = None
    dates: list[Booking] = dataclasses.field(default_factory=list)  # a series' dates booked
    skipped: dict = dataclasses.field(default_factory=dict)  # a series' dates left out, and why

    @property
    def status(self) -> int:
        return 202 if self.booking.is_requested else 201

    @property
    def body(self) -> dict:
        """The pages' JSON: ``{"booking": BOOKING}`` and, for a repeat, ``"series"``."""
        body = {"booking": booking_payload(self.booking)}
        if self.series is not None:
            body["series"] = series_payload(self.series, self.dates, self.skipped)
        return body


def _claimed_message(booking: Booking, *, actor: Teacher, series_dates: list, skipped: dict) -> str:
    """“Room booked successfully: Room 101, Thu 3 Dec, Period 3, for Bob Brown, 5 dates, 1
    taken date skipped (…)”, or “Requested: …; Leadership will decide”."""
    where = f"{booking.room.name}, {calendar().when(booking.start, booking.end)}"
    if booking.is_requested:  # a room that needs approval: the slot is held until decided
        message = gettext("Requested: %(room)s") % {"room": where}
    else:
        message = gettext("Room booked successfully: %(room)s") % {"room": where}
    if booking.teacher_id != actor.pk:
        message += gettext(", for %(name)s") % {"name": booking.teacher.name}
    if series_dates:
        count = len(series_dates)
        message += ngettext(", %(count)d date", ", %(count)d dates", count) % {"count": count}
        message += skipped_in_words(skipped)
    if booking.is_requested:
        approval = approval_of(booking.room_id)
        message += gettext("; %(group)s will decide") % {
            "group": approval.group if approval else gettext("an approver")
        }
    return message


class LessonReleaseForm(forms.Form):
    """A lesson's room given back: why (“7b on a trip”), and until when for several weeks."""

    reason = forms.CharField(label=_("Why is the room free?"), max_length=120)
    until = SchoolDateField(label=_("Until (for several weeks)"), required=False)


class LessonDatesForm(forms.Form):
    """From which day My timetable shows the teacher's lessons (today without it)."""

    start = SchoolDateField(required=False)


class MoveForm(forms.Form):
    """A booking's new room, period, attendees or purpose; what is left out stays."""

    room = forms.ModelChoiceField(
        label=_("Room"),
        queryset=Room.objects.filter(is_active=True).select_related("building"),
        required=False,
    )
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        help_text=_("A period of the booking's day; or leave it and give the times below."),
    )
    start = LocalDateTimeField(
        label=_("Start"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end = LocalDateTimeField(
        label=_("End"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    attendees = forms.IntegerField(label=_("Attendees"), required=False, min_value=1, max_value=MAX_ATTENDEES)
    purpose = forms.CharField(label=_("Purpose"), required=False, max_length=200, strip=True)

    def __init__(self, *args, booking: Booking, free_room_ids: set[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.booking = booking
        self.day = timezone.localtime(booking.start).date()
        names = [period.name for period in calendar().periods_on(self.day)]
        if names:
            self.fields["period"].choices = [("", _("By time")), *((name, name) for name in names)]
        else:
            del self.fields["period"]
        rooms = self.fields["room"]
        rooms.label_from_instance = _room_label
        if free_room_ids is not None:  # the rooms free for the booking's period first
            free = free_room_ids | {booking.room_id}
            every = [(room.pk, _room_label(room)) for room in rooms.queryset.order_by("name")]
            rooms.choices = [
                ("", rooms.empty_label),
                (_("Free then"), [choice for choice in every if choice[0] in free]),
                (_("Taken or closed then"), [choice for choice in every if choice[0] not in free]),
            ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") and not self.errors:
            try:
                cleaned["start"], cleaned["end"] = calendar().run_of_periods(self.day, cleaned["period"])
            except PeriodError as problem:
                self.add_error("period", str(problem))
                return cleaned
        start = cleaned.get("start") or self.booking.start
        end = cleaned.get("end") or self.booking.end
        if (cleaned.get("start") or cleaned.get("end")) and not self.errors:
            for field, message in period_errors(start, end).items():
                self.add_error(field if field in ("start", "end") else None, message)
        return cleaned

    def changes(self) -> dict:
        """What the service is asked to change (a field the form left out, or sent empty
        by a page that shows every field, stays as it was)."""
        data = self.cleaned_data
        changes = {
            "room_id": data["room"].pk if data.get("room") else None,
            "start": data.get("start"),
            "end": data.get("end"),
        }
        if "attendees" in self.data:
            changes["attendees"] = data.get("attendees")
        if "purpose" in self.data:
            changes["purpose"] = data.get("purpose", "")
        return changes


def _room_label(room: Room) -> str:
    seats = ngettext("%(building)s, %(seats)d seat", "%(building)s, %(seats)d seats", room.capacity)
    return f"{room.name} ({seats % {'building': room.building.name, 'seats': room.capacity}})"


def add_service_errors(form: forms.Form, error: BookingError) -> None:
    """Problems only the service could see (seats, a rule, who may book) join the form's
    own: on their field when the form has it, else above the form; none twice."""
    for field, problems in error.errors.items():
        name = field if field in form.fields else None
        for problem in problems:
            if problem not in form.errors.get(name or "__all__", []):
                form.add_error(name, problem)


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    """Form errors as plain lists per field (``__all__`` for form-wide ones)."""
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


class AnalyticsForm(forms.Form):
    """The analytics' date range: the last 30 days and the next 30 by default."""

    DEFAULT_SPAN = timedelta(days=30)
    MAX_SPAN = timedelta(days=400)

    start = SchoolDateField(label=_("From"))
    end = SchoolDateField(label=_("To"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end must not be before the start."))
            elif end - start > self.MAX_SPAN:
                self.add_error("end", _("Choose at most about a year."))
        return cleaned

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["start"].initial = today - self.DEFAULT_SPAN
        self.fields["end"].initial = today + self.DEFAULT_SPAN

    def period(self):
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return self.fields["start"].initial, self.fields["end"].initial


class BookingAddForm(forms.ModelForm):
    """The admin's "Add booking": who, which room, when, and the teacher's own options
    (attendees, purpose, repeat). Checking it books through ``bookings.services`` as
    ``booked_by`` (the member of staff, set by the admin), as authenticating is part of
    checking Django's login form: the admin gets the same guard as a claim, every refusal
    as a form error, and the teacher the "booked for you" mail. ``made``: what it booked."""

    booked_by: Teacher | None = None

    repeat = ClaimForm.base_fields["repeat"]
    until = ClaimForm.base_fields["until"]
    free_dates_only = ClaimForm.base_fields["free_dates_only"]

    class Meta:
        model = Booking
        fields = ("teacher", "room", "start", "end", "attendees", "purpose")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.made: services.SeriesBooked | Booking | None = None

    def clean(self):
        cleaned = super().clean()
        add_rule_errors(self, cleaned)
        if not self.errors:
            self._book(cleaned)
        return cleaned

    def _book(self, cleaned) -> None:
        details = {
            "teacher": cleaned["teacher"],
            "room_id": cleaned["room"].pk,
            "start": cleaned["start"],
            "end": cleaned["end"],
            "attendees": cleaned.get("attendees"),
            "purpose": cleaned.get("purpose", ""),
            "booked_by": self.booked_by,
        }
        try:
            if cleaned.get("repeat"):
                self.made = services.series_create(
                    rule=cleaned["repeat"],
                    until=cleaned["until"],
                    free_dates_only=cleaned.get("free_dates_only", False),
                    **details,
                )
            else:
                self.made = services.booking_create(**details)
        except BookingError as error:
            add_service_errors(self, error)
            if not error.errors:
                message = error.message
                if error.code == ROOM_NOT_AVAILABLE and error.conflicting_dates:
                    message += _(". Tick the repeat option to book the free dates only.")
                self.add_error(None, message)


class BookingChangeForm(forms.ModelForm):
    """An existing booking: attendees and purpose may change; the period and room are
    the guard's business (cancel and book again)."""

    class Meta:
        model = Booking
        fields = ("attendees", "purpose")

    def clean_attendees(self):
        attendees = self.cleaned_data["attendees"]
        room = self.instance.room
        if attendees is not None and attendees > room.capacity:
            raise forms.ValidationError(attendees_error(room, attendees))
        return attendees


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset mail, through the outbox like every other mail: the request only
    queues it, so a known address answers as fast as an unknown one (sending inside the
    request told which addresses have accounts, by its time). The sender writes it in the
    teacher's language."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        link = {name: context[name] for name in ("protocol", "domain", "uid", "token")}
        notifications.enqueue(teacher=context["user"], kind=Notification.Kind.PASSWORD_RESET, details=link)


class SeriesChangeForm(forms.Form):
    """A change of a series from one of its dates: what changes, and for which dates. An
    empty field leaves that detail as it is."""

    date = forms.IntegerField(widget=forms.HiddenInput)
    scope = forms.ChoiceField(
        label=_("Change"),
        choices=[
            ("this", _("This date only")),
            ("following", _("This and the following dates")),
            ("all", _("All upcoming dates")),
        ],
        initial="following",
        widget=forms.RadioSelect,
    )
    room = forms.ModelChoiceField(
        label=_("Room"), queryset=Room.objects.filter(is_active=True).order_by("name"), required=False
    )
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        help_text=_("Each date gets this period's times; or give the times below."),
    )
    starts = forms.TimeField(
        label=_("Starts at"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    ends = forms.TimeField(label=_("Ends at"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    attendees = forms.IntegerField(label=_("Attendees"), required=False, min_value=1, max_value=MAX_ATTENDEES)
    purpose = forms.CharField(label=_("Purpose"), required=False, max_length=200, strip=True)
    reset = forms.BooleanField(label=_("Also change the dates changed by themselves"), required=False)
    free_dates_only = forms.BooleanField(
        label=_("Change only the dates whose new slot is free"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = sorted({period.name for period in calendar().periods}, key=_period_order)
        self.fields["period"].choices = [("", "—"), *((name, name) for name in names)]

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if cleaned.get("period") and (starts or ends):
            self.add_error("period", _("Choose a period or times, not both."))
        elif ends and not starts:
            self.add_error("starts", _("Give the new start too."))
        elif starts and ends and ends <= starts:
            self.add_error("ends", _("The end must be after the start."))
        return cleaned

    def edit(self) -> services.SeriesEdit:
        cleaned = self.cleaned_data
        return services.SeriesEdit(
            room_id=cleaned["room"].pk if cleaned.get("room") else None,
            starts=cleaned.get("starts"),
            ends=cleaned.get("ends"),
            attendees=cleaned["attendees"] if cleaned.get("attendees") else services.KEEP,
            purpose=cleaned.get("purpose") or None,
            period=cleaned.get("period") or "",
        )


class SeriesUntilForm(forms.Form):
    until = SchoolDateField(label=_("Last day"))
    free_dates_only = forms.BooleanField(label=_("Book only the free new dates"), required=False)


def _period_order(name: str) -> tuple:
    """The school's period names in the order of the day (by their first start)."""
    starts = [period.starts for period in calendar().periods if period.name == name]
    return (min(starts), name)


class TimetableForm(forms.Form):
    """The day's timetable: which day (today unless said), and which building."""

    date = SchoolDateField(required=False)
    building = forms.ModelChoiceField(
        queryset=Building.objects.all(), required=False, empty_label=_("All buildings")
    )

    def day(self) -> date:
        return (self.cleaned_data.get("date") if self.is_valid() else None) or timezone.localdate()
