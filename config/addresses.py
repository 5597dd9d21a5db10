"""Whose request is it: the client's address, as every limit keyed by address needs it
(failed logins, password resets, the fair share of a busy process)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request`` (see ``address_from``)."""
    return address_from(request.META.get("REMOTE_ADDR") or "", request.META.get("HTTP_X_FORWARDED_FOR", ""))


def address_from(remote: str, forwarded: str) -> str:
    """The client's address, from the connection's (``remote``) and ``X-Forwarded-For``.

    With no proxy in front (``TRUSTED_PROXY_COUNT=0``), the connection's own address:
    ``X-Forwarded-For`` is anyone's to write and is ignored. Behind N trusted proxies
    (nginx: 1), each proxy appended the address it was sent from, the outermost one the
    client's; so the client is the Nth entry from the right of ``X-Forwarded-For``, and
    what a client wrote there itself, to the left of it, is ignored. A header with fewer
    entries than there are proxies, or with anything but an address in that place, did not
    come through them: the connection's address again. Empty if there is none (a request
    made in a test, or by a server that names no peer)."""
    remote = remote or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [part.strip() for part in forwarded.split(",") if part.strip()]
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote
