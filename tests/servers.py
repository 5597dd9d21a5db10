"""Real servers for tests and benchmarks: daphne processes with production settings,
and HTTP clients that log in the way a browser does."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """DEBUG off, plain HTTP on loopback: what a school runs behind its TLS proxy."""
    return {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def servers_env(**extra: str) -> dict[str, str]:
    """``production_env`` on the test database and Redis, for servers that a test runs
    beside its own process (which must have set the test database up)."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    database_url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return production_env(
        database_url=database_url,
        redis_url=settings.REDIS_URL,
        DB_POOL_MAX="4",
        SCHOOL_SETTINGS_SECONDS="0",  # the servers see the calendar a test has just set
        **extra,
    )


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )


def gunicorn_command(threads: int = 8) -> list[str]:
    """A threaded WSGI server (``config/wsgi.py``) as production runs it for HTTP; for
    ``DaphneServers(command=…)`` (``{port}`` is filled in)."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        "127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        "1",
        "--threads",
        str(threads),
        # Longer than a proxy keeps an idle upstream connection (nginx: 60 s): gunicorn's 2 s
        # closed connections a proxy or client was about to reuse for a POST.
        "--keep-alive",
        "75",
        "--log-level",
        "warning",
    ]


class DaphneServers(contextlib.AbstractContextManager):
    """``count`` server processes on free ports (or ``ports``), stopped on exit.

    ``command`` may replace daphne (``{port}`` is filled in), e.g. to compare servers.
    """

    def __init__(
        self,
        env: dict[str, str],
        count: int = 2,
        ports: list[int] | None = None,
        command: list[str] | None = None,
    ):
        self.env = env
        self.ports = ports or [free_port() for _ in range(count)]
        self.command = command or [
            str(Path(sys.executable).parent / "daphne"),
            "--no-server-name",
            "-b",
            "127.0.0.1",
            "-p",
            "{port}",
            "config.asgi:application",
        ]
        self.processes: list[subprocess.Popen] = []
        self.logs: list = []

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def __enter__(self) -> DaphneServers:
        for port in self.ports:
            command = [part.replace("{port}", str(port)) for part in self.command]
            # A file, not a pipe: a pipe nobody reads fills up and blocks the server's logging.
            log = tempfile.TemporaryFile()
            self.logs.append(log)
            self.processes.append(
                subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log)
            )
        try:
            for url, process, log in zip(self.urls, self.processes, self.logs, strict=True):
                wait_until_serving(url, process, log)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()


def wait_until_serving(url: str, process: subprocess.Popen, log, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server for {url} exited: {log.read().decode()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not start within {timeout} s")


async def logged_in_client(
    base_url: str, username: str, password: str, *, verify: bool = True, connections: int = 100
) -> httpx.AsyncClient:
    """An HTTP client with a session and CSRF token, asking for JSON answers."""
    client = httpx.AsyncClient(
        base_url=base_url,
        timeout=30,
        headers={"Accept": "application/json"},
        verify=verify,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )
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
