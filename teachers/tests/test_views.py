"""The teacher's own pages: email notification settings."""

import pytest

from tests.factories import PASSWORD, make_teacher

pytestmark = pytest.mark.django_db


def test_settings_page_saves_preferences(client):
    alice = make_teacher()
    client.force_login(alice)
    assert client.get("/account/notifications/").status_code == 200
    response = client.post(
        "/account/notifications/",
        {"email": "alice@school.example", "notify_waitlist_offer": "on", "current_password": PASSWORD},
        follow=True,
    )
    assert "Notification settings saved" in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@school.example"
    assert (alice.notify_booking_confirmed, alice.notify_cancelled_by_admin, alice.notify_waitlist_offer) == (
        False,
        False,
        True,
    )
    assert client.post("/account/notifications/", {"email": "not an address"}).status_code == 400


def test_settings_page_is_for_teachers_only(client):
    assert client.get("/account/notifications/").status_code == 302


@pytest.mark.django_db
def test_me_says_who_is_logged_in_and_nothing_to_strangers(client):
    teacher = make_teacher("Alice Adams")
    assert client.get("/account/me/", HTTP_ACCEPT="application/json").status_code == 401
    client.force_login(teacher)
    assert client.get("/account/me/").json() == {
        "id": teacher.pk,
        "username": teacher.username,
        "name": "Alice Adams",
        "isStaff": False,
    }
