"""Bounded work per process, shared fairly: at most ``MAX_REQUESTS_IN_FLIGHT`` HTTP
requests at once, and at most ``MAX_REQUESTS_IN_FLIGHT_PER_CLIENT`` of them from one client
(a signed-in session, else an address), so one teacher flooding a process cannot take the
others' share.

Past either bound a request is answered at once with 503 and ``Retry-After`` (JSON for
JSON clients), instead of queueing one more thread until the connection pool times out;
the flooding client meets its own bound first. A refused request has done nothing, so
trying again later is always safe. Refusals are logged at most once a second, with how
many there were.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from http.cookies import CookieError, SimpleCookie

from django.conf import settings
from django.utils.translation import gettext

from config.addresses import address_from
from config.answers import RETRY_AFTER_SECONDS, SERVICE_BUSY, Problem, answers_json

logger = logging.getLogger(__name__)

# Written once, in the school's language (LANGUAGE_CODE): the refusal reads nothing of the
# request, not even its Accept-Language, so that it costs next to nothing.
_MESSAGE = str(Problem.MESSAGES[SERVICE_BUSY])
_HEADING = gettext("Briefly unavailable")
_BODY_HTML = (
    f"<!doctype html><html lang={settings.LANGUAGE_CODE}><meta charset=utf-8>"
    f"<title>{_HEADING} · Roomclaim</title>"
    f"<h1>{_HEADING}</h1><p>{_MESSAGE}.</p></html>"
).encode()
_BODY_JSON = json.dumps({"code": SERVICE_BUSY, "message": _MESSAGE}).encode()


# No page takes a query this long; nginx in front answers 414 past 8 KB by itself
# (large_client_header_buffers), and so does this for a server that stands alone.
MAX_QUERY_BYTES = 8192


async def _answer(send, status: int, content_type: bytes, body: bytes, headers=()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class InFlight:
    """What one process has in flight, in all and per client. Entering and leaving take a
    lock: cheap on one event loop, and right under threads too."""

    def __init__(self, *, limit: int, per_client: int) -> None:
        self.limit = limit
        self.per_client = per_client
        self.total = 0
        self.by_client: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._logged_at = 0.0
        self._unlogged = {"process": 0, "client": 0}

    def enter(self, client: str | None) -> bool:
        """Count the request in, or refuse it (False). ``client`` None: counted only in
        the process's total (static files, cheap and many per page)."""
        with self._lock:
            if self.total >= self.limit:
                self._refused("process")
                return False
            if client is not None and self.by_client[client] >= self.per_client:
                self._refused("client")
                return False
            self.total += 1
            if client is not None:
                self.by_client[client] += 1
            return True

    def leave(self, client: str | None) -> None:
        with self._lock:
            self.total -= 1
            if client is not None:
                self.by_client[client] -= 1
                if not self.by_client[client]:
                    del self.by_client[client]

    def _refused(self, bound: str) -> None:
        self._unlogged[bound] += 1
        now = time.monotonic()
        if now - self._logged_at >= 1:
            logger.warning(
                "Refused %d requests over the process's %d in flight and %d over one client's %d "
                "since the last report",
                self._unlogged["process"],
                self.limit,
                self._unlogged["client"],
                self.per_client,
            )
            self._logged_at = now
            self._unlogged = {"process": 0, "client": 0}


def client_of(scope) -> str | None:
    """Whose request it is: the signed-in session, else the client's address; None for a
    static file."""
    if scope["path"].startswith(settings.STATIC_URL):
        return None
    headers = dict(scope.get("headers", []))
    if cookie := headers.get(b"cookie"):
        try:
            session = SimpleCookie(cookie.decode("latin-1")).get(settings.SESSION_COOKIE_NAME)
        except CookieError:
            session = None
        if session is not None and session.value:
            return f"session:{session.value}"
    remote = (scope.get("client") or ("",))[0]
    return "address:" + address_from(remote, headers.get(b"x-forwarded-for", b"").decode("latin-1"))


class InFlightLimit:
    """ASGI middleware around the HTTP application; one per process, so the counts are the
    process's own."""

    def __init__(self, app, *, limit: int, per_client: int | None = None) -> None:
        self.app = app
        self.in_flight = InFlight(limit=limit, per_client=per_client or limit)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            await _answer(send, 414, b"text/plain; charset=utf-8", b"The address is too long.")
            return
        client = client_of(scope)
        if not self.in_flight.enter(client):
            await self._refuse(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight.leave(client)

    async def _refuse(self, scope, send) -> None:
        accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
        as_json = answers_json(scope.get("path", ""), accept)
        body = _BODY_JSON if as_json else _BODY_HTML
        content_type = b"application/json" if as_json else b"text/html; charset=utf-8"
        retry = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
        await _answer(send, Problem.STATUS[SERVICE_BUSY], content_type, body, retry)
