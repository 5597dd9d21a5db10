"""Limits on what one address or one account may try in a while: failed logins per
address, password reset requests per account and per address.

Failed logins per *account* are django-axes' job (it locks the account for a cool-off
and lets an admin unlock it); this module adds the limits axes does not keep. Each try is
a row (kind, key, time), so every server process sees the same counts; a school behind
one public address needs a generous per-address limit, so the limits are settings.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import ThrottleEvent

LOGIN_FAILED = "login-failed"
RESET_ACCOUNT = "reset-account"
RESET_ADDRESS = "reset-address"


def limit(kind: str) -> tuple[int, timedelta]:
    """How many tries of ``kind`` a key may make, and in how long."""
    return {
        LOGIN_FAILED: (
            settings.LOGIN_FAILURES_PER_ADDRESS,
            timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES),
        ),
        RESET_ACCOUNT: (settings.PASSWORD_RESETS_PER_ACCOUNT, timedelta(hours=1)),
        RESET_ADDRESS: (settings.PASSWORD_RESETS_PER_ADDRESS, timedelta(hours=1)),
    }[kind]


def exceeded(kind: str, key: str) -> bool:
    most, window = limit(kind)
    return (
        ThrottleEvent.objects.filter(kind=kind, key=key, created_at__gt=timezone.now() - window).count()
        >= most
    )


def record(kind: str, key: str) -> None:
    ThrottleEvent.objects.create(kind=kind, key=key)


def forget_old() -> int:
    """Delete tries older than any window; returns how many."""
    deleted, _ = ThrottleEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted
