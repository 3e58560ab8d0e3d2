"""Turn an e-mail to the remote participation mailbox into an IT support request.

The mail server pipes each message to it, e.g. in /etc/aliases:
    remote.participation: "|/srv/plenary/.venv/bin/plenary manage support_mail vcc-2"
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from plenary.consultations.models import Consultation
from plenary.core.errors import DomainError
from plenary.remote import services


class Command(BaseCommand):
    help = "Read one e-mail message (RFC 5322) and open an IT support request from it."

    def add_arguments(self, parser):
        parser.add_argument("consultation", help="short name of the consultation")
        parser.add_argument("file", nargs="?", help="the message; standard input if omitted")

    def handle(self, *args, **options):
        consultation = Consultation.objects.filter(slug=options["consultation"]).first()
        if consultation is None:
            raise CommandError(f"No consultation named {options['consultation']!r}.")
        if options["file"]:
            with open(options["file"], "rb") as message:
                raw = message.read(services.MAX_EMAIL_BYTES + 1)
        else:
            raw = sys.stdin.buffer.read(services.MAX_EMAIL_BYTES + 1)
        try:
            request = services.ingest_email(consultation, raw)
        except DomainError as refusal:
            raise CommandError(refusal.user_message()) from None
        self.stdout.write(f"Support request #{request.pk} opened for {request.email}.")
