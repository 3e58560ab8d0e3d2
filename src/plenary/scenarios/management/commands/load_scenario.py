from django.core.management.base import BaseCommand, CommandError

from plenary.core.yamlfile import DataFileError
from plenary.scenarios.loader import load_scenario


class Command(BaseCommand):
    help = "Load a scenario by name (vcc2) or from a scenario.yaml; loading again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        try:
            result = load_scenario(name)
        except DataFileError as error:
            raise CommandError(f"Scenario refused, nothing was loaded. {error}") from None
        if not result.changes.count:
            self.stdout.write(f"{result.consultation.acronym}: already loaded, nothing changed.")
            return
        created = ", ".join(f"{n} {what}" for what, n in sorted(result.changes.created.items()))
        updated = ", ".join(f"{n} {what}" for what, n in sorted(result.changes.updated.items()))
        self.stdout.write(
            f"{result.consultation.acronym} loaded. Created: {created or 'nothing'}. Updated: {updated or 'nothing'}."
        )
        for account in result.credentials:
            self.stdout.write(f"  {account['role']}: {account['email']} / {account['password']}")
