from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from .calendar_import import CalendarFileError, apply, read
from .models import BookableHours, Building, Closure, Feature, Period, Room, Term


class HoursInline(admin.TabularInline):
    model = BookableHours
    extra = 0
    fields = ("weekday", "opens", "closes")
    verbose_name = "bookable hours on a weekday"


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("name", "room_count")
    search_fields = ("name",)
    inlines = (HoursInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(room_total=Count("rooms"))

    @admin.display(description="Rooms", ordering="room_total")
    def room_count(self, building):
        return building.room_total


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "building", "capacity", "feature_list", "is_active", "bookings_today")
    list_filter = ("is_active", "building", "features")
    list_editable = ("is_active",)
    search_fields = ("name", "building__name")
    filter_horizontal = ("features",)
    list_select_related = ("building",)
    actions = ("close_rooms", "open_rooms")
    inlines = (HoursInline,)
    readonly_fields = ("door_sign",)

    @admin.display(description="Door sign")
    def door_sign(self, room):
        if room.pk is None:
            return "-"
        url = reverse("bookings:room-door-sign", args=[room.pk])
        return format_html(
            '<a href="{}" target="_blank">Print the door sign with its check-in QR code</a>', url
        )

    def get_queryset(self, request):
        today = timezone.localdate()
        day_start = timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()))
        day_end = day_start + timezone.timedelta(days=1)
        todays = Q(bookings__status="confirmed", bookings__start__lt=day_end, bookings__end__gt=day_start)
        return (
            super()
            .get_queryset(request)
            .annotate(today_total=Count("bookings", filter=todays))
            .prefetch_related("features")
        )

    @admin.display(description="Bookings today", ordering="today_total")
    def bookings_today(self, room):
        return room.today_total

    @admin.display(description="Features")
    def feature_list(self, room):
        return ", ".join(feature.name for feature in room.features.all())

    @admin.action(description="Close the selected rooms (no new bookings)")
    def close_rooms(self, request, queryset):
        self.message_user(request, f"Closed {queryset.update(is_active=False)} rooms.")

    @admin.action(description="Open the selected rooms")
    def open_rooms(self, request, queryset):
        self.message_user(request, f"Opened {queryset.update(is_active=True)} rooms.")


class CalendarFileForm(forms.Form):
    file = forms.FileField(help_text="An iCalendar (.ics) export, or a CSV with the columns described below.")
    default = forms.ChoiceField(
        label="Events that do not say are",
        choices=[("closure", "closures"), ("term", "terms")],
        initial="closure",
    )
    dry_run = forms.BooleanField(label="Dry run: only report what would change", required=False)


class CalendarImportMixin:
    """ "Import from a file" on the terms' and closures' lists (an ICS or CSV upload)."""

    change_list_template = "admin/rooms/calendar_change_list.html"

    def get_urls(self):
        own = [path("import/", self.admin_site.admin_view(self.import_file), name=self._import_name())]
        return own + super().get_urls()

    def _import_name(self) -> str:
        return f"rooms_{self.model._meta.model_name}_import"

    def changelist_view(self, request, extra_context=None):
        extra = {**(extra_context or {}), "import_url": reverse(f"admin:{self._import_name()}")}
        return super().changelist_view(request, extra)

    def import_file(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = CalendarFileForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            dry_run = form.cleaned_data["dry_run"]
            try:
                entries = read(upload.read(), filename=upload.name, default=form.cleaned_data["default"])
                outcome = apply(entries, dry_run=dry_run)
            except CalendarFileError as problem:
                problems = problem.errors
            else:
                verb = "Would create" if dry_run else "Created"
                for described in outcome.created:
                    self.message_user(request, f"{verb} {described}.", messages.INFO)
                self.message_user(
                    request,
                    f"{verb} {len(outcome.created)}; {len(outcome.unchanged)} already there."
                    + (" Nothing was changed (dry run)." if dry_run else ""),
                    messages.SUCCESS,
                )
                return redirect(f"admin:rooms_{self.model._meta.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Import terms and closures from a file",
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/rooms/calendar_import.html", context, status=400 if problems else 200
        )


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
