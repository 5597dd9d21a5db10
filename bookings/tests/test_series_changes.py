"""Changing a weekly series after it is made: one date, this and the following (a split),
or all; its exceptions kept; a preview that names who has a taken date; cancelling this
and the following."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from bookings import notifications, services
from bookings.errors import ROOM_NOT_AVAILABLE, BookingError
from bookings.integrity import overlapping_pairs
from bookings.models import Booking, BookingRule, Series
from bookings.services import DateState, Scope, SeriesEdit
from rooms.models import Period
from rooms.settings_cache import clear_all
from tests.factories import make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def club():
    """Alice's science club: Room 101 every Monday 10:00 to 11:00 for four weeks."""
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    tz = timezone.get_current_timezone()
    alice, bob = make_teacher("Alice Adams"), make_teacher("Bob Brown")
    lab, hall = make_room("Room 101"), make_room("Hall", capacity=120)
    made = services.series_create(
        teacher=alice,
        room_id=lab.pk,
        start=datetime.combine(monday, time(10), tz),
        end=datetime.combine(monday, time(11), tz),
        rule=Series.Rule.WEEKLY,
        until=monday + timedelta(weeks=3),
        purpose="Science club",
    )
    return made.series, made.bookings, alice, bob, lab, hall


def local_times(booking: Booking) -> tuple[time, time]:
    return timezone.localtime(booking.start).time(), timezone.localtime(booking.end).time()


def test_one_date_changes_by_itself_and_is_kept_when_all_change_later(club):
    series, dates, alice, _bob, lab, hall = club
    services.series_change(
        series_id=series.pk,
        actor=alice,
        date_id=dates[1].pk,
        scope=Scope.THIS,
        edit=SeriesEdit(room_id=hall.pk),
    )
    second = Booking.objects.get(pk=dates[1].pk)
    assert (second.room, second.detached, second.series_id) == (hall, True, series.pk)
    assert Booking.objects.get(pk=dates[0].pk).room == lab

    plan = services.series_change(
        series_id=series.pk,
        actor=alice,
        date_id=dates[0].pk,
        scope=Scope.ALL,
        edit=SeriesEdit(starts=time(13)),
    )
    assert [p.state for p in plan.dates] == [
        DateState.MOVES,
        DateState.KEPT,
        DateState.MOVES,
        DateState.MOVES,
    ]
    assert local_times(Booking.objects.get(pk=dates[2].pk)) == (time(13), time(14))  # the length kept
    assert local_times(Booking.objects.get(pk=dates[1].pk)) == (time(10), time(11))  # the exception kept
    services.series_change(
        series_id=series.pk,
        actor=alice,
        date_id=dates[0].pk,
        scope=Scope.ALL,
        edit=SeriesEdit(starts=time(13)),
        reset=True,
    )
    reset = Booking.objects.get(pk=dates[1].pk)
    assert (local_times(reset), reset.detached) == ((time(13), time(14)), False)


def test_this_and_the_following_splits_the_series_at_that_date(club):
    series, dates, alice, _bob, _lab, hall = club
    plan = services.series_change(
        series_id=series.pk,
        actor=alice,
        date_id=dates[2].pk,
        scope=Scope.FOLLOWING,
        edit=SeriesEdit(room_id=hall.pk, starts=time(14), ends=time(15, 30), purpose="Science club (hall)"),
    )
    later = plan.series
    assert later.pk != series.pk and later.room == hall and later.until == series.until
    series.refresh_from_db()
    assert series.until == timezone.localtime(dates[2].start).date() - timedelta(days=1)
    assert list(series.bookings.order_by("start")) == dates[:2]
    moved = list(later.bookings.order_by("start"))
    assert [b.pk for b in moved] == [dates[2].pk, dates[3].pk]
    assert {(b.room, local_times(b), b.purpose) for b in moved} == {
        (hall, (time(14), time(15, 30)), "Science club (hall)")
    }
    assert overlapping_pairs() == 0


def test_the_preview_names_who_has_a_taken_date_and_nothing_moves_until_confirmed(club):
    series, dates, alice, bob, _lab, hall = club
    taken = make_booking(hall, bob, dates[2].start, dates[2].end, purpose="Assembly")
    edit = SeriesEdit(room_id=hall.pk)
    preview = services.series_preview(
        series_id=series.pk, actor=alice, date_id=dates[0].pk, scope=Scope.ALL, edit=edit
    )
    assert [(p.state, p.reason) for p in preview.dates] == [
        (DateState.MOVES, ""),
        (DateState.MOVES, ""),
        (DateState.TAKEN, "Bob Brown"),
        (DateState.MOVES, ""),
    ]
    assert not Booking.objects.filter(series=series, room=hall).exists()  # a preview writes nothing
    with pytest.raises(BookingError) as refused:
        services.series_change(
            series_id=series.pk, actor=alice, date_id=dates[0].pk, scope=Scope.ALL, edit=edit
        )
    assert refused.value.code == ROOM_NOT_AVAILABLE and "first by Bob Brown" in refused.value.message
    assert refused.value.conflicting_dates == [timezone.localtime(dates[2].start).date().isoformat()]
    assert not Booking.objects.filter(series=series, room=hall).exists()  # all or nothing
    services.series_change(
        series_id=series.pk,
        actor=alice,
        date_id=dates[0].pk,
        scope=Scope.ALL,
        edit=edit,
        free_dates_only=True,
    )
    rooms = [b.room for b in Booking.objects.filter(series=series).order_by("start")]
    assert rooms == [hall, hall, dates[2].room, hall]  # the taken date stays where it was
    assert Booking.objects.get(pk=dates[2].pk).detached  # and is unlike the rest now
    assert Booking.objects.get(pk=taken.pk).is_confirmed and overlapping_pairs() == 0


def test_cancelling_this_and_the_following_ends_the_series_and_a_cancelled_date_never_returns(club):
    series, dates, alice, _bob, _lab, hall = club
    services.booking_cancel(booking_id=dates[1].pk, teacher=alice)
    assert Booking.objects.get(pk=dates[1].pk).detached  # cancelled by itself
    services.series_change(
        series_id=series.pk,
        actor=alice,
        date_id=dates[0].pk,
        scope=Scope.ALL,
        edit=SeriesEdit(room_id=hall.pk),
    )
    assert Booking.objects.get(pk=dates[1].pk).status == Booking.Status.CANCELLED
    cancelled = services.series_cancel_following(series_id=series.pk, actor=alice, date_id=dates[2].pk)
    assert [b.pk for b in cancelled] == [dates[2].pk, dates[3].pk]
    series.refresh_from_db()
    assert series.until == timezone.localtime(dates[2].start).date() - timedelta(days=1)
    assert [b.status for b in Booking.objects.filter(series=series).order_by("start")] == [
        "confirmed",
        "cancelled",
        "cancelled",
        "cancelled",
    ]


def test_a_stranger_finds_nothing_staff_may_and_bad_times_name_the_field(club):
    series, dates, alice, bob, _lab, hall = club
    with pytest.raises(BookingError) as stranger:
        services.series_change(
            series_id=series.pk,
            actor=bob,
            date_id=dates[0].pk,
            scope=Scope.ALL,
            edit=SeriesEdit(room_id=hall.pk),
        )
    assert stranger.value.code == "BOOKING_NOT_FOUND"
    with pytest.raises(BookingError) as backwards:
        services.series_change(
            series_id=series.pk,
            actor=alice,
            date_id=dates[0].pk,
            scope=Scope.ALL,
            edit=SeriesEdit(starts=time(12), ends=time(11)),
        )
    assert backwards.value.errors == {"end": ["The end must be after the start."]}
    alice.email = "alice@school.example"
    alice.save(update_fields=["email"])
    staff = make_teacher("Sam Staff", is_staff=True)
    services.series_change(
        series_id=series.pk,
        actor=staff,
        date_id=dates[0].pk,
        scope=Scope.ALL,
        edit=SeriesEdit(room_id=hall.pk),
    )
    assert {b.room for b in Booking.objects.filter(series=series)} == {hall}
    [mail] = alice.notifications.filter(kind="moved")  # one mail, not one per date
    text = notifications.render(mail).body
    assert "A colleague changed 4 dates of your series. The first is now:" in text


def test_a_series_is_extended_as_its_last_date_and_shortened_keeping_its_exceptions(club):
    series, dates, alice, bob, _lab, hall = club
    last_day = timezone.localtime(dates[3].start).date()
    services.series_change(
        series_id=series.pk,
        actor=alice,
        date_id=dates[3].pk,
        scope=Scope.THIS,
        edit=SeriesEdit(starts=time(12)),
    )  # the last date, changed by itself: the extension follows the usual date
    services.series_change(
        series_id=series.pk,
        actor=alice,
        date_id=dates[2].pk,
        scope=Scope.THIS,
        edit=SeriesEdit(room_id=hall.pk),
    )
    make_booking(
        dates[0].room, bob, *[moment + timedelta(weeks=5) for moment in (dates[0].start, dates[0].end)]
    )
    with pytest.raises(BookingError) as refused:
        services.series_until(series_id=series.pk, actor=alice, until=last_day + timedelta(weeks=2))
    assert "first by Bob Brown" in refused.value.message
    extended = services.series_until(
        series_id=series.pk, actor=alice, until=last_day + timedelta(weeks=2), free_dates_only=True
    )
    assert [local_times(b) for b in extended.bookings] == [
        (time(10), time(11))
    ]  # the week Bob has is left out
    assert [skip.taken for skip in extended.skipped.values()] == [True]
    series.refresh_from_db()
    assert series.until == last_day + timedelta(weeks=2)

    shortened = services.series_until(series_id=series.pk, actor=alice, until=last_day - timedelta(weeks=2))
    assert [b.pk for b in shortened.bookings] == [extended.bookings[0].pk]  # the dates after, but those
    assert Booking.objects.get(pk=dates[2].pk).is_confirmed  # changed by itself: kept
    assert Booking.objects.get(pk=dates[3].pk).is_confirmed
    assert not Booking.objects.get(pk=extended.bookings[0].pk).is_confirmed


JSON = {"HTTP_ACCEPT": "application/json"}


def test_the_change_page_previews_then_changes_and_json_says_the_same(club, client):
    series, dates, alice, bob, _lab, hall = club
    make_booking(hall, bob, dates[2].start, dates[2].end, purpose="Assembly")
    client.force_login(alice)
    page = client.get(f"/series/{series.pk}/change/", {"date": dates[1].pk})
    assert page.status_code == 200 and "Change a series" in page.content.decode()
    asked = {"date": dates[1].pk, "scope": "following", "room": hall.pk}
    preview = client.post(f"/series/{series.pk}/change/", {**asked, "preview": "1"}, **JSON).json()["preview"]
    assert [(d["state"], d["reason"]) for d in preview] == [
        ("moves", ""),
        ("taken", "Bob Brown"),
        ("moves", ""),
    ]
    shown = client.post(f"/series/{series.pk}/change/", {**asked, "preview": "1"}).content.decode()
    assert "Taken by Bob Brown" in shown and "Confirm change" in shown
    refused = client.post(f"/series/{series.pk}/change/", asked, **JSON)
    assert refused.status_code == 409 and refused.json()["code"] == "ROOM_NOT_AVAILABLE"
    changed = client.post(f"/series/{series.pk}/change/", {**asked, "free_dates_only": "on"}, **JSON)
    assert changed.status_code == 200 and changed.json()["message"] == "Series changed: 2 dates"
    assert changed.json()["seriesId"] != series.pk  # this and the following: a series of its own
    page = client.post(
        f"/series/{series.pk}/change/", {**asked, "starts": "12:00", "ends": "11:00", "preview": "1"}
    )
    assert page.status_code == 400 and "The end must be after the start." in page.content.decode()
    stranger = client.post(f"/series/{series.pk}/until/", {"until": "2999-01-01"}, **JSON)
    assert stranger.status_code == 400  # past the series limit: named
    assert stranger.json()["errors"]["until"]
    client.force_login(bob)
    assert client.post(f"/series/{series.pk}/change/", asked, **JSON).status_code == 404


def test_cancelling_this_and_the_following_from_my_bookings(club, client):
    series, dates, alice, *_ = club
    client.force_login(alice)
    answer = client.post(f"/series/{series.pk}/cancel-following/", {"date": dates[2].pk}, **JSON)
    assert answer.status_code == 200 and len(answer.json()["cancelled"]) == 2
    assert "Change series" in client.get("/bookings/").content.decode()


def test_a_series_moves_to_a_period_by_name_and_each_date_gets_its_times(club, client):
    series, dates, alice, *_ = club
    Period.objects.create(name="Period 1", starts=time(8), ends=time(9))
    Period.objects.create(name="Period 5", starts=time(13, 20), ends=time(14, 10))
    clear_all()
    client.force_login(alice)
    asked = {"date": dates[0].pk, "scope": "all", "period": "Period 5"}
    answer = client.post(f"/series/{series.pk}/change/", asked, **JSON)
    assert answer.status_code == 200, answer.content
    assert {local_times(b) for b in Booking.objects.filter(series=series)} == {(time(13, 20), time(14, 10))}
    both = client.post(f"/series/{series.pk}/change/", {**asked, "starts": "09:00"}, **JSON)
    assert both.json()["errors"] == {"period": ["Choose a period or times, not both."]}
    clear_all()


def test_a_room_the_teacher_may_not_book_is_refused_naming_the_room_and_nothing_changes(club):
    series, dates, alice, _bob, lab, hall = club
    BookingRule.objects.create(room=hall).only_groups.add(Group.objects.create(name="Leadership"))
    clear_all()
    with pytest.raises(BookingError) as refused:
        services.series_change(
            series_id=series.pk,
            actor=alice,
            date_id=dates[0].pk,
            scope=Scope.ALL,
            edit=SeriesEdit(room_id=hall.pk),
        )
    assert refused.value.errors == {"room": ["Only Leadership can book Hall."]}
    assert {b.room for b in Booking.objects.filter(series=series)} == {lab}
    clear_all()
