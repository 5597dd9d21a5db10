"""For load balancers and monitoring: ``/healthz`` (the process answers), ``/readyz``
(PostgreSQL, Redis and the channel layer answer, each with its status) and ``/metrics``
(Prometheus, for a scraper holding ``METRICS_TOKEN`` or a logged-in member of staff)."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0  # seconds any one dependency may take to answer /readyz


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and answers; asks nothing else (a load balancer's liveness)."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Whether this process can serve bookings now: 200 when every dependency answers,
    else 503; each with its status and how long it took."""
    checks = {"database": _timed(_database), "redis": _timed(_redis), "channel_layer": _timed(_channel_layer)}
    ready = all(check["status"] in ("ok", "not used") for check in checks.values())
    if not ready:
        logger.warning("Not ready: %s", {name: check["status"] for name, check in checks.items()})
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        status = check()
    except Exception as error:  # whatever fails, the answer says so (a 503, never a 500)
        logger.warning("Readiness check %s failed: %s", check.__name__.strip("_"), error)
        status = f"error: {type(error).__name__}"  # the details go to the log, not to strangers
    return {"status": status, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "not used"
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=CHECK_TIMEOUT, socket_connect_timeout=CHECK_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        return "not used"

    async def probe() -> None:
        await asyncio.wait_for(layer.group_send("readyz-probe", {"type": "readyz.probe"}), CHECK_TIMEOUT)

    async_to_sync(probe)()
    return "ok"


# Facts of the database, read when scraped.
OUTBOX_BACKLOG = Gauge("roomclaim_outbox_backlog", "Emails waiting to be sent (not sent, not dropped).")
OPEN_OFFERS = Gauge("roomclaim_waitlist_open_offers", "Waitlist offers open now.")


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics of this process: for ``Authorization: Bearer <METRICS_TOKEN>``
    or staff; anyone else gets a 404, as for a page that is not there."""
    if not _may_read_metrics(request):
        return HttpResponse("Not found", status=404, content_type="text/plain")
    from django.utils import timezone

    from bookings.models import Notification, WaitlistEntry

    OUTBOX_BACKLOG.set(Notification.objects.filter(sent_at__isnull=True, dropped_at__isnull=True).count())
    OPEN_OFFERS.set(
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.Status.OFFERED, offer_expires_at__gt=timezone.now()
        ).count()
    )
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def _may_read_metrics(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    user = request.user
    return user.is_authenticated and user.is_active and user.is_staff
