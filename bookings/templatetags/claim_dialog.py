from django import template

from teachers.models import Teacher

from ..forms import ClaimForm

register = template.Library()


@register.inclusion_tag("bookings/_claim_dialog.html", takes_context=True)
def claim_dialog(context):
    """The claim dialog, its choices rendered from the claim form the server checks; staff
    also get "Book for", the teachers they may book for."""
    request = context.get("request")
    staff = request is not None and request.user.is_staff
    colleagues = Teacher.objects.filter(is_active=True).exclude(pk=request.user.pk) if staff else []
    return {
        "form": ClaimForm(auto_id="claim-%s"),
        "csrf_token": context.get("csrf_token"),
        "colleagues": colleagues,
    }
