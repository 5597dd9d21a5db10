"""Logging in, password reset and the account's email: limits on tries, the password asked
again, sessions that last a school day."""

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client

from bookings import notifications
from bookings.models import Notification
from teachers.models import Teacher, ThrottleEvent
from tests.factories import PASSWORD, make_teacher

pytestmark = pytest.mark.django_db


def log_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_an_account_is_locked_after_five_failures_until_an_admin_unlocks_it(client, admin_client):
    alice = make_teacher(username="alice")
    for _ in range(4):
        assert log_in(client, "alice", "wrong-guess").status_code == 200
    assert log_in(client, "alice", "wrong-guess").status_code == 429  # the fifth locks the account
    locked = log_in(client, "alice", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins for this account" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    admin_client.post(
        "/admin/teachers/teacher/", {"action": "unlock_sign_in", "_selected_action": [alice.pk]}
    )
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_an_address_that_keeps_failing_is_refused_before_the_password_is_checked(client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    make_teacher(username="bob")
    for name in ("carol", "dave", "erin"):  # a different account each time: no account lock
        log_in(client, name, "wrong-guess")
    refused = log_in(client, "bob", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed logins from your network" in refused.content.decode()


def test_behind_a_proxy_each_client_is_counted_by_its_own_address_and_spoofing_is_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for number in range(2, 7):  # five clients behind nginx, each writing a false address first
        forwarded = f"203.0.113.9, 198.51.100.{number}"
        log_in_from = client.post(
            "/accounts/login/",
            {"username": f"nobody{number}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=forwarded,
            REMOTE_ADDR="127.0.0.1",
        )
        assert log_in_from.status_code == 200
    recorded = set(ThrottleEvent.objects.values_list("key", flat=True))
    assert recorded == {f"198.51.100.{number}" for number in range(2, 7)}
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == recorded


def test_without_a_trusted_proxy_x_forwarded_for_is_anyones_to_write_and_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    client.post("/accounts/login/", {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert list(ThrottleEvent.objects.values_list("key", flat=True)) == ["127.0.0.1"]


def test_password_reset_requests_are_limited_per_account(client):
    make_teacher(username="alice", email="alice@school.example")
    for _ in range(3):
        assert client.post("/accounts/password_reset/", {"email": "alice@school.example"}).status_code == 302
    refused = client.post("/accounts/password_reset/", {"email": "Alice@school.example"})
    assert refused.status_code == 429
    assert "Too many password reset requests" in refused.content.decode()
    notifications.send_all()
    assert len(mail.outbox) == 3
    assert "choose a new password" in mail.outbox[0].subject
    assert "&amp;" not in mail.outbox[0].body


def test_a_reset_for_a_known_address_is_queued_not_sent_in_the_request(client):
    """Sending inside the request took the mail server's time for a known address only,
    which told anyone timing the answer which addresses have accounts."""
    alice = make_teacher(username="alice", email="alice@school.example")
    for address in ("alice@school.example", "nobody@school.example"):
        assert client.post("/accounts/password_reset/", {"email": address}).status_code == 302
    assert mail.outbox == []  # nothing was sent while the request waited
    assert notifications.send_all() == (1, 0)
    (message,) = mail.outbox
    assert message.to == ["alice@school.example"]
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path).status_code == 302  # the link works: on to choosing the password
    html = message.alternatives[0][0]
    assert '<a href="http' in html and "/accounts/reset/" in html
    assert Notification.objects.get().details == {}  # the link is not kept once sent
    assert alice.has_usable_password()


def test_the_password_reset_pages_are_in_roomclaims_look(client):
    page = client.get("/accounts/password_reset/").content.decode()
    assert "Reset your password" in page and "app.css" in page
    assert "Forgot your password?" in client.get("/accounts/login/").content.decode()


def test_changing_the_email_asks_for_the_password(client):
    alice = make_teacher(email="alice@school.example")
    client.force_login(alice)
    refused = client.post("/account/notifications/", {"email": "mallory@evil.example"})
    assert refused.status_code == 400
    assert "Enter your password to change your email address." in refused.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@school.example"
    client.post("/account/notifications/", {"email": "alice@new.example", "current_password": PASSWORD})
    alice.refresh_from_db()
    assert alice.email == "alice@new.example"


def test_a_session_lasts_a_school_day_and_a_password_change_ends_the_others(settings):
    assert settings.SESSION_COOKIE_AGE == 10 * 3600
    make_teacher(username="alice")
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        assert log_in(client, "alice", PASSWORD).status_code == 302
    new = "a-new-Passw0rd-for-alice"
    changed = here.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert changed.status_code == 302
    assert here.get("/").status_code == 200  # this session goes on
    assert elsewhere.get("/").status_code == 302  # the other one has ended
    assert Teacher.objects.get(username="alice").check_password(new)
