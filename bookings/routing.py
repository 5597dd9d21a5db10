"""The live channel's address, and who may open it: a page of this very site."""

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/bookings/", consumers.BookingConsumer.as_asgi()),
    path("ws/rooms/<int:room_id>/display/", consumers.DisplayConsumer.as_asgi()),
]


class SameOriginValidator:
    """Lets a socket in only when its ``Origin`` is this site's own origin, scheme, host
    and port alike (the host one of ``ALLOWED_HOSTS``), or one of ``CSRF_TRUSTED_ORIGINS``.
    Channels' ``AllowedHostsOriginValidator`` compares the host alone, so any port or
    scheme on an allowed host got in."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if self.allowed(scope):
            return await self.application(scope, receive, send)
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 403})

    @staticmethod
    def allowed(scope) -> bool:
        headers = {name: value.decode("latin1") for name, value in scope.get("headers", [])}
        origin, host = headers.get(b"origin"), headers.get(b"host", "")
        if not origin:
            return False
        if origin in settings.CSRF_TRUSTED_ORIGINS:
            return True
        domain, _ = split_domain_port(host)
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return False
        secure = scope.get("scheme") == "wss" or settings.HTTPS
        return origin == f"{'https' if secure else 'http'}://{host}"
