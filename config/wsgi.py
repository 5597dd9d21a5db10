"""WSGI entry point, for serving plain HTTP with a threaded WSGI server (gunicorn
``gthread``) beside daphne for ``/ws/`` (the nginx site routes the two): no sync/async hand-
offs per request. Static files are served in front of Django here, so the async-only
ServeStatic middleware is left out of the chain (``SERVER_INTERFACE=wsgi``)."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SERVER_INTERFACE", "wsgi")

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from servestatic import ServeStatic

application = ServeStatic(
    get_wsgi_application(),
    root=settings.STATIC_ROOT,
    prefix=settings.STATIC_URL,
    max_age=365 * 24 * 3600,
    immutable_file_test=r"\.[0-9a-f]{12}\.",
)

gc.collect()
gc.freeze()  # as in config/asgi.py
