from django import template

from ..forms import ClaimForm

register = template.Library()


@register.inclusion_tag("bookings/_claim_dialog.html", takes_context=True)
def claim_dialog(context):
    """The claim dialog, its choices rendered from the claim form the server checks."""
    return {"form": ClaimForm(auto_id="claim-%s"), "csrf_token": context.get("csrf_token")}
