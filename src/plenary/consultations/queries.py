"""Reads of consultations and their agendas, shared by pages, the API and exports."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch
from django.utils.translation import gettext_lazy as _

from plenary.core import translated

from .models import AgendaGroup, AgendaItem, AgendaItemDocument, Consultation


def consultation_by_slug(slug: str) -> Consultation:
    return Consultation.objects.select_related("council_term").get(slug=slug)


def agenda_groups(consultation: Consultation) -> list[AgendaGroup]:
    """The agenda in its groups, items in order, each item's documents in order."""
    links = AgendaItemDocument.objects.select_related("document").order_by("position")
    items = AgendaItem.objects.prefetch_related(
        Prefetch("agendaitemdocument_set", queryset=links, to_attr="document_links")
    )
    return list(
        consultation.groups.order_by("number")
        .annotate(item_count=Count("items"))
        .prefetch_related(
            Prefetch(
                "items", queryset=items.order_by("position", "number"), to_attr="ordered_items"
            )
        )
    )


def untranslated_subjects(consultation: Consultation, language: str) -> int:
    """How many item subjects have no text in a language (they are shown in English)."""
    if language == "en":
        return 0
    column = translated.column("subject", language)
    items = AgendaItem.objects.filter(group__consultation=consultation)
    return (
        items.filter(**{f"{column}__isnull": True}).count() + items.filter(**{column: ""}).count()
    )


def agenda_counts(consultation: Consultation) -> dict[int, int]:
    return dict(consultation.groups.annotate(n=Count("items")).values_list("number", "n"))


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    at: datetime
    until: datetime | None = None


def milestones(consultation: Consultation) -> list[Milestone]:
    """The dates a delegation plans around, in order (R9, R14, R18, R24, R25)."""
    result = [
        Milestone("registration", _("Registration opens"), consultation.registration_opens_at),
        Milestone(
            "contributions", _("Deadline for contributions"), consultation.contribution_deadline
        ),
    ]
    if consultation.rehearsal_window:
        start, end = consultation.rehearsal_window
        result.append(Milestone("rehearsal", _("Rehearsal"), start, end))
    for index, day in enumerate(consultation.meeting_days()):
        start, end = consultation.window_on(day)
        label = (
            _("Opening meeting: confirmation of the final agenda") if index == 0 else _("Meeting")
        )
        result.append(Milestone(f"meeting-{index + 1}", label, start, end))
    return sorted(result, key=lambda milestone: milestone.at)


def next_milestone(consultation: Consultation, now: datetime) -> Milestone | None:
    for milestone in milestones(consultation):
        if (milestone.until or milestone.at) > now:
            return milestone
    return None


def agenda_snapshot(consultation: Consultation) -> dict:
    """The agenda as plain data, to freeze in a version and compare with another."""
    from django.conf import settings

    languages = [code for code, _name in settings.LANGUAGES]
    groups = []
    for group in agenda_groups(consultation):
        groups.append(
            {
                "number": group.number,
                "kind": group.kind,
                "items": [
                    {
                        "id": item.pk,
                        "label": item.label,
                        "subject": translated.texts(item, "subject", languages),
                        "references": list(item.references),
                        "documents": [link.document.symbol for link in item.document_links],
                    }
                    for item in group.ordered_items
                ],
            }
        )
    return {"groups": groups}


def translation_matrix(consultation: Consultation) -> dict:
    """Which item subjects exist in which language, with the count missing per language."""
    from django.conf import settings

    languages = [code for code, _name in settings.LANGUAGES]
    rows = []
    missing = dict.fromkeys(languages, 0)
    for group in agenda_groups(consultation):
        for item in group.ordered_items:
            present = {code: bool(translated.text(item, "subject", code)) for code in languages}
            for code, ok in present.items():
                missing[code] += not ok
            rows.append({"item": item, "present": [present[code] for code in languages]})
    return {"languages": languages, "rows": rows, "missing": [missing[code] for code in languages]}
