"""The dashboard search: only free rooms, best fit first, clear errors."""

import pytest
from django.utils import timezone

from bookings.availability import rooms_free_between
from tests.factories import at, make_booking, make_room, make_teacher

pytestmark = pytest.mark.django_db


def search(client, headers=None, **params):
    day = timezone.localtime(at(10)).date().isoformat()
    query = {"date": day, "start": "10:00", "end": "11:00", "capacity": "1", **params}
    return client.get("/", query, headers=headers)


def shown_rooms(response):
    return [room.name for room in response.context["rooms"]]


def test_only_rooms_free_for_the_whole_period_appear(as_alice):
    free, taken, edge, closed = (make_room(name) for name in ("Free", "Taken", "Edge", "Closed"))
    closed.is_active = False
    closed.save()
    teacher = make_teacher()
    make_booking(taken, teacher, at(10.75), at(12))
    make_booking(edge, teacher, at(9), at(10))
    make_booking(free, teacher, at(10), at(11), status="cancelled")
    response = search(as_alice)
    assert response.status_code == 200
    assert sorted(shown_rooms(response)) == ["Edge", "Free"]


def test_best_fit_first_smallest_room_then_fewest_extras_then_name(as_alice):
    make_room("Hall", capacity=120)
    make_room("Small B", capacity=20, features=("projector",))
    make_room("Small A", capacity=20, features=("projector",))
    make_room("Small lab", capacity=20, features=("projector", "lab"))
    make_room("Tiny", capacity=8, features=("projector",))
    make_room("Medium", capacity=30, features=("projector",))
    response = search(as_alice, capacity="12", feature="projector")
    assert shown_rooms(response) == ["Small A", "Small B", "Small lab", "Medium"]


def test_every_requested_feature_is_required(as_alice):
    make_room("Lab", features=("lab", "projector"))
    make_room("Projector only", features=("projector",))
    response = as_alice.get(
        "/",
        {
            "date": timezone.localtime(at(10)).date().isoformat(),
            "start": "10:00",
            "end": "11:00",
            "capacity": "1",
            "feature": ["lab", "projector"],
        },
    )
    assert shown_rooms(response) == ["Lab"]


def test_results_are_cards_with_a_claim_room_button(as_alice):
    room = make_room("Room 101", capacity=24, features=("projector",), building="Science Wing")
    page = search(as_alice, capacity="20").content.decode()
    assert 'id="search-results"' in page
    assert f'data-room-id="{room.pk}"' in page
    for text in ("Room 101", "Science Wing", "24", "Projector", "Claim Room", "4 to spare"):
        assert text in page


def test_empty_state_suggests_widening_the_search(as_alice):
    make_room("Small", capacity=8)
    page = search(as_alice, capacity="50").content.decode()
    assert "No room is free" in page
    assert "fewer seats" in page


def test_defaults_to_the_next_hour_today(as_alice):
    make_room("Room 101")
    response = as_alice.get("/")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.is_valid()
    assert form.cleaned_data["period_start"] > timezone.now()
    assert shown_rooms(response) == ["Room 101"]


@pytest.mark.parametrize(
    ("params", "bad_field"),
    [
        ({"date": "someday"}, "date"),
        ({"start": "25:00"}, "start"),
        ({"start": "11:00", "end": "10:00"}, "end"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"feature": "teleporter"}, "feature"),
    ],
)
def test_bad_search_answers_400_naming_the_field(as_alice, params, bad_field):
    response = search(as_alice, **params)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [bad_field]
    assert response.context["rooms"] is None


def test_past_period_is_refused(as_alice):
    yesterday = timezone.localtime(at(10, days=-1)).date().isoformat()
    response = search(as_alice, date=yesterday)
    assert response.status_code == 400
    assert "start" in response.context["form"].errors


def test_results_fragment_is_the_results_region_alone(as_alice):
    make_room("Room 101")
    page = search(as_alice, headers={"X-Fragment": "search-results"}).content.decode()
    assert page.lstrip().startswith('<section id="search-results"')
    assert "<html" not in page
    assert "Room 101" in page


def test_search_costs_a_fixed_number_of_queries(django_assert_num_queries, school_settings_loaded):
    teacher = make_teacher()
    for number in range(30):
        room = make_room(f"Room {number}", features=("projector", "whiteboard"))
        make_booking(room, teacher, at(9), at(10))
    with django_assert_num_queries(2):  # the free rooms, then their features
        rooms = list(rooms_free_between(at(10), at(11), seats=1))
        assert sum(len(room.features.all()) for room in rooms) == 60


def test_many_free_rooms_show_the_best_fits_and_say_there_are_more(as_alice):
    for number in range(35):
        make_room(f"Room {number:02d}", capacity=10 + number)
    response = search(as_alice, capacity="5")
    assert shown_rooms(response) == [f"Room {number:02d}" for number in range(30)]
    page = response.content.decode()
    assert "More than 30 rooms free" in page
    assert "add seats or features" in page


def test_seats_may_be_left_out_of_a_link(as_alice):
    make_room("Room 101", capacity=8)
    day = timezone.localtime(at(10)).date().isoformat()
    response = as_alice.get("/", {"date": day, "start": "10:00", "end": "11:00"})
    assert response.status_code == 200
    assert shown_rooms(response) == ["Room 101"]


def test_taken_rooms_are_listed_below_with_who_has_them_and_a_way_to_wait(as_alice):
    taken = make_room("Taken", capacity=30)
    make_room("Free", capacity=30)
    make_booking(taken, make_teacher("Bob Brown"), at(9.5), at(10.5))
    response = search(as_alice)
    assert shown_rooms(response) == ["Free"]
    assert [room.name for room in response.context["taken"]] == ["Taken"]
    page = response.content.decode()
    assert "Booked by Bob Brown, free again at 10:30" in page
    assert f'action="/rooms/{taken.pk}/waitlist/"' in page
    day = timezone.localtime(at(10)).date().isoformat()
    joined = as_alice.post(f"/rooms/{taken.pk}/waitlist/", {"start": f"{day}T10:00", "end": f"{day}T11:00"})
    assert joined.status_code == 303


def test_a_teacher_who_has_a_room_then_is_told_so_and_may_still_book_another(as_alice, alice):
    mine = make_room("Room 118")
    make_room("Room 119")
    make_booking(mine, alice, at(10), at(11))
    response = search(as_alice)
    assert "You already have Room 118 then (10:00\u201311:00)" in response.content.decode()
    assert shown_rooms(response) == ["Room 119"]


def test_the_cards_addresses_are_the_urlconfs():
    from django.urls import reverse

    from rooms.templatetags.room_paths import ROOM_ACTIONS, room_path

    assert room_path(42) == reverse("rooms:room", args=[42])
    for action, name in ROOM_ACTIONS.items():
        assert room_path(42, action) == reverse(name, args=[42])
