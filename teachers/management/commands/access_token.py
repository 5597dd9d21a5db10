"""Personal access tokens for the API, for an operator (docs/api.md):

    manage.py access_token make --teacher USERNAME --name NAME [--scope read|book] [--days 90]
    manage.py access_token list [--teacher USERNAME]
    manage.py access_token revoke PREFIX

``make`` prints the token once; only its prefix and a hash are kept."""

from django.core.management.base import BaseCommand, CommandError

from teachers import tokens
from teachers.models import AccessToken, Teacher


class Command(BaseCommand):
    help = "Make, list or revoke personal access tokens for the API."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        make = actions.add_parser("make", help="a new token, printed once")
        make.add_argument("--teacher", required=True, help="the username the token acts as")
        make.add_argument("--name", required=True, help="what the token is for, e.g. 'Office MIS'")
        make.add_argument("--scope", choices=AccessToken.Scope.values, default=AccessToken.Scope.READ)
        make.add_argument("--days", type=int, default=90, help="valid for this many days (1 to 366)")
        listed = actions.add_parser("list", help="tokens, newest first")
        listed.add_argument("--teacher", help="only this teacher's")
        revoke = actions.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _make(self, *, teacher, name, scope, days, **options):
        if not 1 <= days <= 366:
            raise CommandError("--days: from 1 to 366.")
        if not name.strip() or len(name) > 100:
            raise CommandError("--name: 1 to 100 characters.")
        who = Teacher.objects.filter(username=teacher, is_active=True).first()
        if who is None:
            raise CommandError(f"--teacher: no active teacher {teacher!r}.")
        row, token = tokens.make(who, name=name.strip(), scope=scope, days=days)
        self.stdout.write(token)
        until = f"{row.expires_at:%Y-%m-%d}"
        self.stderr.write(f"Token {row.prefix} for {who.username} ({scope}), until {until}.")

    def _list(self, *, teacher=None, **options):
        rows = AccessToken.objects.select_related("teacher")
        if teacher:
            rows = rows.filter(teacher__username=teacher)
        for row in rows:
            state = "revoked" if row.revoked_at else f"until {row.expires_at:%Y-%m-%d}"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            who = row.teacher.username
            self.stdout.write(f"{row.prefix}  {who}  {row.scope}  {state}  used {used}  {row.name}")

    def _revoke(self, *, prefix, **options):
        row = AccessToken.objects.select_related("teacher").filter(prefix=prefix).first()
        if row is None:
            raise CommandError(f"No token {prefix!r}.")
        tokens.revoke(row)
        self.stdout.write(f"Token {prefix} revoked.")
