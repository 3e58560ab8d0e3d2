"""`plenary manage expire_drafts`: delete now the drafts the worker would delete at its next
hourly run (those older than their consultation's contribution_draft_days), files included."""

from django.core.management.base import BaseCommand

from plenary.contributions import drafts


class Command(BaseCommand):
    help = "Delete the contribution drafts older than their consultation's draft days."

    def handle(self, *args, **options):
        deleted = drafts.expire()
        self.stdout.write(f"{deleted} drafts deleted.")
