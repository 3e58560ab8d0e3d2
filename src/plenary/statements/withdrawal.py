"""The withdrawal of statements for interpreters after their meeting: when it falls, and
the expiry the worker runs. Below the services and the worker's task, which both use it."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from plenary.consultations.models import Consultation
from plenary.core import audit
from plenary.planning.models import Meeting

from .models import Statement


def withdrawn_from(meeting: Meeting) -> datetime:
    """When the statements of a meeting leave the interpreters (read from the setting now,
    so that a change applies to every statement at once)."""
    return meeting.ends_at + timedelta(hours=meeting.consultation.statement_withdraw_hours)


def withdraw_after_meetings(*, now: datetime | None = None) -> int:
    """Delete the file of every statement whose meeting ended its consultation's
    `statement_withdraw_hours` ago, each in its own locked transaction; the row stays,
    marked withdrawn. Returns how many were withdrawn."""
    now = now or timezone.now()
    withdrawn = 0
    consultations = Consultation.objects.filter(statements__withdrawn_at__isnull=True).distinct()
    for consultation in consultations:
        cutoff = now - timedelta(hours=consultation.statement_withdraw_hours)
        due = Statement.objects.filter(
            consultation=consultation, withdrawn_at__isnull=True, meeting__ends_at__lte=cutoff
        ).values_list("pk", flat=True)
        for pk in list(due):
            with transaction.atomic():
                statement = (
                    Statement.objects.select_for_update()
                    .filter(pk=pk, withdrawn_at__isnull=True)
                    .first()
                )
                if statement is None:
                    continue
                name, storage = statement.file.name, statement.file.storage
                statement.file = ""
                statement.withdrawn_at = now
                statement.save(update_fields=["file", "withdrawn_at"])
                audit.record(
                    "statement.withdrawn",
                    target=statement,
                    data={"meeting": statement.meeting_id, "file": name},
                )
                if name:
                    transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))
                withdrawn += 1
    return withdrawn
