"""``{% grid_rows grid %}``: a timetable's rows, written here rather than with template
tags: a day's grid has a thousand cells, and the template engine took 150-250 ms to
render them against a few milliseconds here (bench/grid.py). Every value is escaped."""

from html import escape

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..timetable import labels

register = template.Library()


@register.simple_tag
def grid_rows(grid) -> str:
    room_base = reverse("rooms:room", args=[0]).removesuffix("0/")
    move_base = reverse("bookings:booking-move", args=[0]).removesuffix("0/move/")
    periods: dict[str, str] = {}
    words = _words()
    described = labels()  # each cell's description, in the page's language
    parts = []
    for row in grid.rows:
        room = row.room
        approval = grid.approvals.get(room.pk)  # the viewer's claim on it is a request
        approval = f' data-approval="{escape(approval)}"' if approval else ""
        parts.append(
            f'<tr data-room-id="{room.pk}" data-room-name="{escape(room.name)}" '
            f'data-building="{escape(room.building.name)}" data-capacity="{room.capacity}"{approval}>'
        )
        if row.day is None:  # a day's grid: the room, linked to its page
            parts.append(
                f'<th scope="row"><a href="{room_base}{room.pk}/">{escape(room.name)}</a>'
                f'<span class="muted">{escape(room.building.name)} · {room.capacity}</span></th>'
            )
        else:  # a room's week: the day
            parts.append(f'<th scope="row">{escape(row.header)}</th>')
        said = ""  # a closure's reason is written once a row; the cells after it only name it
        for cell in row.cells:
            parts.append(_cell(cell, periods, move_base, words, described, said=said, staff=grid.staff))
            said = cell.reason if cell.state in ("closed", "restricted") else ""
        parts.append("</tr>")
    return mark_safe("".join(parts))


def _words() -> dict[str, str]:
    """The cells' words in the page's language, looked up once per grid, not per cell."""
    return {
        "free": escape(_("Free")),
        "lesson": escape(_("Lesson")),
        "claim": escape(_("%(cell)s: claim")),
        "you": escape(_("You")),
        "you_requested": escape(_("You (requested)")),
        "requested": escape(_("Requested")),
        "move": escape(_("Move")),
        "move_label": escape(_("Move your booking: %(cell)s")),
        "join": escape(_("Join waitlist")),
        "move_lesson_label": escape(_("Move this lesson's date: %(cell)s")),
        "join_label": escape(_("Join waitlist: %(cell)s")),
        "held": escape(_("Being booked")),
        "closed": escape(_("Closed")),
        "restricted": escape(_("Not bookable")),
        "past": escape(_("Past")),
    }


def _cell(
    cell,
    periods: dict[str, str],
    move_base: str,
    words: dict[str, str],
    described: dict[str, str],
    *,
    said: str = "",
    staff: bool = False,
) -> str:
    column = cell.column
    if cell.state in ("closed", "restricted", "past", "held"):
        return _plain(cell, words, said)
    label = escape(cell.describe(described))
    start, end = column.start_value, column.end_value
    if cell.state == "free":
        period = periods.get(column.period) or periods.setdefault(column.period, escape(column.period))
        return (
            f'<td class="cell cell-free"><button type="submit" class="cell-button" name="claim" '
            f'value="{cell.room.pk}|{start}|{end}" data-claim data-start="{start}" data-end="{end}" '
            f'data-period="{period}" aria-label="{words["claim"] % {"cell": label}}">'
            f"{words['free']}</button>{_note(cell.reason)}</td>"
        )
    if cell.state == "lesson":
        booking = cell.booking
        shown = settings.TIMETABLE_SHOWS_NAMES
        who = f'<span class="who">{escape(booking.teacher_name)}</span>' if shown else ""
        if staff:  # staff move a lesson's date to another room
            move = words["move_lesson_label"] % {"cell": label}
            return (
                f'<td class="cell cell-lesson"><strong>{escape(booking.purpose)}</strong>{who}'
                f'<a href="{move_base}{booking.pk}/move/" class="cell-link" aria-label="{move}">'
                f"{words['move']}</a></td>"
            )
        return (
            f'<td class="cell cell-lesson" title="{label}"><span class="visually-hidden">'
            f"{words['lesson']}</span><strong>{escape(booking.purpose)}</strong>{who}"
            f'<button type="submit" class="cell-link" name="wait" value="{cell.room.pk}|{start}|{end}" '
            f'data-wait data-start="{start}" data-end="{end}" '
            f'aria-label="{words["join_label"] % {"cell": label}}">{words["join"]}</button></td>'
        )
    if cell.state in ("mine", "booked", "requested"):
        booking = cell.booking
        purpose = f'<span class="purpose">{escape(booking.purpose)}</span>' if booking.purpose else ""
        if cell.state == "mine" and booking.is_requested:  # awaiting approval: withdrawn in My bookings
            return (
                f'<td class="cell cell-mine cell-requested" title="{label}">'
                f'<strong class="screen-only">{words["you_requested"]}</strong>'
                f'<strong class="print-only">{escape(booking.teacher_name)}</strong>{purpose}</td>'
            )
        if cell.state == "mine":
            return (
                f'<td class="cell cell-mine"><strong class="screen-only">{words["you"]}</strong>'
                f'<strong class="print-only">{escape(booking.teacher_name)}</strong>{purpose}'
                f'<a href="{move_base}{booking.pk}/move/" class="cell-link" '
                f'aria-label="{words["move_label"] % {"cell": label}}">{words["move"]}</a></td>'
            )
        requested = f'<span class="tag">{words["requested"]}</span>' if cell.state == "requested" else ""
        return (
            f'<td class="cell cell-{cell.state}">{requested}'
            f'<span class="who">{escape(cell.who_with(described))}</span>{purpose}'
            f'<button type="submit" class="cell-link" name="wait" value="{cell.room.pk}|{start}|{end}" '
            f'data-wait data-start="{start}" data-end="{end}" '
            f'aria-label="{words["join_label"] % {"cell": label}}">{words["join"]}</button></td>'
        )
    raise ValueError(f"a cell in an unknown state: {cell.state}")


def _plain(cell, words: dict[str, str], said: str) -> str:
    """A cell with nothing to do in it: being booked, closed, not bookable, past."""
    if cell.state == "held":
        return f'<td class="cell cell-held">{words["held"]}</td>'
    if cell.state in ("closed", "restricted"):
        reason = escape(cell.reason[:1].upper() + cell.reason[1:])
        shown = "reason visually-hidden" if cell.reason == said else "reason"  # read, not repeated
        return (
            f'<td class="cell cell-{cell.state}" title="{reason}">{words[cell.state]}'
            f'<span class="{shown}">{reason}</span></td>'
        )
    return f'<td class="cell cell-past"><span class="visually-hidden">{words["past"]}</span></td>'


def _note(reason: str) -> str:
    """Why a cell is free that a lesson would fill ("7b on a trip")."""
    return f'<span class="reason">{escape(reason)}</span>' if reason else ""
