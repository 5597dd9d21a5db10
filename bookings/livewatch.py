"""Whether this process's live channel can be trusted, so pages never claim "Live" while
they may be missing news.

One watch per server process (on its event loop), started by the first socket. Every
``LIVE_PROBE_SECONDS`` it asks the channel layer's Redis for its ``run_id``. When Redis
does not answer, or answers with a new ``run_id`` (it restarted, and every subscription
with it), every socket of this process is closed with ``4503``: the pages show
"Offline", reconnect with backoff, and refresh what they show once they are back (a new
socket is refused with ``4503`` until Redis answers again). With the in-memory layer (one
process, nothing to lose) there is nothing to watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from django.conf import settings

from config.tasks import raise_if_cancelled

logger = logging.getLogger(__name__)

LIVE_UNAVAILABLE = 4503


class LiveWatch:
    def __init__(self) -> None:
        self.sockets: set = set()
        self.healthy = True
        self._run_id: str | None = None
        self._task: asyncio.Task | None = None

    def watch(self, consumer) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            # A server has one loop for its life; tests start a new one per test.
            self.sockets, self.healthy, self._run_id = set(), True, None
            self._task = loop.create_task(self._run())
        self.sockets.add(consumer)

    def forget(self, consumer) -> None:
        self.sockets.discard(consumer)

    async def _run(self) -> None:
        client = aioredis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=settings.REDIS_TIMEOUT * 2,
            socket_connect_timeout=settings.REDIS_TIMEOUT * 2,
        )
        try:
            while True:
                await self.check(client)
                raise_if_cancelled()  # a Redis call may have lost the cancel (config/tasks.py)
                await asyncio.sleep(settings.LIVE_PROBE_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def check(self, client) -> None:
        try:
            run_id = (await client.info("server"))["run_id"]
        except (aioredis.RedisError, OSError) as error:
            if self.healthy:
                logger.warning("Live channel lost (%s): closing %d sockets", error, len(self.sockets))
                self.healthy = False
                await self._close_all()
            return
        if self._run_id not in (None, run_id):
            logger.warning("Live channel restarted: closing %d sockets so pages resync", len(self.sockets))
            await self._close_all()
        elif not self.healthy:
            logger.warning("Live channel back")
        self._run_id, self.healthy = run_id, True

    async def _close_all(self) -> None:
        for consumer in list(self.sockets):
            with contextlib.suppress(Exception):
                await consumer.close(code=LIVE_UNAVAILABLE)
        self.sockets.clear()


watch = LiveWatch()
