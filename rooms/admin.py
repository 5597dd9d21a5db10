from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bookings.models import Booking, overlapping_q
from config.imports import ImportFileForm, ImportFromFileMixin, Outcome

from . import room_import
from .calendar_import import apply, read
from .models import BookableHours, Building, Closure, Feature, Period, Room, Term


class HoursInline(admin.TabularInline):
    model = BookableHours
    extra = 0
    fields = ("weekday", "opens", "closes")
    verbose_name = _("bookable hours on one weekday")
    verbose_name_plural = _("bookable hours")


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("name", "room_count")
    search_fields = ("name",)
    inlines = (HoursInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(room_total=Count("rooms"))

    @admin.display(description=_("Rooms"), ordering="room_total")
    def room_count(self, building):
        return building.room_total


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Room)
class RoomAdmin(ImportFromFileMixin, admin.ModelAdmin):
    list_display = ("name", "building", "capacity", "feature_list", "is_active", "bookings_today")
    list_filter = ("is_active", "building", "features")
    list_editable = ("is_active",)
    search_fields = ("name", "code", "building__name")
    filter_horizontal = ("features",)
    list_select_related = ("building",)
    actions = ("close_rooms", "open_rooms")
    inlines = (HoursInline,)
    readonly_fields = ("door_sign",)
    import_help = "admin/rooms/room_file_help.html"

    def import_rows(self, data: bytes, *, dry_run: bool) -> Outcome:
        return room_import.apply(room_import.read(data), dry_run=dry_run)

    @admin.display(description=_("Door sign and display"))
    def door_sign(self, room):
        if room.pk is None:
            return "-"
        url = reverse("bookings:room-door-sign", args=[room.pk])
        words = _("Print the door sign with its check-in QR code; the door display's address")
        return format_html('<a href="{}" target="_blank">{}</a>', url, words)

    def get_queryset(self, request):
        today = timezone.localdate()
        day_start = timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()))
        day_end = day_start + timezone.timedelta(days=1)
        todays = Q(bookings__status=Booking.Status.CONFIRMED) & overlapping_q(
            day_start, day_end, prefix="bookings__"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(today_total=Count("bookings", filter=todays))
            .prefetch_related("features")
        )

    @admin.display(description=_("Bookings today"), ordering="today_total")
    def bookings_today(self, room):
        return room.today_total

    @admin.display(description=_("Features"))
    def feature_list(self, room):
        return ", ".join(feature.name for feature in room.features.all())

    @admin.action(description=_("Close the selected rooms (no new bookings)"))
    def close_rooms(self, request, queryset):
        closed = queryset.update(is_active=False)
        self.message_user(
            request, ngettext("Closed %(count)d room.", "Closed %(count)d rooms.", closed) % {"count": closed}
        )

    @admin.action(description=_("Open the selected rooms"))
    def open_rooms(self, request, queryset):
        opened = queryset.update(is_active=True)
        self.message_user(
            request, ngettext("Opened %(count)d room.", "Opened %(count)d rooms.", opened) % {"count": opened}
        )


class CalendarFileForm(ImportFileForm):
    default = forms.ChoiceField(
        label=_("Events that do not say are"),
        choices=[("closure", _("closures")), ("term", _("terms"))],
        initial="closure",
    )


class CalendarImportMixin(ImportFromFileMixin):
    """ "Import from a file" on the terms' and closures' lists (an ICS or CSV upload)."""

    import_form = CalendarFileForm
    import_help = "admin/rooms/calendar_file_help.html"

    def import_file(self, request):
        self.import_filename = (
            request.FILES["file"].name if request.method == "POST" and "file" in request.FILES else ""
        )
        return super().import_file(request)

    def import_rows(self, data: bytes, *, default: str, dry_run: bool) -> Outcome:
        return apply(read(data, filename=self.import_filename, default=default), dry_run=dry_run)


@admin.register(Term)
class TermAdmin(CalendarImportMixin, admin.ModelAdmin):
    list_display = ("name", "first_day", "last_day")
    date_hierarchy = "first_day"


@admin.register(Closure)
class ClosureAdmin(CalendarImportMixin, admin.ModelAdmin):
    list_display = ("first_day", "last_day", "reason", "description", "scope")
    list_filter = ("reason", "building")
    search_fields = ("description",)
    date_hierarchy = "first_day"
    autocomplete_fields = ("room",)
    list_select_related = ("building", "room")


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ("name", "starts", "ends", "weekday", "week")
    list_filter = ("weekday", "week")
    list_editable = ("starts", "ends")
