"""Bounded work per process: at most ``MAX_REQUESTS_IN_FLIGHT`` HTTP requests at once.

Past the cap a request is answered at once with 503 and ``Retry-After`` (JSON for JSON
clients), instead of queueing one more thread until the connection pool times out. A
refused request has done nothing, so trying again later is always safe.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.utils.translation import gettext

from bookings.errors import MESSAGES, RETRY_AFTER_SECONDS, SERVICE_BUSY, STATUS

logger = logging.getLogger(__name__)

# Written once, in the school's language (LANGUAGE_CODE): the refusal reads nothing of the
# request, not even its Accept-Language, so that it costs next to nothing.
_MESSAGE = str(MESSAGES[SERVICE_BUSY])
_HEADING = gettext("Briefly unavailable")
_BODY_HTML = (
    f"<!doctype html><html lang={settings.LANGUAGE_CODE}><meta charset=utf-8>"
    f"<title>{_HEADING} · Roomclaim</title>"
    f"<h1>{_HEADING}</h1><p>{_MESSAGE}.</p></html>"
).encode()
_BODY_JSON = json.dumps({"code": SERVICE_BUSY, "message": _MESSAGE}).encode()


class InFlightLimit:
    """ASGI middleware around the HTTP application; one per process, so the count is the
    process's own (one event loop: no lock needed)."""

    def __init__(self, app, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0
        self.refused = 0
        self._logged_at = 0.0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await self._refuse(scope, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _refuse(self, scope, send) -> None:
        logger.warning(
            "Over %d requests in flight: refused %s %s", self.limit, scope["method"], scope["path"]
        )
        accept = dict(scope.get("headers", [])).get(b"accept", b"")
        as_json = b"application/json" in accept
        body = _BODY_JSON if as_json else _BODY_HTML
        content_type = b"application/json" if as_json else b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": STATUS[SERVICE_BUSY],
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
