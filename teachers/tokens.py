"""Personal access tokens: made, checked, limited and revoked (``teachers.models.AccessToken``).

A token reads ``rc_<prefix>_<secret>``: the prefix finds its row, the SHA-256 of the
whole token must match the stored one (compared in constant time). A token is refused
(401, with its code) when it is malformed or unknown, revoked, expired, or its teacher's
account is disabled; a ``read`` token that tries to book gets 403. Each token may make
``API_REQUESTS_PER_MINUTE`` requests a minute (then 429 with ``Retry-After``), counted in
Redis by every process (in this process's memory without Redis). Every use is logged;
its last-used time is written at most once a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.answers import Problem

from .models import AccessToken, Teacher

logger = logging.getLogger(__name__)

TOKEN_INVALID = "TOKEN_INVALID"
TOKEN_REVOKED = "TOKEN_REVOKED"
TOKEN_EXPIRED = "TOKEN_EXPIRED"
TOKEN_READ_ONLY = "TOKEN_READ_ONLY"
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"

PREFIX = "rc"
LAST_USED_EVERY = timedelta(minutes=1)


class TokenProblem(Problem):
    MESSAGES: ClassVar = {
        TOKEN_INVALID: _("This access token is not valid."),
        TOKEN_REVOKED: _("This access token has been revoked."),
        TOKEN_EXPIRED: _("This access token has expired; a new one is needed."),
        TOKEN_READ_ONLY: _("This access token may only read; booking needs a token with the book scope."),
        TOO_MANY_REQUESTS: _("Too many requests with this access token; try again shortly."),
    }
    STATUS: ClassVar = {
        TOKEN_INVALID: 401,
        TOKEN_REVOKED: 401,
        TOKEN_EXPIRED: 401,
        TOKEN_READ_ONLY: 403,
        TOO_MANY_REQUESTS: 429,
    }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make(teacher: Teacher, *, name: str, scope: str, days: int) -> tuple[AccessToken, str]:
    """A new token for ``teacher``, valid for ``days``: its row, and the token itself,
    which is shown this once and never stored."""
    prefix = secrets.token_hex(6)
    token = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = AccessToken.objects.create(
        teacher=teacher,
        name=name,
        scope=scope,
        prefix=prefix,
        digest=_digest(token),
        expires_at=timezone.now() + timedelta(days=days),
    )
    logger.info(
        "Access token %s (%r) made for %s, scope %s, %d days", prefix, name, teacher.username, scope, days
    )
    return row, token


def revoke(row: AccessToken) -> None:
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        logger.info("Access token %s (%r) of %s revoked", row.prefix, row.name, row.teacher.username)


def check(token: str, *, books: bool = False) -> AccessToken:
    """The token's row (with its teacher) if ``token`` may be used now, for booking when
    ``books``; else raises ``TokenProblem``."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise TokenProblem(TOKEN_INVALID)
    row = AccessToken.objects.select_related("teacher").filter(prefix=parts[1]).first()
    if row is None or not hmac.compare_digest(row.digest, _digest(token)) or not row.teacher.is_active:
        raise TokenProblem(TOKEN_INVALID)
    if row.revoked_at is not None:
        raise TokenProblem(TOKEN_REVOKED)
    now = timezone.now()
    if row.expires_at <= now:
        raise TokenProblem(TOKEN_EXPIRED)
    if books and row.scope != AccessToken.Scope.BOOK:
        raise TokenProblem(TOKEN_READ_ONLY)
    _count(row)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        AccessToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row


def _count(row: AccessToken) -> None:
    """One more request this minute for the token; past the limit, 429 until the next."""
    minute = int(time.time() // 60)
    # The guarded Redis cache the signed-in copies use (every process counts in it, and
    # Redis away is "not counted", never an error); without Redis, this process's memory.
    cache = caches[settings.SIGNED_IN_CACHE or "default"]
    key = f"api-requests:{row.prefix}:{minute}"
    try:
        used = cache.incr(key)  # None: Redis is away, and the request is not counted
    except ValueError:  # the minute's first request (or another one's add came first)
        used = 1 if cache.add(key, 1, 120) else cache.incr(key)
    if used is not None and used > settings.API_REQUESTS_PER_MINUTE:
        raise TokenProblem(TOO_MANY_REQUESTS, retry_after=60 - int(time.time()) % 60)
