"""Every change to a consultation's agenda (R5–R7, R25). Each function is transactional,
audited, and refuses with a DomainError that says why.

Until the presiding officer confirms the agenda at the opening meeting it is a draft, and
the secretariat edits it freely. Confirmation freezes version 1; from then on every change
needs a reason and makes the next version.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.core import audit, translated
from plenary.core.errors import DomainError

from . import queries
from .models import (
    AgendaGroup,
    AgendaItem,
    AgendaItemDocument,
    AgendaVersion,
    Consultation,
    Document,
)

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def _locked(consultation: Consultation) -> Consultation:
    # One agenda change at a time per consultation: versions are numbered without gaps.
    return Consultation.objects.select_for_update().get(pk=consultation.pk)


def _check_reason(consultation: Consultation, reason: str) -> str:
    reason = (reason or "").strip()
    if consultation.agenda_is_final and not reason:
        raise DomainError(
            _("The agenda has been confirmed: give the reason for this change."),
            code="reason_required",
        )
    return reason


def _after_change(consultation: Consultation, actor, reason: str) -> AgendaVersion | None:
    if not consultation.agenda_is_final:
        return None
    return _freeze(consultation, actor, reason)


def _freeze(consultation: Consultation, actor, reason: str) -> AgendaVersion:
    last = consultation.agenda_versions.aggregate(n=Max("number"))["n"] or 0
    version = AgendaVersion.objects.create(
        consultation=consultation,
        number=last + 1,
        created_at=timezone.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
        reason=reason,
        snapshot=queries.agenda_snapshot(consultation),
    )
    audit.record(
        "agenda.version_created",
        actor=actor,
        target=consultation,
        data={"version": version.number, "reason": reason},
    )
    return version


def _subjects(subjects: dict) -> dict:
    values = {}
    for code, text in subjects.items():
        if code not in LANGUAGE_CODES:
            raise DomainError(_("Unknown language."), code="unknown_language")
        values[translated.column("subject", code)] = (text or "").strip()
    return values


def _clean_references(references) -> list[str]:
    if isinstance(references, str):
        references = references.split(",")
    return [ref.strip() for ref in references if ref and ref.strip()]


def confirm_agenda(consultation: Consultation, *, actor) -> AgendaVersion:
    """The opening meeting confirms the final agenda (R7, R25): version 1 is frozen."""
    with transaction.atomic():
        consultation = _locked(consultation)
        if consultation.agenda_is_final:
            raise DomainError(_("The agenda has already been confirmed."), code="already_confirmed")
        consultation.agenda_confirmed_at = timezone.now()
        consultation.save(update_fields=["agenda_confirmed_at"])
        audit.record("agenda.confirmed", actor=actor, target=consultation)
        return _freeze(consultation, actor, "")


def add_item(
    group: AgendaGroup, *, subjects: dict, references=(), base_minutes=None, actor, reason: str = ""
) -> AgendaItem:
    """A new item at the end of a group, numbered after the last one."""
    with transaction.atomic():
        consultation = _locked(group.consultation)
        reason = _check_reason(consultation, reason)
        values = _subjects(subjects)
        if not values.get("subject_en"):
            raise DomainError(
                _("An item needs at least its English subject."), code="subject_required"
            )
        last = group.items.aggregate(number=Max("number"), position=Max("position"))
        item = AgendaItem.objects.create(
            group=group,
            number=(last["number"] or 0) + 1,
            position=(last["position"] or 0) + 1,
            references=_clean_references(references),
            base_minutes=base_minutes,
            **values,
        )
        audit.record(
            "agenda.item_added",
            actor=actor,
            target=item,
            data={"label": item.label, "reason": reason},
        )
        _after_change(consultation, actor, reason)
    return item


def update_item(
    item: AgendaItem,
    *,
    subjects: dict | None = None,
    references=None,
    base_minutes=...,
    actor,
    reason: str = "",
) -> AgendaItem:
    """Change an item's subject (in any of the six languages), references or planned time."""
    with transaction.atomic():
        consultation = _locked(item.group.consultation)
        reason = _check_reason(consultation, reason)
        item = AgendaItem.objects.select_for_update().get(pk=item.pk)
        changed = {}
        if subjects is not None:
            for field, text in _subjects(subjects).items():
                if field == "subject_en" and not text:
                    raise DomainError(
                        _("An item needs at least its English subject."), code="subject_required"
                    )
                if (getattr(item, field) or "") != text:
                    changed[field] = text
        if references is not None:
            cleaned = _clean_references(references)
            if cleaned != item.references:
                changed["references"] = cleaned
        if base_minutes is not ... and base_minutes != item.base_minutes:
            changed["base_minutes"] = base_minutes
        if not changed:
            return item
        for field, value in changed.items():
            setattr(item, field, value)
        item.save(update_fields=list(changed))
        audit.record(
            "agenda.item_changed",
            actor=actor,
            target=item,
            data={"changed": changed, "reason": reason},
        )
        _after_change(consultation, actor, reason)
    return item


def move_item(
    item: AgendaItem, *, group: AgendaGroup | None = None, step: int = 0, actor, reason: str = ""
) -> AgendaItem:
    """Move an item to another group (at its end) or `step` places up (-1) or down (+1)."""
    with transaction.atomic():
        consultation = _locked(item.group.consultation)
        reason = _check_reason(consultation, reason)
        item = AgendaItem.objects.select_related("group").get(pk=item.pk)
        before = item.label
        if group is not None and group.pk != item.group_id:
            if group.consultation_id != consultation.pk:
                raise DomainError(
                    _("That group belongs to another consultation."), code="wrong_consultation"
                )
            last = group.items.aggregate(number=Max("number"), position=Max("position"))
            item.group = group
            item.number = (last["number"] or 0) + 1
            item.position = (last["position"] or 0) + 1
            item.save(update_fields=["group", "number", "position"])
        elif step:
            siblings = list(item.group.items.order_by("position", "number"))
            index = next(n for n, sibling in enumerate(siblings) if sibling.pk == item.pk)
            target = index + step
            if not 0 <= target < len(siblings):
                raise DomainError(_("The item is already at that end of its group."), code="at_end")
            siblings.insert(target, siblings.pop(index))
            _renumber(siblings)
            item.refresh_from_db()
        else:
            return item
        audit.record(
            "agenda.item_moved",
            actor=actor,
            target=item,
            data={"from": before, "to": item.label, "reason": reason},
        )
        _after_change(consultation, actor, reason)
    return item


def _renumber(items: list[AgendaItem]) -> None:
    """Positions and numbers follow the new order; numbers stay unique throughout the update."""
    offset = 1000 + len(items)
    for n, item in enumerate(items, start=1):
        AgendaItem.objects.filter(pk=item.pk).update(number=offset + n)
    for n, item in enumerate(items, start=1):
        AgendaItem.objects.filter(pk=item.pk).update(number=n, position=n)


def attach_document(
    item: AgendaItem,
    *,
    symbol: str,
    title: str = "",
    languages=(),
    pending: bool = False,
    url: str = "",
    upload=None,
    actor,
    reason: str = "",
) -> Document:
    """Attach a document (C20/n, a revision, C20/INF/n or VC/n) to an item, creating it if new."""
    symbol = (symbol or "").strip()
    if not symbol or len(symbol) > 60:
        raise DomainError(
            _("A document needs a symbol such as C20/21(Rev.3)."), code="symbol_required"
        )
    unknown = [code for code in languages if code not in LANGUAGE_CODES]
    if unknown:
        raise DomainError(_("Unknown language."), code="unknown_language")
    with transaction.atomic():
        consultation = _locked(item.group.consultation)
        reason = _check_reason(consultation, reason)
        document, created = Document.objects.get_or_create(consultation=consultation, symbol=symbol)
        document.kind = document_kind(symbol, consultation.contribution_prefix)
        document.pending = pending
        if title:
            document.title_en = title
        if languages:
            document.languages = list(languages)
        if url:
            document.url = url
        if upload is not None:
            document.file.save(upload.name, upload, save=False)
        document.save()
        position = (item.agendaitemdocument_set.aggregate(p=Max("position"))["p"] or 0) + 1
        _link, linked = AgendaItemDocument.objects.get_or_create(
            item=item, document=document, defaults={"position": position}
        )
        audit.record(
            "agenda.document_attached",
            actor=actor,
            target=item,
            data={
                "symbol": symbol,
                "created": created,
                "linked": linked,
                "pending": pending,
                "reason": reason,
            },
        )
        if linked or created:
            _after_change(consultation, actor, reason)
    return document


def detach_document(item: AgendaItem, document: Document, *, actor, reason: str = "") -> None:
    with transaction.atomic():
        consultation = _locked(item.group.consultation)
        reason = _check_reason(consultation, reason)
        deleted, _kinds = AgendaItemDocument.objects.filter(item=item, document=document).delete()
        if not deleted:
            raise DomainError(_("That document is not attached to this item."), code="not_attached")
        audit.record(
            "agenda.document_detached",
            actor=actor,
            target=item,
            data={"symbol": document.symbol, "reason": reason},
        )
        _after_change(consultation, actor, reason)


def document_kind(symbol: str, contribution_prefix: str = "VC") -> str:
    if "/INF/" in symbol:
        return Document.Kind.INFORMATION
    if symbol.startswith(f"{contribution_prefix}/"):
        return Document.Kind.CONTRIBUTION
    return Document.Kind.COUNCIL
