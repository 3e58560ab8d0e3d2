"""Every change to a consultation's agenda (R5–R7, R25). Each function is transactional,
audited, and refuses with a DomainError that says why.

Until the presiding officer confirms the agenda at the opening meeting it is a draft, and
the secretariat edits it freely. Confirmation freezes version 1; from then on every change
needs a reason and makes the next version.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from plenary.core import audit, translated
from plenary.core.errors import DomainError

from . import queries
from .agenda_files import DEFAULT_KINDS, AgendaFileError, GroupRow, ItemRow, Problem
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
    """The opening meeting confirms the final agenda (R7, R25): version 1 is frozen. Who
    chairs the meeting confirms it, while the consultation's first meeting is under way."""
    if not (actor and actor.has_perm("consultations.chair_meeting", consultation)):
        raise DomainError(
            _("Only the presiding officer or the secretariat runs the meeting."), code="not_chair"
        )
    with transaction.atomic():
        consultation = _locked(consultation)
        if consultation.agenda_is_final:
            raise DomainError(_("The agenda has already been confirmed."), code="already_confirmed")
        if not opening_meeting_under_way(consultation):
            raise DomainError(
                _("The agenda is confirmed at the opening meeting: open the first meeting first."),
                code="not_opening_meeting",
            )
        consultation.agenda_confirmed_at = timezone.now()
        consultation.save(update_fields=["agenda_confirmed_at"])
        audit.record("agenda.confirmed", actor=actor, target=consultation)
        return _freeze(consultation, actor, "")


def opening_meeting_under_way(consultation: Consultation) -> bool:
    """Whether the meeting the chair has opened on the floor is the consultation's first
    meeting (number 1, not the rehearsal). The floor's row is read through its relation to
    the consultation: the floor app sits above this one and is not imported."""
    floor = (
        type(consultation)
        .objects.filter(pk=consultation.pk)
        .values_list("floor__meeting__number", "floor__meeting__kind")
    )
    number, kind = floor.first() or (None, None)
    meetings = consultation.meetings.model  # planning.Meeting, through the same relation
    return number == 1 and kind == meetings.Kind.MEETING


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


# --- Groups (R5) ----------------------------------------------------------------------------

MAX_GROUP_NUMBER = 99


def _titles(titles: dict) -> dict:
    values = {}
    for code, text in titles.items():
        if code not in LANGUAGE_CODES:
            raise DomainError(_("Unknown language."), code="unknown_language")
        values[translated.column("title", code)] = (text or "").strip()
    return values


def _check_group(number, kind) -> None:
    if not isinstance(number, int) or not 1 <= number <= MAX_GROUP_NUMBER:
        raise DomainError(
            _("A group's number goes from 1 to %(n)s."),
            code="bad_group_number",
            params={"n": MAX_GROUP_NUMBER},
        )
    if kind not in AgendaGroup.Kind.values:
        raise DomainError(
            _("A group is urgent, if time allows, or for information."), code="bad_kind"
        )


def add_group(
    consultation: Consultation, *, number: int, kind: str, titles: dict, actor, reason: str = ""
) -> AgendaGroup:
    """A new agenda group (Group 1 urgent, 2 if time allows, 3 for information), with its
    title in English at least."""
    with transaction.atomic():
        consultation = _locked(consultation)
        _check_group(number, kind)
        values = _titles(titles)
        if not values.get("title_en"):
            raise DomainError(_("A group needs at least its English title."), code="title_required")
        if consultation.groups.filter(number=number).exists():
            raise DomainError(
                _("Group %(number)s already exists."),
                code="group_exists",
                params={"number": number},
            )
        reason = _check_reason(consultation, reason)
        group = AgendaGroup.objects.create(
            consultation=consultation, number=number, kind=kind, **values
        )
        audit.record(
            "agenda.group_added",
            actor=actor,
            target=group,
            data={"number": number, "kind": kind, "reason": reason},
        )
        _after_change(consultation, actor, reason)
    return group


def update_group(
    group: AgendaGroup, *, kind: str | None = None, titles: dict | None = None, actor, reason=""
) -> AgendaGroup:
    """Change a group's kind or its title in any of the six languages."""
    with transaction.atomic():
        consultation = _locked(group.consultation)
        group = AgendaGroup.objects.select_for_update().get(pk=group.pk)
        changed = {}
        if kind is not None:
            _check_group(group.number, kind)
            if kind != group.kind:
                changed["kind"] = kind
        for field, text in _titles(titles or {}).items():
            if field == "title_en" and not text:
                raise DomainError(
                    _("A group needs at least its English title."), code="title_required"
                )
            if (getattr(group, field) or "") != text:
                changed[field] = text
        if not changed:
            return group
        reason = _check_reason(consultation, reason)
        for field, value in changed.items():
            setattr(group, field, value)
        group.save(update_fields=list(changed))
        audit.record(
            "agenda.group_changed",
            actor=actor,
            target=group,
            data={"number": group.number, "changed": changed, "reason": reason},
        )
        _after_change(consultation, actor, reason)
    return group


# --- Importing the agenda from a file ---------------------------------------------------------


@dataclass
class PlanEntry:
    """What importing one group or item of the file does: create it, change some of its
    fields (old -> new), or nothing."""

    CREATE = "create"
    CHANGE = "change"
    SAME = "unchanged"

    target: str  # "group" or "item"
    label: str
    line: int
    action: str
    title: str = ""
    changes: list[dict] = field(default_factory=list)  # {"field", "old", "new"}
    values: dict = field(default_factory=dict, repr=False)  # model fields to write
    documents: list | None = field(default=None, repr=False)  # the new list, if it changes

    def as_dict(self) -> dict:
        keys = ("target", "label", "line", "action", "title", "changes")
        return {key: getattr(self, key) for key in keys}


@dataclass
class ImportPlan:
    entries: list[PlanEntry]
    documents_created: int = 0
    applied: bool = False
    version: int | None = None

    def _count(self, target: str, action: str) -> int:
        return sum(1 for e in self.entries if e.target == target and e.action == action)

    @property
    def counts(self) -> dict[str, int]:
        counts = {
            f"{target}s_{name}": self._count(target, action)
            for target in ("group", "item")
            for name, action in (
                ("created", PlanEntry.CREATE),
                ("changed", PlanEntry.CHANGE),
                ("unchanged", PlanEntry.SAME),
            )
        }
        return {**counts, "documents_created": self.documents_created}

    @property
    def has_changes(self) -> bool:
        return any(entry.action != PlanEntry.SAME for entry in self.entries)

    def as_dict(self) -> dict:
        return {
            "applied": self.applied,
            "version": self.version,
            "counts": self.counts,
            "entries": [entry.as_dict() for entry in self.entries],
        }


def _file_field(prefix: str, code: str) -> str:
    """subject_zh, title_fr…: a translated field as the file's columns name it."""
    return f"{prefix}_{'zh' if code == 'zh-hans' else code}"


def _text_changes(entry: PlanEntry, obj, prefix: str, texts: dict) -> None:
    for code, text in texts.items():
        column = translated.column(prefix, code)
        old = (getattr(obj, column, None) or "") if obj is not None else ""
        if old != text:
            entry.values[column] = text
            entry.changes.append({"field": _file_field(prefix, code), "old": old, "new": text})


def _plan_group(number: int, row: GroupRow | None, group, line: int, problems):
    entry = PlanEntry("group", str(number), row.line if row else line, PlanEntry.SAME)
    kind = row.kind if row else ""
    if group is None:
        kind = kind or DEFAULT_KINDS.get(number, "")
        if not kind:
            problems.append(
                Problem(
                    _(
                        "Line %(line)s: group %(number)s is new; give its kind (urgent, if_time or information) in the “kind” column."
                    ),
                    {"number": number},
                    line=entry.line,
                )
            )
            return entry
        entry.values["kind"] = kind
        entry.changes.append({"field": "kind", "old": "", "new": kind})
    elif kind and kind != group.kind:
        entry.values["kind"] = kind
        entry.changes.append({"field": "kind", "old": group.kind, "new": kind})
    titles = dict(row.titles) if row else {}
    if group is None and not titles.get("en"):
        # A new group the file gives no English title: its kind's name stands for it.
        with translation.override("en"):
            titles["en"] = str(AgendaGroup.Kind(kind).label)
    _text_changes(entry, group, "title", titles)
    entry.title = titles.get("en") or (group.title_en if group else "")
    if entry.changes:
        entry.action = PlanEntry.CREATE if group is None else PlanEntry.CHANGE
    return entry


def _document_label(symbol: str, pending: bool) -> str:
    return f"[{symbol}]" if pending else symbol


def _plan_item(row: ItemRow, item) -> PlanEntry:
    entry = PlanEntry("item", row.label, row.line, PlanEntry.SAME, row.subjects.get("en", ""))
    _text_changes(entry, item, "subject", row.subjects)
    _text_changes(entry, item, "instruments", row.instruments)
    if row.references is not None and row.references != (item.references if item else []):
        entry.values["references"] = row.references
        old = ", ".join(item.references) if item else ""
        entry.changes.append({"field": "references", "old": old, "new": ", ".join(row.references)})
    if row.documents is not None:
        old = [
            _document_label(link.document.symbol, link.document.pending)
            for link in (item.document_links if item else [])
        ]
        new = [_document_label(symbol, flag) for symbol, flag in row.documents]
        if old != new:
            entry.documents = row.documents
            entry.changes.append(
                {"field": "documents", "old": ", ".join(old), "new": ", ".join(new)}
            )
    if item is None:
        entry.action = PlanEntry.CREATE
    elif entry.changes:
        entry.action = PlanEntry.CHANGE
    return entry


def _import_plan(consultation: Consultation, rows: list) -> ImportPlan:
    """What importing the rows would do to the consultation's agenda now. Groups and items
    the file does not name are kept as they are."""
    links = AgendaItemDocument.objects.select_related("document").order_by("position")
    items = {
        (item.group.number, item.number): item
        for item in AgendaItem.objects.filter(group__consultation=consultation)
        .select_related("group")
        .prefetch_related(Prefetch("agendaitemdocument_set", links, to_attr="document_links"))
    }
    groups = {group.number: group for group in consultation.groups.all()}
    group_rows = {row.number: row for row in rows if isinstance(row, GroupRow)}
    first_lines: dict[int, int] = {}
    for row in rows:
        first_lines.setdefault(row.number if isinstance(row, GroupRow) else row.group, row.line)
    problems: list[Problem] = []
    entries = [
        _plan_group(number, group_rows.get(number), groups.get(number), line, problems)
        for number, line in first_lines.items()
    ]
    entries += [
        _plan_item(row, items.get((row.group, row.number)))
        for row in rows
        if isinstance(row, ItemRow)
    ]
    if problems:
        raise AgendaFileError(problems)
    known = set(consultation.documents.values_list("symbol", flat=True))
    new_symbols = {
        symbol
        for entry in entries
        for symbol, _pending in entry.documents or []
        if symbol not in known
    }
    return ImportPlan(entries, documents_created=len(new_symbols))


def import_agenda(
    consultation: Consultation,
    rows: list,
    *,
    actor,
    reason: str = "",
    apply: bool = False,
    source: str = "",
) -> ImportPlan:
    """The plan of importing the agenda rows of a file (consultations.agenda_files), and with
    `apply` the import itself: all of it in one transaction or nothing, one audit event
    with the counts, and a new agenda version when the agenda has been confirmed (then a
    reason is required). Importing the same file again changes nothing."""
    if not apply:
        return _import_plan(consultation, rows)
    with transaction.atomic():
        consultation = _locked(consultation)
        plan = _import_plan(consultation, rows)
        if not plan.has_changes:
            return plan
        reason = _check_reason(consultation, reason)
        _apply_plan(consultation, plan)
        plan.applied = True
        audit.record(
            "agenda.imported",
            actor=actor,
            target=consultation,
            data={**plan.counts, "file": source[:200], "reason": reason},
        )
        version = _after_change(consultation, actor, reason)
        plan.version = version.number if version else None
    return plan


def _apply_plan(consultation: Consultation, plan: ImportPlan) -> None:
    groups = {group.number: group for group in consultation.groups.all()}
    for entry in plan.entries:
        if entry.target != "group" or entry.action == PlanEntry.SAME:
            continue
        number = int(entry.label)
        if entry.action == PlanEntry.CREATE:
            groups[number] = AgendaGroup.objects.create(
                consultation=consultation, number=number, **entry.values
            )
        else:
            AgendaGroup.objects.filter(pk=groups[number].pk).update(**entry.values)
    documents = {document.symbol: document for document in consultation.documents.all()}
    positions: dict[int, int] = {}
    for entry in plan.entries:
        if entry.target != "item" or entry.action == PlanEntry.SAME:
            continue
        group_number, number = (int(part) for part in entry.label.split("."))
        group = groups[group_number]
        if entry.action == PlanEntry.CREATE:
            if group.pk not in positions:
                positions[group.pk] = group.items.aggregate(p=Max("position"))["p"] or 0
            positions[group.pk] += 1
            item = AgendaItem.objects.create(
                group=group, number=number, position=positions[group.pk], **entry.values
            )
        else:
            item = group.items.get(number=number)
            if entry.values:
                AgendaItem.objects.filter(pk=item.pk).update(**entry.values)
        if entry.documents is not None:
            _set_documents(consultation, item, entry.documents, documents)


def _set_documents(consultation, item: AgendaItem, wanted: list, documents: dict) -> None:
    """The item's documents become exactly `wanted` ([symbol, pending], in order)."""
    keep = []
    for position, (symbol, pending) in enumerate(wanted, start=1):
        document = documents.get(symbol)
        if document is None:
            document = documents[symbol] = Document.objects.create(
                consultation=consultation,
                symbol=symbol,
                kind=document_kind(symbol, consultation.contribution_prefix),
                pending=pending,
            )
        elif document.pending != pending:
            document.pending = pending
            document.save(update_fields=["pending"])
        AgendaItemDocument.objects.update_or_create(
            item=item, document=document, defaults={"position": position}
        )
        keep.append(document.pk)
    AgendaItemDocument.objects.filter(item=item).exclude(document_id__in=keep).delete()
