"""Public reads: consultations, the agenda, the published plan, the states. Open to
everyone, as the pages are."""

import datetime

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from plenary.consultations import queries as consultation_queries
from plenary.consultations.models import Consultation
from plenary.directory import queries as directory_queries
from plenary.planning import queries as plan_queries

from .base import responses

router = Router(tags=["reads"])


class ConsultationOut(Schema):
    slug: str
    acronym: str
    title: str
    starts_on: datetime.date
    ends_on: datetime.date
    time_zone: str
    # Local times of day in `time_zone`: plain "HH:MM:SS" (OpenAPI's "time" format would
    # require an offset, which a time of day in a named zone does not have).
    daily_start: str = Field(pattern=r"^\d{2}:\d{2}:\d{2}$")
    daily_end: str = Field(pattern=r"^\d{2}:\d{2}:\d{2}$")
    contribution_deadline: datetime.datetime

    @staticmethod
    def resolve_daily_start(consultation):
        return consultation.daily_start.isoformat(timespec="seconds")

    @staticmethod
    def resolve_daily_end(consultation):
        return consultation.daily_end.isoformat(timespec="seconds")


class DocumentOut(Schema):
    symbol: str
    kind: str
    pending: bool


class ItemOut(Schema):
    number: int
    label: str
    subject: str
    references: list[str]
    documents: list[DocumentOut]


class GroupOut(Schema):
    number: int
    kind: str
    title: str
    items: list[ItemOut]


class SlotOut(Schema):
    item: int
    label: str
    day: int
    start: datetime.datetime
    end: datetime.datetime
    done: bool = False


class UnscheduledOut(Schema):
    item: int
    label: str
    group: int
    minutes: int
    reason: str


class PlanOut(Schema):
    version: int
    published_at: datetime.datetime
    reason: str
    missing_minutes: int
    slots: list[SlotOut]
    unscheduled: list[UnscheduledOut]


class StateOut(Schema):
    iso2: str
    iso3: str
    name: str
    region: str | None
    observer: bool
    council: bool
    has_right_to_vote: bool


def _activate(lang: str | None) -> None:
    if lang and lang in {code for code, _name in settings.LANGUAGES}:
        translation.activate(lang)


def list_consultations(request, lang: str | None = None):
    """Every consultation (served with its creation at /consultations, api/setup.py: one
    address, two methods, one router)."""
    _activate(lang)
    return list(Consultation.objects.all())


@router.get("/consultations/{slug}/agenda", response=responses(list[GroupOut]))
def consultation_agenda(request, slug: str, lang: str | None = None):
    _activate(lang)
    consultation = get_object_or_404(Consultation, slug=slug)
    return [
        {
            "number": group.number,
            "kind": group.kind,
            "title": group.title,
            "items": [
                {
                    "number": item.number,
                    "label": item.label,
                    "subject": item.subject,
                    "references": item.references,
                    "documents": [link.document for link in item.document_links],
                }
                for item in group.ordered_items
            ],
        }
        for group in consultation_queries.agenda_groups(consultation)
    ]


@router.get("/consultations/{slug}/plan", response=responses(PlanOut))
def consultation_plan(request, slug: str):
    """The latest published time management plan."""
    consultation = get_object_or_404(Consultation, slug=slug)
    version = plan_queries.latest_plan(consultation)
    if version is None:
        return Status(404, {"detail": _("No plan has been published yet."), "code": "no_plan"})
    return {
        "version": version.number,
        "published_at": version.published_at,
        "reason": version.reason,
        "missing_minutes": version.missing_minutes,
        "slots": version.slots,
        "unscheduled": version.unscheduled,
    }


@router.get("/states", response=responses(list[StateOut]))
def list_states(request, on: datetime.date | None = None, lang: str | None = None):
    _activate(lang)
    rows = directory_queries.directory_rows(on or timezone.localdate(), translation.get_language())
    return [
        {
            "iso2": row["iso2"],
            "iso3": row["iso3"],
            "name": row["name"],
            "region": row["region"].code if row["region"] else None,
            "observer": row["observer"],
            "council": row["council"],
            "has_right_to_vote": not row["observer"] and row["without_vote"] is None,
        }
        for row in rows
    ]
