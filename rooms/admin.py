from django.contrib import admin
from django.db.models import Count, Q
from django.utils import timezone

from .models import Building, Feature, Room


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("name", "room_count")
    search_fields = ("name",)

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
