"""Security headers every page carries."""

import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy_and_a_permissions_policy(as_alice):
    response = as_alice.get("/")
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_server_timing_only_when_the_setting_asks_for_it(as_alice, settings):
    assert "Server-Timing" not in as_alice.get("/")
    settings.SERVER_TIMING = True
    assert as_alice.get("/")["Server-Timing"].startswith("app;dur=")


def test_no_page_has_an_inline_script_or_style(as_alice, room):
    for path in ("/", "/bookings/", "/account/notifications/", f"/rooms/{room.pk}/hold/"):
        response = (
            as_alice.get(path) if "hold" not in path else as_alice.post(path, {"start": "x", "end": "y"})
        )
        page = response.content.decode()
        assert "<script>" not in page and "<style" not in page and 'style="' not in page


def test_pages_name_their_icon_and_describe_themselves(client, as_alice):
    page = as_alice.get("/bookings/").content.decode()
    assert '<meta name="description" content="Find a free room' in page
    assert 'rel="icon" href="/static/favicon.svg"' in page
    # Pages that name no icon (the admin's) make the browser ask for /favicon.ico.
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon["Location"] == "/static/favicon.svg"
