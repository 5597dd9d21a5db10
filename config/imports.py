"""What every import from a file shares (staff lists, rooms): reading a CSV with its line
numbers, one error per bad line, all or nothing, a dry run, and the admin's "Import from a
file" page beside a model's list."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.management.base import CommandError
from django.db import DataError, IntegrityError, transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _


class ImportFileError(Exception):
    """A file that cannot be imported: every problem, one line each."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class Outcome:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    def summary(self, *, dry_run: bool) -> str:
        parts = [
            _("%(count)d new") % {"count": len(self.created)},
            _("%(count)d changed") % {"count": len(self.updated)},
            _("%(count)d unchanged") % {"count": len(self.unchanged)},
        ]
        if self.deactivated:
            parts.append(_("%(count)d deactivated") % {"count": len(self.deactivated)})
        return ", ".join(parts) + (_(" (a dry run: nothing would be saved)") if dry_run else "")

    def lines(self, *, dry_run: bool) -> Iterator[str]:
        """One line per change, e.g. "Created teacher ada (Ada Lovelace)"."""
        verbs = (
            (_("Would create %(item)s"), _("Created %(item)s")),
            (_("Would change %(item)s"), _("Changed %(item)s")),
            (_("Would deactivate %(item)s"), _("Deactivated %(item)s")),
        )
        for (would, did), items in zip(verbs, (self.created, self.updated, self.deactivated), strict=True):
            for item in items:
                yield (would if dry_run else did) % {"item": item}


def save_changes(obj, values: dict, *, also_changed: Callable[[], list[str]] = list) -> list[str]:
    """Set and save the fields of ``obj`` whose value differs from ``values``; then run
    ``also_changed`` (related rows: groups, features) and return everything that changed."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=changed)
    return changed + also_changed()


def record(outcome: Outcome, described: str, changed: list[str]) -> None:
    """Note a row that existed: changed (with what) or unchanged."""
    if changed:
        outcome.updated.append(f"{described}: {', '.join(changed)}")
    else:
        outcome.unchanged.append(described)


def too_big(size: int) -> str | None:
    """Why a file of ``size`` bytes is not imported, or None: past ``IMPORT_MAX_BYTES`` an
    import would hold a request (and a transaction) for minutes."""
    most = settings.IMPORT_MAX_BYTES
    if size <= most:
        return None
    message = _("The file has %(size)s bytes; files of up to %(most)s bytes (IMPORT_MAX_BYTES) are imported.")
    return message % {"size": f"{size:,}", "most": f"{most:,}"}


def csv_rows(data: bytes, *, required: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row with its line number (the header is line 1), values stripped; a file
    that is not UTF-8, holds a NUL character, cannot be read as CSV or lacks a required
    column is refused whole, with the line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError([_("The file is not UTF-8 text (save the CSV as UTF-8).")]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFileError([on_line(line, _("it holds a NUL character, which no text has."))])
    reader = csv.DictReader(io.StringIO(text))
    try:
        yield from _numbered(reader, required=required)
    except csv.Error as problem:
        message = _("it cannot be read as CSV (%(problem)s).") % {"problem": problem}
        # The reader counts the lines it has finished: the bad one is the next.
        raise ImportFileError([on_line(reader.line_num + 1, message)]) from None


def _numbered(reader: csv.DictReader, *, required: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    missing = required - {name.strip() for name in reader.fieldnames or []}
    if missing:
        raise ImportFileError(
            [
                _("Line 1: the header lacks the column(s) %(columns)s.")
                % {"columns": ", ".join(sorted(missing))}
            ]
        )
    for number, row in enumerate(reader, start=2):
        yield number, {(key or "").strip(): (value or "").strip() for key, value in row.items() if key}


def yes(value: str, *, column: str, default: bool) -> bool:
    """``yes``/``no`` (or true/false, 1/0) in a column; empty is ``default``."""
    if not value:
        return default
    if value.lower() in ("yes", "y", "true", "1"):
        return True
    if value.lower() in ("no", "n", "false", "0"):
        return False
    raise ValueError(_("%(column)s “%(value)s” is neither yes nor no.") % {"column": column, "value": value})


T = TypeVar("T")


def too_long(column: str, limit: int) -> ValueError:
    """A value longer than its column holds, as a row's problem."""
    return ValueError(
        _("%(column)s is longer than %(limit)d characters.") % {"column": column, "limit": limit}
    )


def on_line(number: int, problem: object) -> str:
    """A problem with the file, told with the line it is on."""
    return _("Line %(number)d: %(problem)s") % {"number": number, "problem": problem}


def parsed_rows(
    data: bytes,
    *,
    required: set[str],
    parse: Callable[[int, dict[str, str]], T],
    key: Callable[[T], str] | None = None,
    twice: str = "",
    lengths: dict[str, int] | None = None,
) -> list[T]:
    """Every row of a CSV file, parsed by ``parse(line, row)`` (a ``ValueError`` for a bad
    one), or ``ImportFileError`` listing each bad line; ``lengths``: the most characters
    a column's value may have (its database column's). With ``key``, a row whose key
    (ignoring case) an earlier line has is bad too, told with ``twice`` (``%(name)s``,
    ``%(line)d``)."""
    rows, errors, seen = [], [], {}
    for number, row in csv_rows(data, required=required):
        try:
            for column, most in (lengths or {}).items():
                if len(row.get(column) or "") > most:
                    raise too_long(column, most)
            parsed = parse(number, row)
        except ValueError as problem:
            errors.append(on_line(number, problem))
            continue
        if key is not None:
            name = key(parsed)
            if name.lower() in seen:
                errors.append(on_line(number, twice % {"name": name, "line": seen[name.lower()]}))
            seen.setdefault(name.lower(), number)
        rows.append(parsed)
    if errors:
        raise ImportFileError(errors)
    return rows


def all_or_nothing(apply: Callable[[], Outcome], *, dry_run: bool) -> Outcome:
    """Run ``apply`` in one transaction; a dry run rolls it back after reporting."""

    class DryRun(Exception):
        pass

    outcome = Outcome()
    try:
        with transaction.atomic():
            outcome = apply()
            if dry_run:
                raise DryRun
    except DryRun:
        pass
    except (DataError, IntegrityError) as problem:  # a value no check above foresaw
        message = _("The database refused a value of the file (%(problem)s); nothing was imported.")
        raise ImportFileError([message % {"problem": str(problem).strip().splitlines()[0]}]) from None
    return outcome


class ImportFileForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("A CSV file (UTF-8) with the columns described below.")
    )
    dry_run = forms.BooleanField(label=_("Dry run: only report what would change"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if problem := too_big(upload.size):
            raise forms.ValidationError(problem)
        return upload


class ImportFromFileMixin:
    """An "Import from a file" page beside a model admin's list. Subclasses set
    ``import_form`` (an ``ImportFileForm``), ``import_help`` (a template describing the file) and
    ``import_rows(data, **options) -> Outcome`` (raising ``ImportFileError``)."""

    change_list_template = "admin/import_change_list.html"
    import_form = ImportFileForm
    import_help = ""

    def get_urls(self):
        own = [path("import/", self.admin_site.admin_view(self.import_file), name=self._import_name())]
        return own + super().get_urls()

    def _import_name(self) -> str:
        meta = self.model._meta
        return f"{meta.app_label}_{meta.model_name}_import"

    def changelist_view(self, request, extra_context=None):
        extra = {**(extra_context or {}), "import_url": reverse(f"admin:{self._import_name()}")}
        return super().changelist_view(request, extra)

    def import_file(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = self.import_form(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            options = {name: value for name, value in form.cleaned_data.items() if name != "file"}
            try:
                outcome = self.import_rows(form.cleaned_data["file"].read(), **options)
            except ImportFileError as problem:
                problems = problem.errors
            else:
                dry_run = options.get("dry_run", False)
                for line in outcome.lines(dry_run=dry_run):
                    self.message_user(request, line, messages.INFO)
                self.message_user(
                    request, outcome.summary(dry_run=dry_run).capitalize() + ".", messages.SUCCESS
                )
                meta = self.model._meta
                return redirect(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import %(things)s from a file") % {"things": self.model._meta.verbose_name_plural},
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
            "import_help": self.import_help,
        }
        return TemplateResponse(request, "admin/import_file.html", context, status=400 if problems else 200)


BIG_FILE_BYTES = 100_000


def run_import(command, file: Path, importer: Callable[[bytes], Outcome], *, dry_run: bool) -> None:
    """Read ``file``, import it, and print a line per change and a summary (or every bad
    line and exit 1)."""
    try:
        size = file.stat().st_size
        if problem := too_big(size):
            raise CommandError(problem)
        data = file.read_bytes()
    except OSError as problem:
        raise CommandError(f"Cannot read {file}: {problem.strerror}") from None
    if size > BIG_FILE_BYTES:  # a while to check and save: say what is under way
        lines = data.count(b"\n")
        command.stderr.write(f"Checking {file.name} ({size:,} bytes, {lines:,} lines)…")
    try:
        outcome = importer(data)
    except ImportFileError as problem:
        for line in problem.errors:
            command.stderr.write(line)
        raise CommandError(f"Nothing imported: {len(problem.errors)} problem(s) in {file.name}.") from None
    for line in outcome.lines(dry_run=dry_run):
        command.stdout.write(line)
    command.stdout.write(outcome.summary(dry_run=dry_run).capitalize())
