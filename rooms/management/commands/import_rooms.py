from pathlib import Path

from django.core.management.base import BaseCommand

from config.imports import run_import
from rooms.room_import import apply, read


class Command(BaseCommand):
    help = "Create and update rooms from a CSV file (see rooms/room_import.py for the columns)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )

    def handle(self, *args, file: Path, dry_run: bool, **options):
        run_import(self, file, lambda data: apply(read(data), dry_run=dry_run), dry_run=dry_run)
