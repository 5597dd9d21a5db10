"""Errors as answers, in one place (config.answers): Django's own refusals and last resort
answer JSON clients in JSON, and pages with a page."""

import json

import pytest
from django.test import Client, RequestFactory

from config.answers import server_error
from tests.factories import at, local, make_teacher

JSON = {"HTTP_ACCEPT": "application/json"}


def period(start=10, end=11):
    return {"start": local(at(start)), "end": local(at(end))}


@pytest.mark.django_db
def test_a_json_client_gets_json_from_djangos_last_resort():
    request = RequestFactory().get("/", HTTP_ACCEPT="application/json")
    response = server_error(request)
    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "SERVER_ERROR"
    page = server_error(RequestFactory().get("/"))
    assert page.status_code == 500 and b"nothing was booked" in page.content


@pytest.mark.django_db
def test_json_clients_get_json_from_djangos_own_refusals(as_alice, room):
    missing = as_alice.get("/no/such/page/", **JSON)
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_teacher())
    refused = strict.post(f"/rooms/{room.pk}/claim/", period(), **JSON)
    assert (refused.status_code, refused.json()["code"]) == (403, "CSRF_FAILED")
    page = strict.post(f"/rooms/{room.pk}/claim/", period())
    assert page.status_code == 403 and b"reload it and try again" in page.content
