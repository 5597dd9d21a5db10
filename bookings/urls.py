from django.urls import path, register_converter

from config import ids  # noqa: F401  (registers <id:…>)

from .views import (
    analytics,
    booking,
    calendar,
    checkin,
    display,
    lessons,
    requests,
    series,
    timetable,
    waitlist,
)


class CalendarToken:
    """A calendar feed's secret as ``secrets.token_urlsafe`` makes it; anything else is a 404."""

    regex = "[A-Za-z0-9_-]{20,100}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CalendarToken, "token")
app_name = "bookings"

urlpatterns = [
    path("rooms/<id:room_id>/hold/", booking.hold, name="room-hold"),
    path("rooms/<id:room_id>/queue/", booking.wait, name="room-queue"),
    path("rooms/<id:room_id>/release/", booking.release, name="room-release"),
    path("rooms/<id:room_id>/claim/", booking.claim, name="room-claim"),
    path("rooms/<id:room_id>/alternatives/", booking.alternatives, name="room-alternatives"),
    path("bookings/", booking.my_bookings, name="my-bookings"),
    path("bookings/<id:booking_id>/cancel/", booking.cancel, name="booking-cancel"),
    path("bookings/<id:booking_id>/check-in/", checkin.check_in, name="booking-check-in"),
    path("bookings/<id:booking_id>/move/", booking.move, name="booking-move"),
    path("rooms/<id:room_id>/check-in/", checkin.door, name="room-door"),
    path("rooms/<id:room_id>/door-sign/", checkin.door_sign, name="room-door-sign"),
    path("rooms/<id:room_id>/display/", display.display, name="room-display"),
    path("rooms/<id:room_id>/display/new-key/", checkin.new_display_key, name="room-display-new-key"),
    path("series/<id:series_id>/cancel/", booking.series_cancel, name="series-cancel"),
    path("series/<id:series_id>/change/", series.change, name="series-change"),
    path("series/<id:series_id>/until/", series.until, name="series-until"),
    path("series/<id:series_id>/cancel-following/", series.cancel_following, name="series-cancel-following"),
    path("requests/", requests.requests_page, name="requests"),
    path("requests/<id:booking_id>/approve/", requests.approve, name="request-approve"),
    path("requests/<id:booking_id>/decline/", requests.decline, name="request-decline"),
    path("rooms/<id:room_id>/waitlist/", waitlist.join, name="waitlist-join"),
    path("waitlist/<id:entry_id>/leave/", waitlist.leave, name="waitlist-leave"),
    path("calendar/link/", calendar.link, name="calendar-link"),
    path("calendar/link/revoke/", calendar.revoke, name="calendar-link-revoke"),
    path("calendar/<token:token>.ics", calendar.feed, name="calendar-feed"),
    path("analytics/", analytics.report, name="analytics"),
    path("timetable/", timetable.timetable, name="timetable"),
    path("timetable/mine/", lessons.my_timetable, name="my-timetable"),
    path("lessons/dates/<id:date_id>/release/", lessons.release, name="lesson-release"),
    path("lessons/dates/<id:date_id>/restore/", lessons.restore, name="lesson-restore"),
]
