"""Personal API tokens from the command line: `plenary manage api_token create EMAIL --name N
[--days D]`, `api_token list [EMAIL]`, `api_token revoke ID`. The token is printed once."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from plenary.core import tokens
from plenary.core.errors import DomainError
from plenary.core.models import ApiToken, User


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("email")
        create.add_argument("--name", required=True)
        create.add_argument("--days", type=int, default=None, help="expires after this many days")
        listing = sub.add_parser("list")
        listing.add_argument("email", nargs="?")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args, action, **options):
        if action == "create":
            user = User.objects.filter(email=options["email"].strip().lower()).first()
            if user is None:
                raise CommandError(f"No account has the address {options['email']}.")
            expires = timezone.now() + timedelta(days=options["days"]) if options["days"] else None
            try:
                row, token = tokens.create_user_token(
                    user, name=options["name"], expires_at=expires
                )
            except DomainError as refusal:
                raise CommandError(refusal.user_message()) from None
            self.stdout.write(f"Token {row.pk} for {user.email} (shown once):")
            self.stdout.write(token)
        elif action == "list":
            rows = ApiToken.objects.select_related("user")
            if options["email"]:
                rows = rows.filter(user__email=options["email"].strip().lower())
            for row in rows:
                holder = row.user.email if row.user_id else f"participant link {row.link_id}"
                state = (
                    "revoked" if row.revoked_at else ("in force" if row.in_force() else "expired")
                )
                self.stdout.write(f"{row.pk}\t{holder}\t{row.name}\t{row.hint}…\t{state}")
        else:
            row = ApiToken.objects.filter(pk=options["token_id"]).first()
            if row is None:
                raise CommandError(f"No token {options['token_id']}.")
            tokens.revoke(row)
            self.stdout.write(f"Token {row.pk} revoked.")
