"""Sockets on the real ASGI application, logged in the way a browser is."""

from __future__ import annotations

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


async def connect_socket(teacher=None, *, expect_open: bool = True) -> WebsocketCommunicator:
    headers = [ORIGIN, HOST]
    if teacher is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(teacher)))
    socket = WebsocketCommunicator(application, "/ws/bookings/", headers=headers)
    connected, _ = await socket.connect()
    if expect_open:
        assert connected, "socket refused"
    return socket
