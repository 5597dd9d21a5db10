"""What admins set rarely and every claim reads (the school calendar, the booking rules),
kept in this process's memory so that a claim pays no query for it.

A change saved in this process (Django admin, an import) clears the copy at once; other
processes load it again within ``SCHOOL_SETTINGS_SECONDS``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")
logger = logging.getLogger(__name__)
_every: list[Cached] = []


def clear_all() -> None:
    """Forget every copy (tests, whose database is emptied without signals)."""
    for cached in _every:
        cached.clear()


class Cached(Generic[T]):
    """``load()`` once per ``SCHOOL_SETTINGS_SECONDS``, and again after any of ``models``
    is saved or deleted in this process."""

    def __init__(self, load: Callable[[], T], *, models: list, m2m: list | None = None) -> None:
        self._load = load
        self._mutex = threading.Lock()
        self._value: T | None = None
        self._loaded_at = float("-inf")
        _every.append(self)
        for model in models:
            post_save.connect(self.clear, sender=model, weak=False)
            post_delete.connect(self.clear, sender=model, weak=False)
        for through in m2m or []:
            m2m_changed.connect(self.clear, sender=through, weak=False)

    def get(self) -> T:
        """The copy, loaded again when it is old. A database that fails then keeps the old
        copy in use (a claim that has committed reads it for its answer: a failing reload
        must not turn the booking into an error); only a first load fails."""
        now = time.monotonic()
        with self._mutex:
            if self._value is None or now - self._loaded_at >= settings.SCHOOL_SETTINGS_SECONDS:
                try:
                    self._value, self._loaded_at = self._load(), now
                except DatabaseError as error:
                    # Inside a transaction the error must end it; outside, the old copy serves.
                    if self._value is None or connection.in_atomic_block:
                        raise
                    logger.warning("School settings kept from %.0f s ago: %s", now - self._loaded_at, error)
            return self._value

    def clear(self, *args, **kwargs) -> None:
        with self._mutex:
            self._value = None
