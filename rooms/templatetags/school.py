"""``{{ booking|periods }}``: the period names a booking covers (“Period 3”, “Period
3-Period 4”), or nothing when it does not fall on the day's periods."""

from django import template

from rooms.schoolcalendar import calendar

register = template.Library()


@register.filter
def periods(item) -> str:
    """Anything with ``start`` and ``end``: a booking, a waitlist entry."""
    return calendar().period_label(item.start, item.end)
