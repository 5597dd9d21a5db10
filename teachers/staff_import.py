"""The staff list from a CSV: ``import_teachers`` and the admin's "Import from a file".

Columns (a header line first): ``username`` (required), ``name`` (shown to colleagues),
``email``, ``first_name``, ``last_name``, ``staff`` (yes/no: may use Django admin and book
for colleagues; default no), ``groups`` (group names separated by ``;``, e.g.
``Leadership;Science``; made if missing). A column left out of the file is left as it is.

Running it twice changes nothing; a dry run reports and saves nothing; a file with any bad
line imports nothing and names every bad line. New teachers get no password: they sign in
through the school directory (LDAP) or choose one with "Forgot your password?".
``deactivate_missing`` turns off the active teachers not in the file (never staff or
superusers) and cancels their upcoming bookings through the booking service, with the
usual events and emails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from config.imports import (
    Outcome,
    all_or_nothing,
    parsed_rows,
    record,
    save_changes,
    too_long,
    yes,
)

from .models import Teacher
from .signals import teacher_left

logger = logging.getLogger(__name__)

COLUMNS = {
    "name": "display_name",
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "code": "code",  # the teacher's code in the timetable (Untis, FET)
}


@dataclass
class Row:
    line: int
    username: str
    values: dict  # model field -> value, only the columns the file has
    groups: list[str] | None


def read(data: bytes) -> list[Row]:
    return parsed_rows(
        data,
        required={"username"},
        parse=_row,
        key=lambda row: row.username,
        twice=_("username “%(name)s” is on line %(line)d already."),
        lengths={"username": 150, "email": 254, "code": 20},
    )


def _row(number: int, row: dict[str, str]) -> Row:
    username = row.get("username", "")
    if not username:
        raise ValueError(_("username is empty."))
    try:
        Teacher.username_validator(username)
    except ValidationError:
        raise ValueError(
            _("username “%(username)s” may hold only letters, digits and @ . + - _") % {"username": username}
        ) from None
    values = {field: row[column] for column, field in COLUMNS.items() if column in row}
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            raise ValueError(
                _("email “%(email)s” is not an email address.") % {"email": values["email"]}
            ) from None
    for field, limit in (("display_name", 120), ("first_name", 150), ("last_name", 150)):
        if len(values.get(field, "")) > limit:
            raise too_long(field.replace("display_", ""), limit)
    if "staff" in row:
        values["is_staff"] = yes(row["staff"], column="staff", default=False)
    groups = [name.strip() for name in row["groups"].split(";") if name.strip()] if "groups" in row else None
    for group in groups or []:
        if len(group) > 150:
            raise too_long("group", 150)
    return Row(number, username, values, groups)


def apply(rows: list[Row], *, dry_run: bool = False, deactivate_missing: bool = False) -> Outcome:
    """Create and update the teachers in ``rows``; all or nothing."""

    def run() -> Outcome:
        outcome = Outcome()
        for row in rows:
            _apply_row(row, outcome)
        if deactivate_missing:
            _deactivate_missing({row.username.lower() for row in rows}, outcome)
        return outcome

    return all_or_nothing(run, dry_run=dry_run)


def _apply_row(row: Row, outcome: Outcome) -> None:
    teacher = Teacher.objects.filter(username__iexact=row.username).first()
    name = row.values.get("display_name")
    described = _("teacher %(username)s") % {"username": row.username} + (f" ({name})" if name else "")
    if teacher is None:
        teacher = Teacher(username=row.username, **row.values)
        teacher.set_unusable_password()
        teacher.save()
        _set_groups(teacher, row.groups)
        outcome.created.append(described)
        return
    values = {**row.values, "is_active": True}  # back on the staff list, if they had left

    def groups() -> list[str]:
        return ["groups"] if _set_groups(teacher, row.groups) else []

    record(outcome, described, save_changes(teacher, values, also_changed=groups))


def _set_groups(teacher: Teacher, names: list[str] | None) -> bool:
    if names is None:
        return False
    wanted = {Group.objects.get_or_create(name=name)[0] for name in names}
    if wanted == set(teacher.groups.all()):
        return False
    teacher.groups.set(wanted)
    return True


def _deactivate_missing(listed: set[str], outcome: Outcome) -> None:
    """Teachers no longer on the list leave: deactivated, and every app that keeps
    something of theirs is told (``teacher_left``; the bookings app cancels their upcoming
    bookings as the first active superuser, and says so)."""
    admin = Teacher.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    leaving = Teacher.objects.filter(is_active=True, is_staff=False, is_superuser=False)
    for teacher in leaving:
        if teacher.username.lower() in listed:
            continue
        teacher.is_active = False
        teacher.save(update_fields=["is_active"])
        told = teacher_left.send(sender=Teacher, teacher=teacher, by=admin)
        done = "".join(said for _receiver, said in told if said)
        outcome.deactivated.append(_("teacher %(username)s") % {"username": teacher.username} + done)
        logger.info("Import deactivated %s", teacher.username)
