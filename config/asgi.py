"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_http = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from bookings.routing import SameOriginValidator, websocket_urlpatterns  # noqa: E402
from config.overload import InFlightLimit  # noqa: E402

if settings.EMBEDDED_WORKERS:
    from bookings.maintenance import start_embedded

    start_embedded()

application = ProtocolTypeRouter(
    {
        "http": InFlightLimit(django_http, limit=settings.MAX_REQUESTS_IN_FLIGHT),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
