"""Structured logs (``LOG_FORMAT=json``): every log record as one JSON line, and with
``LOG_REQUESTS`` one line per request with its method, path, status, duration and who
made it, for a log collector to count and chart."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed

request_log = logging.getLogger("roomclaim.requests")

# What a LogRecord always has; anything else passed in ``extra`` goes into the JSON line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RequestLogMiddleware:
    """One line per request (``LOG_REQUESTS``): method, path, status, ms, user id."""

    def __init__(self, get_response):
        if not settings.LOG_REQUESTS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response
