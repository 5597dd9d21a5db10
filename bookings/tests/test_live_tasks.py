"""The live channel's two tasks that run for a process's life (the live watch's probe and
the broadcast's listener) end when they are cancelled, even when Redis lost the cancel.

On Python 3.11 a Redis command sent under ``asyncio.wait_for`` returns normally when its
reply and the cancel arrive together (config/tasks.py). The Redis and layer below do
exactly that, once: the cancel lands while they wait, and they answer instead of raising.
Before, the task went on probing (or listening) for ever, and the event loop it ran on
could never close: that hung a CI run. (A socket's own task: test_consumers.py.)
"""

import json

import pytest

from bookings import livewatch
from bookings.broadcast import Broadcast
from tests.live import LosesOneCancel, ends_when_cancelled

pytestmark = pytest.mark.asyncio


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


async def test_the_live_watch_ends_when_redis_lost_the_cancel(monkeypatch, settings):
    settings.LIVE_PROBE_SECONDS = 0.01
    redis = Redis(reply={"run_id": "one"})
    monkeypatch.setattr(livewatch.aioredis.Redis, "from_url", lambda *args, **kwargs: redis)
    watch = livewatch.LiveWatch()
    watch.watch(object())
    assert await ends_when_cancelled(watch._task, redis)


async def test_the_broadcast_listener_ends_when_the_layer_lost_the_cancel():
    layer = Layer(reply={"text": json.dumps({"event": "bookingCreated", "data": {"roomId": 1}})})
    broadcast = Broadcast()
    await broadcast.ready(layer)
    assert await ends_when_cancelled(broadcast._task, layer)
