"""Servers and clients for the benchmarks: N daphne processes on PostgreSQL + Redis with
production settings (DEBUG off), a throw-away database, and logged-in HTTP clients."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB_NAME", "roomclaim_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
PASSWORD = "bench-pass-123"

logger = logging.getLogger("bench")


def database_url() -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"


def server_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.update(extra)
    return env


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
        return conn.execute(query, params).fetchall()


def overlapping_pairs() -> int:
    return sql(
        """SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
             ON a.room_id = b.room_id AND a.id < b.id
            AND a.status = 'confirmed' AND b.status = 'confirmed'
            AND a.start < b."end" AND b.start < a."end" """
    )[0][0]


class Servers(contextlib.AbstractContextManager):
    """``count`` daphne processes on consecutive ports, stopped on exit."""

    def __init__(self, count: int = 2, base_port: int = 8101, command: list[str] | None = None, **env: str):
        self.ports = [base_port + n for n in range(count)]
        self.command = command
        self.env = server_env(**env)
        self.processes: list[subprocess.Popen] = []

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def __enter__(self) -> Servers:
        for port in self.ports:
            command = self.command or [
                str(Path(sys.executable).parent / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "config.asgi:application",
            ]
            command = [part.replace("{port}", str(port)) for part in command]
            self.processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        for url, process in zip(self.urls, self.processes, strict=True):
            wait_until_serving(url, process)
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited: {process.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/accounts/login/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not start within {timeout} s")


async def logged_in_client(base_url: str, username: str, password: str = PASSWORD) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base_url, timeout=30, headers={"Accept": "application/json"})
    page = await client.get("/accounts/login/", headers={"Accept": "text/html"})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = await client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Accept": "text/html", "Referer": f"{base_url}/accounts/login/"},
    )
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} failed: {response.status_code}")
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    client.headers["Referer"] = f"{base_url}/"
    return client
