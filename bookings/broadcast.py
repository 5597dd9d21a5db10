"""The events every page hears (``events.ALL_TEACHERS``), passed on once per process.

Each socket's consumer used to be a member of the group itself: every event was queued
for each socket, woke each socket's task and went through its dispatch, so a claim
watched by 2,500 sockets on one process cost 2,500 of each (docs/performance.md). Here one
channel per process (per event loop: a server has one for its life, tests one per test)
is the group's member, and its task writes each event's frame, encoded once by the
sender (``events.frame``), straight to every socket of the process. Events for one
teacher (``events.teacher_group``) still reach their sockets through each consumer.

Door displays (``consumers.DisplayConsumer``) are told only that their room changed
(``{"event": "changed"}``), never what: the page asks for its room's day again, where
the school's rule on names applies. After ``resync`` every display asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict

from django.conf import settings

from config.tasks import raise_if_cancelled

from .events import ALL_TEACHERS

logger = logging.getLogger(__name__)


CHANGED = json.dumps({"event": "changed"})


class Broadcast:
    def __init__(self) -> None:
        self.sockets: set = set()
        self.displays: defaultdict[int, set] = defaultdict(set)  # door displays by room
        self._layer = None
        self._channel: asyncio.Future | None = None  # this process's member of the group
        self._task: asyncio.Task | None = None

    async def ready(self, layer) -> None:
        """Before a socket is accepted: raises when the channel layer cannot be reached
        (the socket then closes with ``4503``). The group membership is renewed each time
        (the in-memory layer lets memberships lapse after a day)."""
        loop = asyncio.get_running_loop()
        running = self._task is not None and not self._task.done() and self._task.get_loop() is loop
        if not running or self._layer is not layer:
            if running:
                self._task.cancel()
            # Set up before any await: sockets connecting together share one task.
            self.sockets, self.displays = set(), defaultdict(set)
            self._layer, self._channel = layer, loop.create_future()
            self._task = loop.create_task(self._pass_on(layer, self._channel, self.sockets, self.displays))
        timeout = settings.EVENT_PUBLISH_TIMEOUT
        channel = await asyncio.wait_for(asyncio.shield(self._channel), timeout)
        await asyncio.wait_for(layer.group_add(ALL_TEACHERS, channel), timeout)

    def add(self, consumer) -> None:
        """An accepted socket: it hears every broadcast from now on."""
        self.sockets.add(consumer)

    def leave(self, consumer) -> None:
        self.sockets.discard(consumer)

    def show(self, room_id: int, consumer) -> None:
        """An accepted door display: told when ``room_id`` changes."""
        self.displays[room_id].add(consumer)

    def hide(self, room_id: int, consumer) -> None:
        shown = self.displays.get(room_id)
        if shown is not None:
            shown.discard(consumer)
            if not shown:
                del self.displays[room_id]

    @staticmethod
    async def _pass_on(layer, channel: asyncio.Future, sockets: set, displays: dict[int, set]) -> None:
        try:
            name = await layer.new_channel()
        except Exception as error:  # the layer is down: this task ends, the next socket retries
            channel.set_exception(error)
            return
        channel.set_result(name)
        while True:
            raise_if_cancelled()  # a Redis call may have lost the cancel (config/tasks.py)
            try:
                message = await layer.receive(name)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the layer is down; the live watch closes the sockets
                logger.warning("Live channel: could not receive (%s)", error)
                await asyncio.sleep(1)
                continue
            for consumer in list(sockets):
                with contextlib.suppress(Exception):  # a socket closing as we write
                    await consumer.send(text_data=message["text"])
            if displays:
                for consumer in _displays_of(message, displays):
                    with contextlib.suppress(Exception):
                        await consumer.send(text_data=CHANGED)


def _displays_of(message: dict, displays: dict[int, set]) -> list:
    """The displays an event concerns: its room's (every one after a resync)."""
    data = json.loads(message["text"]).get("data") or {}
    if "roomId" not in data:
        return [consumer for shown in displays.values() for consumer in shown]
    return list(displays.get(data["roomId"], ()))


broadcast = Broadcast()
