"""``{% room_cards rooms search user csrf_token %}``: the search's result cards, one
``<li>`` each, written here rather than with an included template: thirty cards through
the template engine took 15-25 ms of a search whose SQL takes 15 (bench/search.py). Every
value is escaped; the words are the catalogue's, looked up once per page."""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bookings.rules import requested_by

from .room_paths import room_path

register = template.Library()
WANTED = ' class="wanted"'  # a feature the teacher asked for


@register.simple_tag
def room_cards(rooms, search: dict, user, csrf_token) -> str:
    claim = escape(_("Claim Room"))
    features_label = escape(_("Features"))
    approvals = requested_by(user) if user.is_authenticated else {}
    fixed = {  # what every card repeats: the period, the hidden fields, the fit's wording
        "period": escape(str(search["label"])),
        "fields": (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(csrf_token))}">'
            f'<input type="hidden" name="start" value="{escape(search["start"])}">'
            f'<input type="hidden" name="end" value="{escape(search["end"])}">'
            f'<input type="hidden" name="attendees" value="{search["seats"]}">'
        ),
    }
    parts = []
    for room in rooms:
        parts.append(
            "<li>" + _card(room, search, fixed, claim, features_label, approvals.get(room.pk, "")) + "</li>"
        )
    return mark_safe("".join(parts))


def _card(room, search: dict, fixed: dict, claim: str, features_label: str, approval: str) -> str:
    pk, name, building = room.pk, escape(room.name), escape(room.building.name)
    seats = ngettext("<strong>%(seats)s</strong> seat", "<strong>%(seats)s</strong> seats", room.capacity) % {
        "seats": room.capacity
    }
    features = list(room.features.all())
    listed = ""
    if features:
        wanted = search["wanted"]
        items = "".join(
            f"<li{WANTED if feature.pk in wanted else ''}>{escape(feature.name)}</li>" for feature in features
        )
        listed = f'<ul class="feature-list" aria-label="{features_label}">{items}</ul>'
    needs = ""
    if approval:
        message = _("Needs approval: your claim is a request until %(group)s decides.")
        needs = f'<p class="needs-approval">{escape(message % {"group": approval})}</p>'
    approval_data = f' data-approval="{escape(approval)}"' if approval else ""
    return (
        f'<article class="room-card" data-room-id="{pk}" aria-labelledby="room-{pk}-name">'
        f'<header><h3 id="room-{pk}-name"><a href="{room_path(pk)}">{name}</a></h3>'
        f'<p class="muted">{building}</p></header>'
        f'<p class="seats">{seats}</p>{listed}'
        f'<p class="why">{escape(_why(room, search))}</p>{needs}'
        f'<form method="post" action="{room_path(pk, "hold")}" class="claim-form" '
        f'data-claim-url="{room_path(pk, "claim")}" data-release-url="{room_path(pk, "release")}" '
        f'data-queue-url="{room_path(pk, "queue")}" data-waitlist-url="{room_path(pk, "waitlist")}" '
        f'data-alternatives-url="{room_path(pk, "alternatives")}" data-room-name="{name}" '
        f'data-building="{building}" data-capacity="{room.capacity}" data-period="{fixed["period"]}"'
        f"{approval_data}>{fixed['fields']}"
        f'<button class="button primary" type="submit" aria-describedby="room-{pk}-name">{claim}</button>'
        "</form></article>"
    )


def _why(room, search: dict) -> str:
    """Why the room fits: the seats (and those to spare), the features asked for."""
    values = {"seats": search["seats"], "spare": room.spare_seats, "features": search["features"]}
    if room.spare_seats and search["features"]:
        message = _(
            "Why it fits: seats your %(seats)s with %(spare)s to spare, has %(features)s, "
            "free the whole period."
        )
    elif room.spare_seats:
        message = _("Why it fits: seats your %(seats)s with %(spare)s to spare, free the whole period.")
    elif search["features"]:
        message = _("Why it fits: seats your %(seats)s exactly, has %(features)s, free the whole period.")
    else:
        message = _("Why it fits: seats your %(seats)s exactly, free the whole period.")
    return message % values
