"""Sockets on the real ASGI application, logged in the way a browser is."""

from __future__ import annotations

import asyncio
import json

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application

ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")


def session_cookie(teacher) -> bytes:
    client = Client()
    client.force_login(teacher)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


# News every page gets about holds (for the timetable); most tests look past them.
HOLD_EVENTS = frozenset({"roomHeld", "roomReleased"})


class TeacherSocket(WebsocketCommunicator):
    """A logged-in page's socket; frames in ``skip`` are passed over when reading."""

    def __init__(self, *args, skip: frozenset[str] = HOLD_EVENTS, **kwargs):
        super().__init__(*args, **kwargs)
        self.skip = skip

    async def receive_json_from(self, timeout=1):
        while True:
            frame = await super().receive_json_from(timeout)
            if frame.get("event") not in self.skip:
                return frame

    async def receive_nothing(self, timeout=0.1, interval=0.01):
        while not await super().receive_nothing(timeout, interval):
            waiting = self.output_queue._queue[0]  # look without taking: a close must stay
            text = waiting.get("text") if waiting["type"] == "websocket.send" else None
            if text is None or json.loads(text).get("event") not in self.skip:
                return False
            self.output_queue.get_nowait()
        return True


async def connect_socket(
    teacher=None, *, expect_open: bool = True, skip: frozenset[str] = HOLD_EVENTS
) -> WebsocketCommunicator:
    headers = [ORIGIN, HOST]
    if teacher is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(teacher)))
    socket = TeacherSocket(application, "/ws/bookings/", headers=headers, skip=skip)
    connected, _ = await socket.connect()
    if expect_open:
        assert connected, "socket refused"
    return socket


class LosesOneCancel:
    """Waits for ever for a reply; the first cancel is lost and ``reply`` comes back, as a
    Redis command under ``asyncio.wait_for`` on Python 3.11 may do (config/tasks.py)."""

    def __init__(self, reply=None):
        self.reply = reply
        self.lost = False
        self.waiting = asyncio.Event()

    async def wait(self, *args, **kwargs):
        self.waiting.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if self.lost:
                raise
            self.lost = True
            return self.reply


async def ends_when_cancelled(task: asyncio.Future, lost: LosesOneCancel, within: float = 2) -> bool:
    """Cancel ``task`` while ``lost`` waits: whether it ended, cancelled, within ``within``
    seconds (and the cancel was indeed lost on the way)."""
    await asyncio.wait_for(lost.waiting.wait(), within)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=within)
    if not done:  # let it go, or the test's own event loop could not close
        task.cancel()
        await asyncio.wait({task}, timeout=within)
    return bool(done) and task.cancelled() and lost.lost
