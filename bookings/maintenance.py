"""Upkeep that runs beside the servers: the sweep (expired locks, expired holds with a line
waiting, lapsed and missed waitlist offers, bookings nobody checked in to, due reminders,
requests nobody decided in time, approvers' daily digests, old login tries) and the
outbox. ``sweep`` (also called ``cleanup_room_locks``) and ``send_notifications`` run them
as their own processes, as a school's servers do; with ``EMBEDDED_WORKERS`` (the single-
process ``make run``) they run as threads of the server itself, the only place that sees
its in-process locks and live channel."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from teachers import throttle

from . import locks, notifications, services, waitlist
from .errors import database_unavailable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    locks_cleaned: int
    holds_handed: int
    entries_closed: int
    offers_made: int
    bookings_released: int
    reminders_queued: int
    requests_decided: int
    digests_queued: int


def sweep() -> Sweep:
    swept = Sweep(
        locks.cleanup_expired(),
        services.hand_over_expired_holds(),
        waitlist.expire_offers(),
        waitlist.offer_missed(),
        services.release_unchecked(),
        notifications.enqueue_reminders(),
        services.decide_overdue(),
        services.queue_request_digests(),
    )
    throttle.forget_old()
    return swept


class Workers:
    """Threads that each run a piece of upkeep every few seconds, until ``stop()``."""

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def every(self, seconds: float, work: Callable[[], object], name: str) -> None:
        def loop() -> None:
            while not self._stopping.is_set():
                try:
                    work()
                except DatabaseError as exc:
                    if not database_unavailable(exc):
                        logger.exception("%s failed", name)
                    else:
                        logger.warning("%s skipped, the database is unavailable: %s", name, exc)
                except Exception:
                    logger.exception("%s failed", name)
                finally:
                    close_old_connections()
                self._stopping.wait(seconds)

        thread = threading.Thread(target=loop, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=10)


def start_embedded() -> Workers:
    """Run the sweep and the outbox in this process until it stops (or ``stop()``)."""
    workers = Workers()
    workers.every(settings.EMBEDDED_SWEEP_SECONDS, sweep, "sweeper")
    workers.every(settings.EMBEDDED_SWEEP_SECONDS, notifications.send_all, "outbox-sender")
    logger.info("Sweeper and outbox sender run inside this process")
    return workers
