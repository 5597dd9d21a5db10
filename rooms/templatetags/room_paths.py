"""``{{ room.pk|room_path:"hold" }}``: the address of a room's page (no action) or of an
action on the room (``/rooms/<id>/hold/``), without a ``{% url %}`` each: a page of results
has seven per card, and reversing them was a fifth of the search page's rendering. The
addresses are the URLconf's (``ROOM_ACTIONS``, checked by the tests against ``reverse``)."""

from functools import cache

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()

# The URL names of what a card or cell does to a room, by the last part of their address.
ROOM_ACTIONS = {
    "hold": "bookings:room-hold",
    "claim": "bookings:room-claim",
    "release": "bookings:room-release",
    "queue": "bookings:room-queue",
    "waitlist": "bookings:waitlist-join",
    "alternatives": "bookings:room-alternatives",
}


@cache
def _base(prefix: str) -> str:
    """``/rooms/`` (behind the site's script prefix, which is part of the key)."""
    return reverse("rooms:room", args=[0]).removesuffix("0/")


@register.filter
def room_path(room_id: int, action: str = "") -> str:
    if action and action not in ROOM_ACTIONS:
        raise template.TemplateSyntaxError(f"room_path: no room action {action!r}")
    base = _base(get_script_prefix())
    return f"{base}{room_id}/{action}/" if action else f"{base}{room_id}/"
