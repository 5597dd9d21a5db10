"""A teacher's access tokens on their account page: made (shown once), listed, used on
the API, revoked; nobody else's shown or revoked."""

import re

import pytest
from django.test import Client

from teachers import tokens
from teachers.models import AccessToken
from tests.factories import make_teacher

pytestmark = pytest.mark.django_db

PAGE = "/account/tokens/"


def api_me(token: str):
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_token_made_on_the_page_is_shown_once_works_and_is_revoked_there(as_alice, alice):
    made = as_alice.post(PAGE, {"name": "Hall signage", "scope": "read", "days": "90"})
    assert made.status_code == 200
    token = re.search(r'id="made-token"[^>]*value="(rc_[^"]+)"', made.content.decode()).group(1)
    assert "Copy it now: it is not shown again." in made.content.decode()

    listed = as_alice.get(PAGE).content.decode()
    assert "Hall signage" in listed and token not in listed  # listed, the secret not shown again
    assert '<a href="/api/v1/docs">How to use one' in listed  # the API's reference, a click away
    assert api_me(token).json()["username"] == alice.username
    assert "never" not in as_alice.get(PAGE).content.decode()  # its last use is listed

    row = AccessToken.objects.get(teacher=alice)
    revoked = as_alice.post(f"{PAGE}{row.prefix}/revoke/", follow=True)
    assert "Token “Hall signage” revoked: it no longer works." in revoked.content.decode()
    assert api_me(token).json()["code"] == tokens.TOKEN_REVOKED


def test_nobody_revokes_or_sees_anothers_token(as_alice, alice):
    bob = make_teacher("Bob Brown")
    row, token = tokens.make(bob, name="Bob's planner", scope="book", days=30)
    assert "Bob's planner" not in as_alice.get(PAGE).content.decode()
    refused = as_alice.post(f"{PAGE}{row.prefix}/revoke/", HTTP_ACCEPT="application/json")
    assert refused.status_code == 404
    assert api_me(token).status_code == 200


@pytest.mark.parametrize(
    ("posted", "field"),
    [
        ({"name": "", "scope": "read", "days": "90"}, "name"),
        ({"name": "x" * 101, "scope": "read", "days": "90"}, "name"),
        ({"name": "Script", "scope": "admin", "days": "90"}, "scope"),
        ({"name": "Script", "scope": "read", "days": "7"}, "days"),
        ({"name": "Script", "scope": "read", "days": "forever"}, "days"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_makes_no_token(as_alice, posted, field):
    answer = as_alice.post(PAGE, posted)
    assert answer.status_code == 400
    assert re.search(rf'<div class="field has-error">\s*<label for="id_{field}"', answer.content.decode())
    assert not AccessToken.objects.exists()


def test_strangers_get_nothing():
    assert Client().get(PAGE).status_code == 302
    assert Client().post(PAGE, {"name": "x", "scope": "book", "days": "30"}).status_code == 302
    assert not AccessToken.objects.exists()
