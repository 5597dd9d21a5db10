"""The live channel: every teacher page keeps one socket open here, and every room's
door display one of its own."""

import asyncio
import contextlib
import json
import logging
from collections import Counter
from urllib.parse import parse_qs

import redis
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import DatabaseError

from config.tasks import raise_if_cancelled

from . import metrics
from .broadcast import broadcast
from .display import room_shown
from .events import teacher_group
from .livewatch import LIVE_UNAVAILABLE, watch

logger = logging.getLogger(__name__)


BAD_FRAME = 'Frames are JSON objects, e.g. {"event": "ping"}'
# Sockets one session has open on this process (a teacher's tabs); past
# SOCKETS_PER_SESSION a new one is closed at once with this code.
TOO_MANY_SOCKETS = 4429
_open_by_session: Counter[str] = Counter()
# What a channel layer on Redis raises when Redis is down or frozen.
LAYER_DOWN = (redis.RedisError, OSError, asyncio.TimeoutError)


class LiveSocket:
    """How a socket of either kind joins the live channel: refused (accepted, then closed
    with 4503, so the page says "Offline" and tries again later) while this process's
    channel cannot be trusted or the layer cannot be reached; else accepted, watched, and
    a listener of ``broadcast`` (with its own ``groups`` too, a teacher's)."""

    async def join_live(self, layer, groups: tuple[str, ...] = ()) -> bool:
        watched = not isinstance(layer, InMemoryChannelLayer)
        if watched and not watch.healthy:
            await self.unavailable()
            return False
        try:
            await broadcast.ready(layer)
            for group in groups:
                await asyncio.wait_for(
                    layer.group_add(group, self.channel_name), settings.EVENT_PUBLISH_TIMEOUT
                )
        except Exception as error:  # the layer is down: no live news, and the page must know
            logger.warning("Could not join the live channel: %s", error)
            await self.unavailable()
            return False
        await self.accept()
        if watched:
            watch.watch(self)
        return True

    async def unavailable(self):
        await self.accept()
        await self.close(code=LIVE_UNAVAILABLE)

    async def dispatch(self, message):
        """As channels' own, with two changes:

        - no ``aclose_old_connections`` before every handler: a hop to the sync thread and
          back per message per socket, which was half of a process's time in a fan-out to
          2,500 sockets (docs/performance.md). A teacher's handlers never touch the
          database (the user comes resolved in the scope); a display's one read goes
          through ``database_sync_to_async``, which looks after its connection itself;
        - a cancel that a Redis call lost inside a handler (config/tasks.py) still ends the
          socket's task, instead of leaving it waiting for messages for ever.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
        raise_if_cancelled()


class BookingConsumer(LiveSocket, AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except LAYER_DOWN as error:
            # The layer failed before the handshake (a socket needs its own channel on
            # it): finish the handshake and close with 4503, never a 500.
            logger.warning("Live channel unavailable for a new socket: %s", error)
            if (await receive())["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": LIVE_UNAVAILABLE})

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        session = getattr(self.scope.get("session"), "session_key", None) or f"user:{user.pk}"
        if _open_by_session[session] >= settings.SOCKETS_PER_SESSION:
            await self.close(code=TOO_MANY_SOCKETS)
            return
        self.session_counted = session
        _open_by_session[session] += 1
        self.groups_joined = (teacher_group(user.pk),)  # left again on disconnect, joined or not
        if not await self.join_live(self.channel_layer, self.groups_joined):
            return
        broadcast.add(self)
        self.counted = True
        metrics.OPEN_SOCKETS.inc()

    async def disconnect(self, code):
        watch.forget(self)
        broadcast.leave(self)
        if session := getattr(self, "session_counted", None):
            self.session_counted = None
            _open_by_session[session] -= 1
            if not _open_by_session[session]:
                del _open_by_session[session]
        if getattr(self, "counted", False):
            self.counted = False
            metrics.OPEN_SOCKETS.dec()
        for group in getattr(self, "groups_joined", []):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.channel_layer.group_discard(group, self.channel_name), settings.EVENT_PUBLISH_TIMEOUT
                )

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """A frame that is not a JSON object gets an error frame; the socket stays open."""
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self.send_json({"event": "error", "data": {"message": BAD_FRAME}})
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        if content.get("event") == "ping":
            await self.send_json({"event": "pong"})

    async def forward(self, message):
        """An event, its frame encoded once by the sender (``events.frame``)."""
        await self.send(text_data=message["text"])

    # Every event the sender names (``events.EVENT_NAMES``, and ``live.resync``): to this
    # teacher's group; what every page hears comes through ``broadcast``.
    booking_created = booking_cancelled = booking_requested = forward
    booking_approved = booking_declined = booking_conflict = booking_checked_in = forward
    room_available = room_held = room_released = offer_ended = live_resync = forward


# A display whose key is wrong (another room's, an old one) is closed at once with this.
NO_SUCH_DISPLAY = 4404


class DisplayConsumer(LiveSocket, AsyncWebsocketConsumer):
    """A room's door display (``views.display``): no teacher signed in, the room's display
    key in the address (``?key=``). It hears only that its room changed, never what
    (``broadcast``); the page then asks for the room's day again."""

    # No channel of its own on the layer (an alias that is not configured gives none):
    # nothing is sent to a display but through ``broadcast``.
    channel_layer_alias = None

    async def connect(self):
        self.room_id = self.scope["url_route"]["kwargs"]["room_id"]
        key = parse_qs(self.scope.get("query_string", b"").decode("latin1")).get("key", [""])[0]
        try:
            room = await database_sync_to_async(room_shown)(self.room_id, key)
        except DatabaseError as error:  # the page shows "Offline" and tries again later
            logger.warning("A door display could not be checked: %s", error)
            await self.unavailable()
            return
        if room is None:
            await self.close(code=NO_SUCH_DISPLAY)
            return
        # A key that got about opens no more sockets a process than a teacher's session.
        if len(broadcast.displays.get(self.room_id, ())) >= settings.SOCKETS_PER_SESSION:
            await self.close(code=TOO_MANY_SOCKETS)
            return
        if await self.join_live(get_channel_layer()):
            broadcast.show(self.room_id, self)

    async def disconnect(self, code):
        watch.forget(self)
        broadcast.hide(self.room_id, self)

    async def receive(self, text_data=None, bytes_data=None):
        """``{"event": "ping"}`` is answered; a display has nothing else to say."""
        with contextlib.suppress(ValueError):
            content = json.loads(text_data) if text_data is not None else None
            if isinstance(content, dict) and content.get("event") == "ping":
                await self.send(text_data=json.dumps({"event": "pong"}))
