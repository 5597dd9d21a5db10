"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import gc
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
        "http": InFlightLimit(
            django_http,
            limit=settings.MAX_REQUESTS_IN_FLIGHT,
            per_client=settings.MAX_REQUESTS_IN_FLIGHT_PER_CLIENT,
        ),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


# Everything loaded so far (Django, the URL conf, the apps) lives as long as the process:
# move it out of the garbage collector's sight, so a full collection scans only what
# requests make. Without it, a full collection now and then stalled a request by
# 60-100 ms (the day grid's p99 in-process fell from 96 ms to 29 ms; bench/grid.py).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - import the views now, not on the first request
gc.collect()
gc.freeze()
