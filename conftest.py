"""Suite-wide set-up: a clean lock store per test, the teachers and room most tests
start from, and the service check for the PostgreSQL + Redis part, which fails loudly
instead of skipping."""

import psycopg
import pytest
import redis
from django.conf import settings

from bookings import locks
from rooms.settings_cache import clear_all
from tests.factories import make_room, make_teacher


def pytest_collection_finish(session):
    needs_services = any(item.get_closest_marker("postgres") for item in session.items)
    if not needs_services:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.exit(
            "The race tests need PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/roomclaim "
            "(or run with -m 'not postgres').",
            returncode=3,
        )
    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0]
        pytest.exit(f"PostgreSQL cannot be reached ({first_line}): set DATABASE_URL.", returncode=3)
    if not settings.REDIS_URL:
        pytest.exit("The race tests need Redis: set REDIS_URL=redis://127.0.0.1:6379/0.", returncode=3)
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.exit(f"Redis at REDIS_URL={settings.REDIS_URL} cannot be reached ({exc}).", returncode=3)


@pytest.hookimpl(trylast=True)  # after pytest-django's own order, which it keeps
def pytest_collection_modifyitems(items):
    """Tests in a browser last: Playwright's sync API keeps an event loop running in this
    thread from the first of them to the session's end, and an asyncio test after them
    could not start its own."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Test pages link unhashed static files; no collectstatic needed in-process."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True, scope="session")
def _no_signed_in_copies_from_earlier_runs():
    """A new test database numbers its teachers from 1 again: copies of an earlier run's
    teachers (teachers/backends.py) would be read for this run's, and end their sessions."""
    if settings.SIGNED_IN_CACHE:
        prefix = settings.CACHES[settings.SIGNED_IN_CACHE]["KEY_PREFIX"]
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*:teacher:*"):
            client.delete(key)


@pytest.fixture(autouse=True)
def _clean_locks():
    locks.store().clear()
    yield
    locks.store().clear()


@pytest.fixture(autouse=True)
def _fresh_school_settings():
    """The calendar and rules as this test's database has them (a test database is
    emptied without the signals that clear the copies)."""
    clear_all()
    yield
    clear_all()


@pytest.fixture
def school_settings_loaded():
    """The calendar and rules already in memory, as in a server that has run a while:
    for tests that count a request's queries."""
    from bookings.rules import limits_for
    from rooms.schoolcalendar import calendar

    calendar()
    limits_for(None, 0)


@pytest.fixture(scope="session")
def live_servers(django_db_setup, django_db_blocker):
    """Two daphne processes with production settings on the test database and Redis,
    as a school runs them. Stopped before the test database is dropped."""
    from tests.servers import DaphneServers, collectstatic, servers_env

    env = servers_env()
    collectstatic(env)
    with DaphneServers(env, count=2) as servers:
        yield servers


@pytest.fixture
def alice():
    return make_teacher("Alice Adams")


@pytest.fixture
def bob():
    return make_teacher("Bob Brown")


@pytest.fixture
def room():
    return make_room("Room 101", capacity=30)


@pytest.fixture
def as_alice(client, alice):
    """A client logged in as Alice."""
    client.force_login(alice)
    return client


@pytest.fixture
def people(alice, bob, room):
    return alice, bob, room
