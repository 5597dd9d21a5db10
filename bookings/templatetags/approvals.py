"""``{% requests_to_decide user as count %}``: for the navigation, how many requests the
teacher has to decide (``None`` when they decide on no room). No query unless some room
needs approval; none on a page about a database outage. ``booking|approvers``: who
decides a room's requests."""

from django import template
from django.db import DatabaseError

from ..models import Booking
from ..rules import approval_of, rooms_approved_by

register = template.Library()


@register.simple_tag
def requests_to_decide(user) -> int | None:
    if not user.is_authenticated:
        return None
    try:
        rooms = rooms_approved_by(user)
        if not rooms:
            return None
        return Booking.objects.open_requests(rooms).count()
    except DatabaseError:  # a page about a database outage still renders, without the link
        return None


@register.filter
def approvers(room_id: int) -> str:
    """The name of the group that decides the requests for room ``room_id`` ("Leadership"),
    or "" for a room that needs no approval."""
    approval = approval_of(room_id)
    return approval.group if approval else ""
