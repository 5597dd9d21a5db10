from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.imports import ImportFileForm, ImportFromFileMixin
from config.widgets import SchoolDateField

from . import services
from .errors import BookingError
from .forms import BookingAddForm, BookingChangeForm
from .lessons.formats import CSV, FET, UNTIS
from .lessons.plan import TimetableOutcome, import_timetable
from .models import Booking, BookingRule, Conflict, Lesson, Notification, Series, WaitlistEntry
from .serializers import skipped_in_words


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Adding a booking goes through the same service as a teacher's claim (lock, row
    lock, re-check, exclusion constraint): an overlap is a form error naming who has the
    room. A booking's room, teacher and period are not edited here; cancel it instead."""

    list_display = ("room", "teacher", "start", "end", "status", "attendees", "purpose", "created_at")
    list_filter = ("status", "start", "room__building", "room", "teacher")
    search_fields = ("room__name", "teacher__username", "teacher__display_name", "purpose")
    date_hierarchy = "start"
    list_select_related = ("room", "teacher")
    autocomplete_fields = ("room", "teacher")
    actions = ("cancel_bookings",)
    add_fieldsets = (
        (None, {"fields": ("teacher", "room", "start", "end", "attendees", "purpose")}),
        (_("Repeat"), {"fields": ("repeat", "until", "free_dates_only"), "classes": ("collapse",)}),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, form=BookingChangeForm, **kwargs)
        kwargs["fields"] = [field for _, options in self.add_fieldsets for field in options["fields"]]
        form = super().get_form(request, obj, change=change, form=BookingAddForm, **kwargs)
        return type(form.__name__, (form,), {"booked_by": request.user})

    def get_fieldsets(self, request, obj=None):
        return super().get_fieldsets(request, obj) if obj else self.add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "room",
            "teacher",
            "start",
            "end",
            "status",
            "series",
            "created_at",
            "cancelled_at",
            "decide_by",
            "decided_at",
            "decided_by",
            "decision_reason",
        )

    def save_form(self, request, form, change):
        """A new booking was made by the service while the form was checked: it is the
        object the admin logs and links to (a series' first date)."""
        if change:
            return super().save_form(request, form, change)
        return form.made.bookings[0] if isinstance(form.made, services.SeriesBooked) else form.made

    def save_related(self, request, form, formsets, change):
        if change:  # a new booking has nothing related beyond what the service wrote
            super().save_related(request, form, formsets, change)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["attendees", "purpose"])
        elif isinstance(form.made, services.SeriesBooked):
            made = form.made
            skipped = skipped_in_words(made.skipped).removeprefix(", ") or _("no dates skipped")
            message = ngettext(
                "A series of %(count)d date was booked; %(skipped)s.",
                "A series of %(count)d dates was booked; %(skipped)s.",
                len(made.bookings),
            )
            self.message_user(request, message % {"count": len(made.bookings), "skipped": skipped})

    @admin.action(description=_("Cancel the selected bookings (frees the slots, tells teachers)"))
    def cancel_bookings(self, request, queryset):
        cancelled = 0
        for booking in queryset.filter(status__in=Booking.HOLDING):
            try:
                services.booking_cancel(booking_id=booking.pk, teacher=request.user, as_admin=True)
            except BookingError as error:
                self.message_user(request, f"{booking}: {error.message}", messages.ERROR)
            else:
                cancelled += 1
        message = ngettext("Cancelled %(count)d booking.", "Cancelled %(count)d bookings.", cancelled)
        self.message_user(request, message % {"count": cancelled}, messages.SUCCESS)


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ("room", "teacher", "rule", "until", "created_at")
    list_filter = ("rule", "room__building")
    search_fields = ("room__name", "teacher__username", "teacher__display_name", "purpose")
    list_select_related = ("room", "teacher")


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = ("room", "teacher", "start", "end", "code", "created_at")
    list_filter = ("code", "room__building", "room")
    date_hierarchy = "created_at"
    list_select_related = ("room", "teacher")


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ("room", "teacher", "start", "end", "status", "created_at", "offer_expires_at")
    list_filter = ("status", "room")
    search_fields = ("room__name", "teacher__username", "teacher__display_name")
    list_select_related = ("room", "teacher")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "teacher", "created_at", "sent_at", "attempts")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter))
    readonly_fields = ("last_error",)
    list_select_related = ("teacher",)


@admin.register(BookingRule)
class BookingRuleAdmin(admin.ModelAdmin):
    """The school's rules (no room, no group), a room's and a group's. An empty limit is
    inherited: school, then room, then the most generous of a teacher's groups."""

    LIMITS = (
        "max_length_minutes",
        "max_days_ahead",
        "min_notice_minutes",
        "max_upcoming_bookings",
        "max_hours_per_week",
        "max_series_dates",
    )
    list_display = ("__str__", *LIMITS, "check_in_minutes", "approvers")
    list_select_related = ("room", "group", "approvers")
    autocomplete_fields = ("room",)
    filter_horizontal = ("only_groups",)
    fieldsets = (
        (
            _("Applies to"),
            {"fields": ("room", "group"), "description": _("Leave both empty for the school's rules.")},
        ),
        (_("Limits (empty: inherited)"), {"fields": LIMITS}),
        (_("Check-in"), {"fields": ("check_in_minutes",)}),
        (_("Who may book the room"), {"fields": ("only_groups",)}),
        (
            _("Approval (room only)"),
            {
                "fields": ("approvers", "decide_hours", "undecided"),
                "description": _(
                    "A booking of the room is a request that holds its slot until a member of "
                    "the group approves or declines it on their Requests page."
                ),
            },
        ),
    )


class TimetableFileForm(ImportFileForm):
    file = forms.FileField(
        label=_("File"), help_text=_("Untis GPU001.TXT, FET's timetable CSV export, or a plain CSV.")
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[
            ("", _("By the file's look")),
            (UNTIS, "Untis (GPU001.TXT)"),
            (FET, "FET"),
            (CSV, _("Plain CSV")),
        ],
    )
    start = SchoolDateField(label=_("From"), help_text=_("The timetable is replaced from this day on."))
    end = SchoolDateField(label=_("To"), required=False, help_text=_("Empty: the last day of that term."))
    clashes = forms.ChoiceField(
        label=_("Bookings the lessons clash with"),
        choices=[
            ("refuse", _("Import nothing and list them")),
            ("lessons_win", _("Cancel them (their teachers are told)")),
            ("skip_clashing", _("Leave those lesson dates out")),
        ],
        initial="refuse",
    )
    field_order = ["file", "format", "start", "end", "clashes", "dry_run"]


@admin.register(Lesson)
class LessonAdmin(ImportFromFileMixin, admin.ModelAdmin):
    """The school's timetable, as imported: lessons are changed by importing the timetable
    again (from a date), not one by one here; a date of a lesson is a booking."""

    list_display = (
        "title",
        "room",
        "teacher_list",
        "weekday",
        "periods",
        "week",
        "first_day",
        "last_day",
    )
    list_filter = ("weekday", "week", "room__building", "room")
    search_fields = ("group", "subject", "room__name", "teachers__username", "teachers__code")
    list_select_related = ("room",)
    import_form = TimetableFileForm
    import_help = "admin/bookings/timetable_file_help.html"

    def has_change_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """Lessons come from the timetable file: "Add" is its import."""
        return redirect(f"admin:{self._import_name()}")

    def import_rows(
        self, data: bytes, *, format: str, start, end, clashes: str, dry_run: bool
    ) -> TimetableOutcome:
        return import_timetable(
            data,
            format=format,
            start=start,
            end=end,
            lessons_win=clashes == "lessons_win",
            skip_clashing=clashes == "skip_clashing",
            dry_run=dry_run,
        )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teachers")

    @admin.display(description=_("teachers"))
    def teacher_list(self, lesson: Lesson) -> str:
        return ", ".join(teacher.code or teacher.username for teacher in lesson.teachers.all())

    @admin.display(description=_("periods"))
    def periods(self, lesson: Lesson) -> str:
        if lesson.first_period:
            first, last = lesson.first_period, lesson.last_period
            return str(first) if first == last else f"{first}\u2013{last}"
        return f"{lesson.starts:%H:%M}\u2013{lesson.ends:%H:%M}"
