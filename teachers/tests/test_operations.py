"""For operators: health, readiness (each dependency) and metrics (not for strangers)."""

import json
import logging

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from bookings import services
from bookings.errors import BookingError
from config.logs import JsonFormatter
from tests.factories import at, make_teacher
from tests.processes import RedisServer

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_lives(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_checks_each_dependency(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "channel_layer"}
    assert body["checks"]["database"]["status"] == "ok"


def test_readyz_fails_when_redis_is_stopped(client, settings):
    with RedisServer() as own:
        settings.REDIS_URL = own.url
        assert client.get("/readyz").json()["checks"]["redis"]["status"] == "ok"
        own.kill()
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["status"].startswith("error: ")
    assert "127.0.0.1" not in response.content.decode()  # details go to the log only


def claims(outcome: str) -> float:
    return REGISTRY.get_sample_value("roomclaim_claims_total", {"outcome": outcome}) or 0.0


def test_metrics_count_a_claim_and_are_for_staff_or_the_token_only(client, settings, room):
    settings.METRICS_TOKEN = "s3cret-token-for-prometheus"
    assert client.get("/metrics").status_code == 404
    teacher = make_teacher("Alice Adams")
    client.force_login(teacher)
    assert client.get("/metrics").status_code == 404
    before = claims("booked")
    response = client.post(
        f"/rooms/{room.pk}/claim/",
        {"start": at(10).strftime("%Y-%m-%dT%H:%M"), "end": at(11).strftime("%Y-%m-%dT%H:%M")},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    assert claims("booked") == before + 1
    client.logout()
    scraped = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus")
    assert scraped.status_code == 200
    text = scraped.content.decode()
    assert f'roomclaim_claims_total{{outcome="booked"}} {before + 1}' in text
    assert "roomclaim_outbox_backlog" in text and "roomclaim_open_sockets" in text
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    client.force_login(make_teacher("Sam Staff", is_staff=True))
    assert client.get("/metrics").status_code == 200


def test_metrics_count_lock_conflicts(alice, bob, room):
    before = REGISTRY.get_sample_value("roomclaim_lock_conflicts_total") or 0.0
    services.booking_hold(teacher=alice, room_id=room.pk, start=at(10), end=at(11))
    with pytest.raises(BookingError):
        services.booking_hold(teacher=bob, room_id=room.pk, start=at(10), end=at(11))
    assert REGISTRY.get_sample_value("roomclaim_lock_conflicts_total") == before + 1


def test_json_logs_have_a_line_per_request_with_status_and_duration(settings, caplog):
    settings.LOG_REQUESTS = True
    caplog.set_level(logging.INFO, logger="roomclaim.requests")
    Client().get("/healthz")  # a new client loads the middleware with the setting on
    [record] = [r for r in caplog.records if r.name == "roomclaim.requests"]
    line = json.loads(JsonFormatter().format(record))
    assert (line["method"], line["path"], line["status"], line["logger"]) == (
        "GET",
        "/healthz",
        200,
        "roomclaim.requests",
    )
    assert line["ms"] >= 0 and line["message"] == "GET /healthz 200"
