"""The live channel's two tasks that run for a process's life (the live watch's probe and
the broadcast's listener) end when they are cancelled, even when Redis lost the cancel.

On Python 3.11 a Redis command sent under ``asyncio.wait_for`` returns normally when its
reply and the cancel arrive together (config/tasks.py). The Redis and layer below do
exactly that, once: the cancel lands while they wait, and they answer instead of raising.
Before, the task went on probing (or listening) for ever, and the event loop it ran on
could never close: that hung a CI run.
"""

import asyncio
import json

import pytest

from bookings import livewatch
from bookings.broadcast import Broadcast

pytestmark = pytest.mark.asyncio

# Long enough that a task still running after it is not going to end by itself.
ENDS_WITHIN = 2


class LosesOneCancel:
    """Waits for ever for a reply; the first cancel is lost and ``reply`` comes back."""

    def __init__(self, reply):
        self.reply = reply
        self.lost = False
        self.waiting = asyncio.Event()

    async def wait(self):
        self.waiting.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if self.lost:
                raise
            self.lost = True
            return self.reply


class Redis(LosesOneCancel):
    async def info(self, section):
        return await self.wait()

    async def aclose(self):
        pass


class Layer(LosesOneCancel):
    async def new_channel(self):
        return "process-channel"

    async def group_add(self, group, channel):
        pass

    async def receive(self, channel):
        return await self.wait()


async def cancelled_in_time(task: asyncio.Task, lost: LosesOneCancel) -> bool:
    await asyncio.wait_for(lost.waiting.wait(), ENDS_WITHIN)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=ENDS_WITHIN)
    if not done:  # let it go, or this test's own loop could not close
        task.cancel()
        await asyncio.wait({task}, timeout=ENDS_WITHIN)
    return bool(done) and task.cancelled() and lost.lost


async def test_the_live_watch_ends_when_redis_lost_the_cancel(monkeypatch, settings):
    settings.LIVE_PROBE_SECONDS = 0.01
    redis = Redis(reply={"run_id": "one"})
    monkeypatch.setattr(livewatch.aioredis.Redis, "from_url", lambda *args, **kwargs: redis)
    watch = livewatch.LiveWatch()
    watch.watch(object())
    assert await cancelled_in_time(watch._task, redis)


async def test_the_broadcast_listener_ends_when_the_layer_lost_the_cancel():
    layer = Layer(reply={"text": json.dumps({"event": "bookingCreated", "data": {"roomId": 1}})})
    broadcast = Broadcast()
    await broadcast.ready(layer)
    assert await cancelled_in_time(broadcast._task, layer)
