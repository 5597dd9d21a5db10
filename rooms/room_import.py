"""Rooms from a CSV: ``import_rooms`` and the admin's "Import from a file".

Columns (a header line first): ``name`` (required, the key), ``building`` (required for a
new room; made if missing), ``capacity`` (required for a new room; a whole number from
1), ``features`` (names or slugs separated by ``;``, e.g. ``Projector;Wheelchair
access``; made if missing), ``floor``, ``notes``, ``accessibility_notes``, ``active``
(yes/no, default yes). A column left out of the file is left as it is.

Running it twice changes nothing; a dry run reports and saves nothing; a file with any bad
line imports nothing and names every bad line.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import slugify
from django.utils.translation import gettext as _

from bookings.rules import MAX_ATTENDEES
from config.imports import (
    Outcome,
    all_or_nothing,
    parsed_rows,
    record,
    save_changes,
    too_long,
    yes,
)

from .models import Building, Feature, Room


@dataclass
class Row:
    line: int
    name: str
    building: str | None
    values: dict
    features: list[str] | None


def read(data: bytes) -> list[Row]:
    return parsed_rows(
        data,
        required={"name"},
        parse=_row,
        key=lambda row: row.name,
        twice=_("room “%(name)s” is on line %(line)d already."),
        lengths={"name": 100, "building": 100, "floor": 40},
    )


def _row(number: int, row: dict[str, str]) -> Row:
    name = row.get("name", "")
    if not name:
        raise ValueError(_("name is empty."))
    if len(name) > 100:
        raise too_long("name", 100)
    values: dict = {}
    if row.get("capacity"):
        try:
            values["capacity"] = int(row["capacity"])
        except ValueError:
            raise ValueError(
                _("capacity “%(value)s” is not a whole number.") % {"value": row["capacity"]}
            ) from None
        if values["capacity"] < 1:
            raise ValueError(_("capacity must be at least 1."))
        if values["capacity"] > MAX_ATTENDEES:
            raise ValueError(_("capacity must be at most %(most)d.") % {"most": MAX_ATTENDEES})
    for column in ("code", "floor", "notes", "accessibility_notes"):
        if column in row:
            values[column] = row[column]
    if len(values.get("floor", "")) > 40:
        raise too_long("floor", 40)
    if len(values.get("code", "")) > 20:
        raise too_long("code", 20)
    if "active" in row:
        values["is_active"] = yes(row["active"], column="active", default=True)
    is_new = not Room.objects.filter(name__iexact=name).exists()
    building = row.get("building") or None
    if is_new and not building:
        raise ValueError(_("room “%(room)s” is new: give its building.") % {"room": name})
    if is_new and "capacity" not in values:
        raise ValueError(_("room “%(room)s” is new: give its capacity.") % {"room": name})
    features = (
        [part.strip() for part in row["features"].split(";") if part.strip()] if "features" in row else None
    )
    for feature in features or []:
        if len(feature) > 60:
            raise too_long("feature", 60)
    return Row(number, name, building, values, features)


def apply(rows: list[Row], *, dry_run: bool = False) -> Outcome:
    def run() -> Outcome:
        outcome = Outcome()
        for row in rows:
            _apply_row(row, outcome)
        return outcome

    return all_or_nothing(run, dry_run=dry_run)


def _apply_row(row: Row, outcome: Outcome) -> None:
    room = Room.objects.filter(name__iexact=row.name).first()
    values = dict(row.values)
    if row.building:
        values["building"] = Building.objects.get_or_create(name=row.building)[0]
    described = _("room %(room)s") % {"room": row.name}
    if room is None:
        room = Room.objects.create(name=row.name, **values)
        _set_features(room, row.features)
        outcome.created.append(described)
        return

    def features() -> list[str]:
        return ["features"] if _set_features(room, row.features) else []

    record(outcome, described, save_changes(room, values, also_changed=features))


def _set_features(room: Room, names: list[str] | None) -> bool:
    if names is None:
        return False
    wanted = set()
    for name in names:
        slug = slugify(name)
        feature = (
            Feature.objects.filter(slug=slug).first() or Feature.objects.filter(name__iexact=name).first()
        )
        wanted.add(feature or Feature.objects.create(name=name, slug=slug))
    if wanted == set(room.features.all()):
        return False
    room.features.set(wanted)
    return True
