"""Servers and clients for the benchmarks: the production set-up (per process pair,
gunicorn's threads for HTTP and daphne for the live sockets, as deploy/ runs them) or N
daphne processes serving both (``make run``'s way), on PostgreSQL + Redis with production
settings (DEBUG off); a throw-away database, and logged-in HTTP clients."""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import redis

from bookings.integrity import OVERLAPPING_PAIRS_SQL
from tests.servers import DaphneServers, gunicorn_command, production_env
from tests.servers import logged_in_client as _logged_in_client

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB_NAME", "roomclaim_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
PASSWORD = "bench-pass-123"

logger = logging.getLogger("bench")


def database_url() -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"


def server_env(**extra: str) -> dict[str, str]:
    return production_env(
        database_url=database_url(),
        redis_url=REDIS_URL,
        CHANNEL_LAYER_PREFIX="roomclaim-bench",
        SERVER_TIMING="true",  # the search scenario reads the app's own time
        # The fan-out's sockets belong to the 40 teachers the bench logs in: 5,000 of them are
        # 63 per session on each daphne process, where a school's teacher has a few tabs.
        SOCKETS_PER_SESSION="100",
        **extra,
    )


def manage(*args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env or server_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def fresh_database() -> None:
    """Drop and recreate the bench database, migrate it, empty the bench Redis db."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    redis.Redis.from_url(REDIS_URL).flushdb()
    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")


def sql(query: str, *params) -> list[tuple]:
    with psycopg.connect(database_url()) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def overlapping_pairs() -> int:
    return sql(OVERLAPPING_PAIRS_SQL)[0][0]


class Servers(DaphneServers):
    """Two (or ``count``) production-settings servers on the bench database, each serving
    HTTP and the live sockets (daphne, unless ``command`` says otherwise)."""

    def __init__(self, count: int = 2, base_port: int = 8101, command: list[str] | None = None, **env: str):
        super().__init__(server_env(**env), ports=[base_port + n for n in range(count)], command=command)

    @property
    def live_urls(self) -> list[str]:
        return self.urls


class ProductionServers(contextlib.AbstractContextManager):
    """The production set-up, as deploy/ runs it: ``count`` gunicorn processes (WSGI,
    ``threads`` threads each) answer HTTP, and ``count`` daphne processes hold the live
    sockets; events cross between them through Redis. ``pids``: all of them, so a
    measure of server CPU counts the sockets' side too."""

    def __init__(self, count: int = 2, base_port: int = 8101, threads: int = 8, **env: str):
        shared = server_env(**env)  # one environment: one SECRET_KEY signs every session
        http_ports = [base_port + n for n in range(count)]
        self.http = DaphneServers(shared, ports=http_ports, command=gunicorn_command(threads=threads))
        self.live = DaphneServers(shared, ports=[port + 50 for port in http_ports])

    @property
    def urls(self) -> list[str]:
        return self.http.urls

    @property
    def live_urls(self) -> list[str]:
        return self.live.urls

    @property
    def pids(self) -> list[int]:
        return self.http.pids + self.live.pids

    def __enter__(self) -> ProductionServers:
        self.http.__enter__()
        try:
            self.live.__enter__()
        except Exception:
            self.http.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.live.__exit__(*exc)
        self.http.__exit__(*exc)


async def logged_in_client(base_url: str, username: str, password: str = PASSWORD):
    return await _logged_in_client(base_url, username, password)


def percentile(values, pct: float) -> float:
    """Nearest-rank percentile: the smallest value with ``pct`` percent at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def slot(day_offset: int, hour: float, minutes: int = 60) -> tuple[str, str]:
    """Form values (UTC, the bench servers' zone) for a period ``day_offset`` days ahead."""
    day = datetime.now(UTC).date() + timedelta(days=day_offset)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)
    end = start + timedelta(minutes=minutes)
    return start.strftime("%Y-%m-%dT%H:%M"), end.strftime("%Y-%m-%dT%H:%M")


_fresh = itertools.count()


def fresh_slot(first_day: int = 120) -> tuple[str, str]:
    """A half-hour that no other call (in this run) gets, from ``first_day`` days ahead."""
    day, half_hour = divmod(next(_fresh), 20)
    return slot(first_day + day, 8 + half_hour * 0.5, minutes=30)
