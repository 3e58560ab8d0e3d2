"""`plenary manage withdraw_statements`: withdraw now the statements for interpreters the
worker would withdraw at its next run (those whose meeting ended their consultation's
statement_withdraw_hours ago), files deleted."""

from django.core.management.base import BaseCommand

from plenary.statements import withdrawal


class Command(BaseCommand):
    help = "Withdraw the statements for interpreters whose meeting is over."

    def handle(self, *args, **options):
        withdrawn = withdrawal.withdraw_after_meetings()
        self.stdout.write(f"{withdrawn} statements withdrawn.")
