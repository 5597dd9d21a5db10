from django.contrib import admin, messages

from . import services
from .errors import BookingError
from .models import Booking, Conflict, Notification, Series, WaitlistEntry


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("room", "teacher", "start", "end", "status", "attendees", "purpose", "created_at")
    list_filter = ("status", "start", "room__building", "room", "teacher")
    search_fields = ("room__name", "teacher__username", "teacher__display_name", "purpose")
    date_hierarchy = "start"
    list_select_related = ("room", "teacher")
    autocomplete_fields = ("room", "teacher")
    readonly_fields = ("created_at", "cancelled_at")
    actions = ("cancel_bookings",)

    @admin.action(description="Cancel the selected bookings (frees the slots, tells teachers)")
    def cancel_bookings(self, request, queryset):
        cancelled = 0
        for booking in queryset.filter(status=Booking.Status.CONFIRMED):
            try:
                services.booking_cancel(booking_id=booking.pk, teacher=request.user, as_admin=True)
            except BookingError as error:
                self.message_user(request, f"{booking}: {error.message}", messages.ERROR)
            else:
                cancelled += 1
        self.message_user(request, f"Cancelled {cancelled} bookings.", messages.SUCCESS)


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
