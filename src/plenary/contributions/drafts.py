"""Uploads not submitted: how one is deleted with its file, and the expiry of those older
than their consultation's contribution_draft_days. Below the services and the worker's
task, which both use it (services.delete_draft for a person, tasks.expire_drafts hourly)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from plenary.consultations.models import Consultation
from plenary.core import audit

from .models import Contribution


def delete(draft: Contribution, action: str, *, actor) -> None:
    """In the caller's transaction, with the draft's row locked: the row goes, audited, and
    its file once that commits (a rollback keeps both)."""
    audit.record(
        action,
        actor=actor,
        target=draft,
        data={"title": draft.title, "file": draft.file.name, "created_at": draft.created_at},
    )
    name, storage = draft.file.name, draft.file.storage
    draft.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def expire(*, now: datetime | None = None) -> int:
    """Delete every draft older than its consultation's contribution_draft_days, with its
    file, each in its own locked transaction; returns how many were deleted."""
    now = now or timezone.now()
    deleted = 0
    consultations = Consultation.objects.filter(
        contributions__status=Contribution.Status.DRAFT
    ).distinct()
    for consultation in consultations:
        cutoff = now - timedelta(days=consultation.contribution_draft_days)
        old = Contribution.objects.filter(
            consultation=consultation, status=Contribution.Status.DRAFT, created_at__lt=cutoff
        ).values_list("pk", flat=True)
        for pk in list(old):
            with transaction.atomic():
                draft = (
                    Contribution.objects.select_for_update()
                    .filter(pk=pk, status=Contribution.Status.DRAFT)
                    .first()
                )
                if draft is not None:  # submitted or deleted meanwhile: kept, or gone
                    delete(draft, "contribution.draft_expired", actor=None)
                    deleted += 1
    return deleted
