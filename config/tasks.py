"""Tasks that run for a process's life, and the one way they end: a cancel.

On Python 3.11, ``asyncio.wait_for`` returns the awaited call's result instead of raising
``CancelledError`` when that call completes in the same moment as the cancel (fixed in
3.12, gh-86296). redis-py sends each command under ``wait_for`` when a socket timeout is
set, so a cancel can be lost inside a Redis call that then returns normally. A loop that
runs forever (the live watch's probe, the broadcast's listener) would go on, and whoever
waits for it to end would wait for ever: a server's shutdown, or a test's event loop
(a CI run once hung for 80 minutes on exactly this). Such a loop calls
``raise_if_cancelled()`` after each call that may have lost one.
"""

from __future__ import annotations

import asyncio


def raise_if_cancelled() -> None:
    """Raise ``CancelledError`` if this task was asked to stop, even where a library lost
    the cancel on its way."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
