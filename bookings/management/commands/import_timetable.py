"""``import_timetable FILE --from DATE``: the school's timetable from Untis (GPU001.TXT),
FET (its timetable CSV export) or a plain CSV; see docs/timetable.md."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bookings.lessons.formats import FORMATS
from bookings.lessons.plan import import_timetable
from config.imports import run_import


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Import the school's timetable (Untis GPU001.TXT, FET's timetable CSV or a plain CSV) from a "
        "date on: its lessons hold their rooms on every date they take place."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format", choices=FORMATS, default="", help="By the file's look when not given."
        )
        parser.add_argument("--from", dest="start", required=True, help="The first day (YYYY-MM-DD).")
        parser.add_argument("--to", dest="end", help="The last day (default: the last day of its term).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )
        clashes = parser.add_mutually_exclusive_group()
        clashes.add_argument(
            "--lessons-win",
            action="store_true",
            help="Cancel bookings the lessons clash with (teachers told).",
        )
        clashes.add_argument("--skip-clashing", action="store_true", help="Leave clashing lesson dates out.")

    def handle(self, *args, file: Path, format: str, start: str, end: str | None, dry_run: bool, **options):
        first, last = _day(start), _day(end) if end else None

        def importer(data: bytes):
            return import_timetable(
                data,
                start=first,
                end=last,
                format=format,
                lessons_win=options["lessons_win"],
                skip_clashing=options["skip_clashing"],
                dry_run=dry_run,
            )

        run_import(self, file, importer, dry_run=dry_run)
