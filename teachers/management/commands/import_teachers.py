from pathlib import Path

from django.core.management.base import BaseCommand

from config.imports import run_import
from teachers.staff_import import apply, read


class Command(BaseCommand):
    help = "Create and update teachers from a staff list CSV (see teachers/staff_import.py for the columns)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="Deactivate teachers (not staff) missing from the file; cancel their upcoming bookings.",
        )

    def handle(self, *args, file: Path, dry_run: bool, deactivate_missing: bool, **options):
        run_import(
            self,
            file,
            lambda data: apply(read(data), dry_run=dry_run, deactivate_missing=deactivate_missing),
            dry_run=dry_run,
        )
