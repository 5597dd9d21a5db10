"""The system under faults: two daphne servers with production settings, their own
Redis, and a TCP proxy in front of PostgreSQL, on a throw-away database; and a bounded
claim load that records every answer, so each one can be checked against the database."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

from bookings.integrity import OVERLAPPING_PAIRS_SQL
from tests.factories import PASSWORD
from tests.processes import RedisServer, TcpProxy
from tests.servers import ROOT, DaphneServers, collectstatic, logged_in_client, production_env

PG_ADMIN_URL = os.environ.get("FAULTS_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = "roomclaim_faults"
TEACHERS = 40
ROOMS = 24
# Tight limits, so that each fault plays out in seconds.
LIMITS = {
    "DB_LOCK_TIMEOUT": "2",
    "DB_STATEMENT_TIMEOUT": "4",
    "DB_IDLE_IN_TRANSACTION_TIMEOUT": "3",
    "DB_CONNECT_TIMEOUT": "2",
    "DB_POOL_MAX": "6",
    "DB_POOL_TIMEOUT": "3",
    "LOCK_STORE_RETRY_SECONDS": "1",
    "CLAIM_VERIFY_SECONDS": "6",
    "MAX_REQUESTS_IN_FLIGHT": "32",
}


def database_url(port: int = 5432) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{DB_NAME}"


def sql(query: str, *params) -> list[tuple]:
    with psycopg.connect(database_url()) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


class System(contextlib.AbstractContextManager):
    """Servers ``a`` and ``b`` (``DB_APPLICATION_NAME`` roomclaim-a / -b, so PostgreSQL
    tells their sessions apart), Redis, the proxy."""

    def __init__(self) -> None:
        self.redis = RedisServer()
        self.proxy = TcpProxy(5432)
        self.servers: dict[str, DaphneServers] = {}

    def env(self, name: str) -> dict[str, str]:
        return production_env(
            database_url=database_url(self.proxy.port),
            redis_url=self.redis.url,
            DB_APPLICATION_NAME=f"roomclaim-{name}",
            CHANNEL_LAYER_PREFIX="faults",
            **LIMITS,
        )

    def __enter__(self) -> System:
        """Everything started, or (when a step fails) everything started so far stopped:
        a failed start leaves no Redis, proxy or server of ours behind."""
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        self.redis.start()
        self.proxy.__enter__()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{DB_NAME}"')
        direct = production_env(database_url=database_url(), redis_url=self.redis.url)
        for command in (
            ["migrate", "--noinput", "-v0"],
            [
                "seed_demo",
                "--bare",
                "--teachers",
                str(TEACHERS),
                "--rooms",
                str(ROOMS),
                "--password",
                PASSWORD,
            ],
        ):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=direct, check=True)
        collectstatic(direct)
        for name in ("a", "b"):
            self.start_server(name)

    def start_server(self, name: str) -> None:
        self.servers[name] = DaphneServers(self.env(name), count=1).__enter__()

    def stop_server(self, name: str) -> None:
        self.servers.pop(name).__exit__(None, None, None)

    def url(self, name: str) -> str:
        return self.servers[name].urls[0]

    def pid(self, name: str) -> int:
        return self.servers[name].pids[0]

    def kill(self, name: str) -> None:
        os.kill(self.pid(name), signal.SIGKILL)
        self.servers[name].processes[0].wait()

    def freeze(self, name: str) -> None:
        os.kill(self.pid(name), signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        os.kill(self.pid(name), signal.SIGCONT)

    def holds_a_room_row_lock(self, name: str) -> bool:
        """Whether server ``name`` has a transaction open that locks a room's row."""
        rows = sql(
            """SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE a.application_name = %s AND l.granted
                  AND l.relation = 'rooms_room'::regclass AND l.mode = 'RowShareLock'""",
            f"roomclaim-{name}",
        )
        return rows[0][0] > 0

    def log_tails(self) -> dict[str, str]:
        """The end of each server's log, for a failure's message."""
        tails = {}
        for name, servers in self.servers.items():
            log = servers.logs[0]
            log.seek(0)
            tails[name] = log.read().decode(errors="replace")[-3000:]
        return tails

    def __exit__(self, *exc) -> None:
        for name in list(self.servers):
            with contextlib.suppress(ProcessLookupError):
                self.thaw(name)
            self.stop_server(name)
        self.proxy.__exit__(*exc)  # each part stops only what it started
        self.redis.__exit__(*exc)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


@dataclass(frozen=True)
class Answer:
    server: str
    teacher: str
    room_id: int
    start: str
    end: str
    sent: float
    took: float
    status: int | None  # None: no answer (connection refused, timed out)
    code: str | None
    booking_id: int | None


@dataclass
class Load:
    """Teachers claiming rooms on both servers, each waiting for its answer before the next
    claim. Every period is new, except that now and then a teacher claims one a colleague
    just claimed (a real contest). Each teacher claims a period once at most."""

    system: System
    clients: dict[str, list[tuple[str, httpx.AsyncClient]]] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)
    room_ids: list[int] = field(default_factory=list)
    _slots: itertools.count = field(default_factory=lambda: itertools.count(1))
    _recent: list[tuple[int, str, str, str]] = field(default_factory=list)
    day_offset: int = 1

    async def log_in(self) -> None:
        self.room_ids = [row[0] for row in sql("SELECT id FROM rooms_room ORDER BY id")]
        for index in range(TEACHERS):
            name = "a" if index % 2 == 0 else "b"
            username = f"teacher{index + 1}"
            client = await logged_in_client(self.system.url(name), username, PASSWORD)
            client.timeout = httpx.Timeout(15)
            self.clients.setdefault(name, []).append((username, client))

    async def until_ready(self, name: str, limit: float = 30) -> float:
        """Seconds until ``/readyz`` of server ``name`` says it reaches its database (a
        process whose pool timed out reconnects in the background, with a backoff)."""
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=self.system.url(name), timeout=10) as client:
            while (await client.get("/readyz")).status_code != 200:
                assert time.monotonic() - started < limit, f"{name} was not ready within {limit} s"
                await asyncio.sleep(0.2)
        return time.monotonic() - started

    async def reconnect(self, name: str) -> None:
        """A restarted server: new port, new sessions."""
        for _, client in self.clients.get(name, []):
            await client.aclose()
        self.clients[name] = []
        for index in range(1 if name == "a" else 2, TEACHERS + 1, 2):
            username = f"teacher{index}"
            client = await logged_in_client(self.system.url(name), username, PASSWORD)
            client.timeout = httpx.Timeout(15)
            self.clients[name].append((username, client))

    def slot(self, teacher: str) -> tuple[int, str, str]:
        contest = [s for s in self._recent[-8:] if s[3] != teacher]
        if contest and random.random() < 0.25:
            taken = random.choice(contest)
            self._recent.remove(taken)  # contested by two teachers, not more
            return taken[:3]
        number = next(self._slots)
        room_id = self.room_ids[number % len(self.room_ids)]
        day = datetime.now(UTC).date() + timedelta(days=self.day_offset + number // (len(self.room_ids) * 20))
        minute = (number // len(self.room_ids)) % 20 * 30
        begins = datetime(day.year, day.month, day.day, 7, 0) + timedelta(minutes=minute)
        start, end = (
            begins.strftime("%Y-%m-%dT%H:%M"),
            (begins + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        )
        self._recent.append((room_id, start, end, teacher))
        return room_id, start, end

    async def claim(
        self, name: str, teacher: str, client: httpx.AsyncClient, slot=None, timeout: float | None = None
    ) -> Answer:
        """One claim; an answer not back within ``timeout`` (the client's own, if None) is
        "no answer", as a teacher whose page gave up would see it."""
        room_id, start, end = slot or self.slot(teacher)
        sent = time.monotonic()
        status = code = booking_id = None
        wait = httpx.USE_CLIENT_DEFAULT if timeout is None else timeout
        with contextlib.suppress(httpx.HTTPError):
            response = await client.post(
                f"/rooms/{room_id}/claim/", data={"start": start, "end": end}, timeout=wait
            )
            status = response.status_code
            body = response.json() if "json" in response.headers.get("content-type", "") else {}
            code = body.get("code")
            booking_id = body.get("booking", {}).get("id")
        answer = Answer(
            name, teacher, room_id, start, end, sent, time.monotonic() - sent, status, code, booking_id
        )
        self.answers.append(answer)
        return answer

    async def run(self, seconds: float, *, servers=("a", "b"), timeout: float = 15) -> list[Answer]:
        """Every teacher of ``servers`` claims in a loop for ``seconds``; returns the answers."""
        first = len(self.answers)
        stop_at = time.monotonic() + seconds

        async def teacher_loop(name, teacher, client):
            while time.monotonic() < stop_at:
                answer = await asyncio.wait_for(
                    self.claim(name, teacher, client, timeout=timeout), timeout + 1
                )
                if answer.status in (None, 503):
                    await asyncio.sleep(0.2)  # as a client honouring Retry-After, briefly

        tasks = [
            teacher_loop(name, teacher, client)
            for name in servers
            for teacher, client in self.clients.get(name, [])
        ]
        await asyncio.gather(*tasks)
        return self.answers[first:]

    async def until_recovered(self, servers=("a", "b"), limit: float = 20) -> float:
        """Seconds until a claim on each of ``servers`` is answered 201."""
        started = time.monotonic()
        pending = set(servers)
        while pending:
            assert time.monotonic() - started < limit, f"{pending} did not recover within {limit} s"
            for name in list(pending):
                teacher, client = self.clients[name][0]
                if (await self.claim(name, teacher, client)).status == 201:
                    pending.discard(name)
            await asyncio.sleep(0.1)
        return time.monotonic() - started

    async def close(self) -> None:
        for clients in self.clients.values():
            for _, client in clients:
                await client.aclose()


@dataclass
class Verdict:
    """Every answer checked against the database."""

    answers: list[Answer]
    statuses: dict[str, int]
    ghosts: list[Answer]  # an error answer whose booking exists nonetheless
    missing: list[Answer]  # a 201 without its row
    double_bookings: int

    @classmethod
    def of(cls, answers: list[Answer]) -> Verdict:
        rows = {
            (teacher, room_id, start, end): pk
            for pk, teacher, room_id, start, end in sql(
                """SELECT b.id, t.username, b.room_id,
                          to_char(b.start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI'),
                          to_char(b."end" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI')
                     FROM bookings_booking b JOIN teachers_teacher t ON t.id = b.teacher_id
                    WHERE b.status = 'confirmed'"""
            )
        }
        statuses: dict[str, int] = {}
        ghosts, missing = [], []
        for answer in answers:
            label = f"{answer.status} {answer.code or ''}".strip() if answer.status else "no answer"
            statuses[label] = statuses.get(label, 0) + 1
            stored = rows.get((answer.teacher, answer.room_id, answer.start, answer.end))
            if answer.status == 201 and stored != answer.booking_id:
                missing.append(answer)
            elif answer.status not in (201, None) and answer.code != "OUTCOME_UNKNOWN" and stored:
                ghosts.append(answer)
        return cls(answers, statuses, ghosts, missing, sql(OVERLAPPING_PAIRS_SQL)[0][0])

    @property
    def server_errors(self) -> int:
        return sum(count for label, count in self.statuses.items() if label.startswith("500"))
