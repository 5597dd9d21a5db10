"""Real concurrency for the race tests: every attempt at once, each on its own thread
with its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections

from bookings.errors import BookingError


def race(attempts: list[Callable[[], Any]]) -> list[Any]:
    """Run every attempt at once on its own thread; return each result or error."""
    barrier = threading.Barrier(len(attempts))

    def run(attempt):
        barrier.wait()
        try:
            return attempt()
        except BookingError as error:
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(run, attempts))
