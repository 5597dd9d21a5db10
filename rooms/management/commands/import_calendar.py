from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.imports import ImportFileError
from rooms.calendar_import import apply, read


class Command(BaseCommand):
    help = (
        "Import terms and closures from an iCalendar (.ics) or CSV file; all or nothing, and "
        "running it twice changes nothing. See rooms/calendar_import.py for the columns."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as",
            dest="default",
            choices=["closure", "term"],
            default="closure",
            help="What events or rows that do not say are (default: closure).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )

    def handle(self, *args, file: Path, default: str, dry_run: bool, **options):
        try:
            data = file.read_bytes()
        except OSError as problem:
            raise CommandError(f"Cannot read {file}: {problem.strerror}") from None
        try:
            outcome = apply(read(data, filename=file.name, default=default), dry_run=dry_run)
        except ImportFileError as problem:
            for line in problem.errors:
                self.stderr.write(line)
            raise CommandError(
                f"Nothing imported: {len(problem.errors)} problem(s) in {file.name}."
            ) from None
        verb = "Would create" if dry_run else "Created"
        for described in outcome.created:
            self.stdout.write(f"{verb} {described}")
        self.stdout.write(
            f"{verb} {len(outcome.created)}, already there {len(outcome.unchanged)}"
            + (" (dry run)" if dry_run else "")
        )
