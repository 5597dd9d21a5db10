"""The session and the signed-in teacher are read from Redis, shared by every server
process (teachers/backends.py, config/cache.py): a logout, a password change or a
deactivation on one process must hold on the other at once, and an unreachable Redis must
cost neither a sign-in nor a page."""

import logging
import re

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches
from django.db import connection

from teachers import backends
from teachers.backends import TeacherBackend
from teachers.sessions import SessionStore
from tests.factories import PASSWORD, make_teacher
from tests.servers import logged_in_client

pytestmark = pytest.mark.postgres

NEW_PASSWORD = "a-new-and-long-Passphrase-42"


def copies(teacher_id: int, session_key: str) -> dict[str, int]:
    """The Redis copies of a teacher and of a session: key -> seconds left to live."""
    store = redis.Redis.from_url(settings.REDIS_URL)
    prefix = settings.CACHES[settings.SIGNED_IN_CACHE]["KEY_PREFIX"]
    keys = [
        *store.scan_iter(f"{prefix}:*:teacher:{teacher_id}:*"),
        *store.scan_iter(f"{prefix}:*{session_key}"),
    ]
    return {key.decode(): store.ttl(key) for key in keys}


@sync_to_async
def deactivate(teacher) -> None:
    teacher.is_active = False
    teacher.save()
    connection.close()  # this thread's, before the test database is dropped


async def answer_to(client, base_url: str, session: str) -> int:
    """What ``/account/me/`` answers on ``base_url`` to the session cookie ``session``."""
    client.cookies.set("sessionid", session)
    return (await client.get(f"{base_url}/account/me/")).status_code


async def signed_in(base_url: str, teacher):
    client = await logged_in_client(base_url, teacher.username, PASSWORD)
    return client, client.cookies["sessionid"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_logout_on_one_process_ends_the_session_on_the_other(live_servers, alice):
    teacher = alice
    first, second = live_servers.urls
    client, session = await signed_in(first, teacher)
    try:
        assert await answer_to(client, second, session) == 200
        kept = copies(teacher.pk, session)
        assert len(kept) == 2, kept  # the session and the teacher, read from Redis now
        assert all(0 < seconds <= settings.SIGNED_IN_CACHE_SECONDS for seconds in kept.values())

        assert (await client.post(f"{first}/accounts/logout/")).status_code == 302
        assert await answer_to(client, second, session) == 401  # the old cookie, replayed
    finally:
        await client.aclose()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_password_change_on_one_process_ends_the_other_sessions_on_the_other(live_servers, alice):
    teacher = alice
    first, second = live_servers.urls
    laptop, laptop_session = await signed_in(first, teacher)
    phone, phone_session = await signed_in(second, teacher)
    try:
        assert await answer_to(phone, second, phone_session) == 200
        assert len(copies(teacher.pk, phone_session)) == 2

        page = await laptop.get(f"{first}/accounts/password_change/", headers={"Accept": "text/html"})
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        changed = await laptop.post(
            f"{first}/accounts/password_change/",
            data={
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
                "csrfmiddlewaretoken": token,
            },
            headers={"Accept": "text/html"},
        )
        assert changed.status_code == 302, changed.text[:500]

        assert await answer_to(phone, second, phone_session) == 401
        laptop_session = laptop.cookies["sessionid"]  # the changing session goes on, here and there
        assert await answer_to(laptop, second, laptop_session) == 200
        assert await answer_to(laptop, first, laptop_session) == 200
    finally:
        await laptop.aclose()
        await phone.aclose()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_teacher_deactivated_elsewhere_is_refused_at_once(live_servers, alice):
    teacher = alice
    first, second = live_servers.urls
    client, session = await signed_in(first, teacher)
    try:
        for url in (first, second):
            assert await answer_to(client, url, session) == 200
        assert len(copies(teacher.pk, session)) == 2

        # As the admin and the staff import do it, in a process of its own (this test's).
        await deactivate(teacher)

        for url in (first, second):
            assert await answer_to(client, url, session) == 401
    finally:
        await client.aclose()


@pytest.mark.django_db(transaction=True)
def test_a_session_read_just_before_its_logout_is_not_copied_back():
    """Two requests of one session: one reads the session's row, the other logs out, then
    the first would keep its copy of what it read. The logout holds."""
    session = SessionStore()
    session["_auth_user_id"] = "1"
    session.create()
    reading = SessionStore(session.session_key)
    row = reading._get_session_from_db()

    SessionStore(session.session_key).flush()  # the logout
    reading._cache.fill(reading.cache_key, reading.decode(row.session_data))

    assert SessionStore(session.session_key).load() == {}


@pytest.mark.django_db(transaction=True)
def test_a_teacher_read_just_before_a_deactivation_is_not_copied_back(alice):
    backend = TeacherBackend()
    assert backend.get_user(alice.pk) == alice  # copied
    values = tuple(getattr(alice, name) for name in backends._fields())  # a request reads the row

    alice.is_active = False
    alice.save()  # the deactivation
    caches[settings.SIGNED_IN_CACHE].fill(backends._key(alice.pk), values)  # ...then fills

    assert backend.get_user(alice.pk) is None


@pytest.mark.django_db
def test_with_redis_unreachable_sign_in_and_pages_read_the_database(client, settings, caplog):
    """Nothing listens on port 1: each request reads the rows; the outage is logged once,
    and after the first failure Redis is not asked again for a while (no timeout paid)."""
    settings.CACHES = {
        **settings.CACHES,
        settings.SIGNED_IN_CACHE: {
            **settings.CACHES[settings.SIGNED_IN_CACHE],
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    settings.LOCK_STORE_RETRY_SECONDS = 60
    teacher = make_teacher("Alice Adams")
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        signed = client.post("/accounts/login/", {"username": teacher.username, "password": PASSWORD})
        assert signed.status_code == 302
        for _ in range(3):
            answer = client.get("/account/me/", HTTP_ACCEPT="application/json")
            assert answer.status_code == 200
            assert answer.json()["username"] == teacher.username
        assert client.post("/accounts/logout/").status_code == 302
        assert client.get("/account/me/", HTTP_ACCEPT="application/json").status_code == 401
    outages = [record for record in caplog.records if "Session cache unreachable" in record.getMessage()]
    assert len(outages) == 1
