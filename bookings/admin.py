from django.contrib import admin, messages

from . import services
from .errors import BookingError
from .models import Booking


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
