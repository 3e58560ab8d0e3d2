"""Editing and confirming the agenda (R5–R7, R25): consultations.services, the rules of the
agenda pages (consultations.edit_agenda, consultations.confirm_agenda)."""

import datetime

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from plenary.consultations import agenda_files, services
from plenary.consultations.forms import DocumentForm
from plenary.consultations.models import AgendaGroup, AgendaItem, Document
from plenary.core import translated
from plenary.core.errors import DomainError

from .base import AUTH, Id, actor, consultation_for, get_or_404, responses

router = Router(tags=["agenda"])
LANGUAGES = [code for code, _name in settings.LANGUAGES]
MAX_SUBJECT = 2000  # as the page's form (consultations.forms.ItemForm)
Minutes = Field(None, ge=1, le=600)


class ItemIn(Schema):
    subjects: dict[str, str]
    references: list[str] = Field([], max_length=20)
    base_minutes: int | None = Minutes
    reason: str = Field("", max_length=500)


class ItemPatch(Schema):
    subjects: dict[str, str] | None = None
    references: list[str] | None = Field(None, max_length=20)
    base_minutes: int | None = Minutes
    reason: str = Field("", max_length=500)


class MoveIn(Schema):
    group: Id | None = None
    step: int = 0
    reason: str = ""


class ReasonIn(Schema):
    reason: str = ""


class AgendaItemOut(Schema):
    id: int
    label: str
    group: Id
    number: int
    subject: str
    references: list[str]
    base_minutes: int | None

    @staticmethod
    def resolve_group(item):
        return item.group.number


class AttachedOut(Schema):
    id: int
    symbol: str
    kind: str
    pending: bool


class VersionOut(Schema):
    number: int
    created_at: datetime.datetime


class DoneOut(Schema):
    done: bool = True


def _check_languages(subjects: dict) -> None:
    if set(subjects) - set(LANGUAGES):
        raise DomainError(_("Unknown language."), code="unknown_language")
    if any(len(text) > MAX_SUBJECT for text in subjects.values()):
        raise DomainError(
            _("A subject has at most %(n)s characters."),
            code="subject_too_long",
            params={"n": MAX_SUBJECT},
        )


def _subjects(subjects: dict) -> dict:
    _check_languages(subjects)
    return {code: subjects.get(code, "") for code in LANGUAGES}


def _item(consultation, item_id):
    return get_or_404(
        AgendaItem.objects.select_related("group"), pk=item_id, group__consultation=consultation
    )


@router.post(
    "/{slug}/agenda/groups/{group_number}/items", response=responses(AgendaItemOut, 201), auth=AUTH
)
def add_item(request, slug: str, group_number: Id, body: ItemIn):
    consultation = consultation_for(request, slug, "consultations.edit_agenda")
    group = get_or_404(AgendaGroup.objects, consultation=consultation, number=group_number)
    item = services.add_item(
        group,
        subjects=_subjects(body.subjects),
        references=body.references,
        base_minutes=body.base_minutes,
        actor=actor(request),
        reason=body.reason,
    )
    return Status(201, item)


@router.patch("/{slug}/agenda/items/{item_id}", response=responses(AgendaItemOut), auth=AUTH)
def update_item(request, slug: str, item_id: Id, body: ItemPatch):
    consultation = consultation_for(request, slug, "consultations.edit_agenda")
    item = _item(consultation, item_id)
    changes = body.dict(exclude_unset=True)
    kwargs = {}
    if "subjects" in changes and body.subjects is not None:
        _check_languages(body.subjects)
        current = {code: translated.text(item, "subject", code) for code in LANGUAGES}
        kwargs["subjects"] = {**current, **body.subjects}
    if "references" in changes and body.references is not None:
        kwargs["references"] = body.references
    if "base_minutes" in changes:
        kwargs["base_minutes"] = body.base_minutes
    services.update_item(item, actor=actor(request), reason=body.reason, **kwargs)
    item.refresh_from_db()
    return item


@router.post("/{slug}/agenda/items/{item_id}/move", response=responses(AgendaItemOut), auth=AUTH)
def move_item(request, slug: str, item_id: Id, body: MoveIn):
    consultation = consultation_for(request, slug, "consultations.edit_agenda")
    item = _item(consultation, item_id)
    group = (
        get_or_404(AgendaGroup.objects, consultation=consultation, number=body.group)
        if body.group is not None
        else None
    )
    if body.step not in (-1, 0, 1):
        raise DomainError(_("Move one place up (-1) or down (1)."), code="bad_step")
    return services.move_item(
        item, group=group, step=body.step, actor=actor(request), reason=body.reason
    )


@router.post(
    "/{slug}/agenda/items/{item_id}/documents", response=responses(AttachedOut, 201), auth=AUTH
)
def attach_document(
    request,
    slug: str,
    item_id: Id,
    symbol: Form[str],
    title: Form[str] = "",
    languages: Form[list[str]] = None,
    pending: Form[bool] = False,
    url: Form[str] = "",
    reason: Form[str] = "",
    upload: File[UploadedFile] = None,
):
    """Attach a document by link or file (PDF or DOCX), checked as the page checks it."""
    consultation = consultation_for(request, slug, "consultations.edit_agenda")
    item = _item(consultation, item_id)
    form = DocumentForm(
        {
            "symbol": symbol,
            "title": title,
            "languages": languages or [],
            "pending": pending,
            "url": url,
            "reason": reason,
        },
        {"upload": upload} if upload is not None else {},
    )
    if not form.is_valid():
        raise DomainError(
            " ".join(str(e) for errors in form.errors.values() for e in errors), code="invalid"
        )
    document = services.attach_document(item, **form.attachment(), actor=actor(request))
    return Status(201, document)


@router.post(
    "/{slug}/agenda/items/{item_id}/documents/{document_id}/detach",
    response=responses(DoneOut),
    auth=AUTH,
)
def detach_document(request, slug: str, item_id: Id, document_id: Id, body: ReasonIn):
    consultation = consultation_for(request, slug, "consultations.edit_agenda")
    item = _item(consultation, item_id)
    document = get_or_404(Document.objects, pk=document_id, consultation=consultation)
    services.detach_document(item, document, actor=actor(request), reason=body.reason)
    return {"done": True}


@router.post("/{slug}/agenda/confirm", response=responses(VersionOut), auth=AUTH)
def confirm_agenda(request, slug: str):
    """Who chairs the meeting confirms the agenda, while the first meeting is under way."""
    consultation = consultation_for(request, slug, "consultations.chair_meeting")
    return services.confirm_agenda(consultation, actor=actor(request))


# --- Groups and the import of the agenda from a file ------------------------------------------


class AgendaGroupIn(Schema):
    number: int = Field(..., ge=1, le=99)
    kind: str = Field(..., max_length=20, description="urgent, if_time or information")
    titles: dict[str, str]
    reason: str = Field("", max_length=500)


class AgendaGroupPatch(Schema):
    kind: str | None = Field(None, max_length=20)
    titles: dict[str, str] | None = None
    reason: str = Field("", max_length=500)


class AgendaGroupOut(Schema):
    number: int
    kind: str
    titles: dict[str, str]

    @staticmethod
    def resolve_titles(group):
        return translated.texts(group, "title")


class ImportChangeOut(Schema):
    field: str
    old: str
    new: str


class ImportEntryOut(Schema):
    target: str
    label: str
    line: int
    action: str
    title: str
    changes: list[ImportChangeOut]


class ImportPlanOut(Schema):
    applied: bool
    version: int | None
    counts: dict[str, int]
    entries: list[ImportEntryOut]


class ImportProblemOut(Schema):
    line: int | None
    column: str
    message: str


class ImportErrorOut(Schema):
    detail: str
    code: str = "error"
    problems: list[ImportProblemOut] = []


def _check_titles(titles: dict) -> None:
    if set(titles) - set(LANGUAGES):
        raise DomainError(_("Unknown language."), code="unknown_language")
    if any(len(text) > 1000 for text in titles.values()):
        raise DomainError(
            _("A title has at most %(n)s characters."), code="subject_too_long", params={"n": 1000}
        )


@router.post("/{slug}/agenda/groups", response=responses(AgendaGroupOut, 201), auth=AUTH)
def add_group(request, slug: str, body: AgendaGroupIn):
    consultation = consultation_for(request, slug, "consultations.edit_agenda")
    _check_titles(body.titles)
    group = services.add_group(
        consultation,
        number=body.number,
        kind=body.kind,
        titles=body.titles,
        actor=actor(request),
        reason=body.reason,
    )
    return Status(201, group)


@router.patch("/{slug}/agenda/groups/{number}", response=responses(AgendaGroupOut), auth=AUTH)
def update_group(request, slug: str, number: Id, body: AgendaGroupPatch):
    consultation = consultation_for(request, slug, "consultations.edit_agenda")
    group = get_or_404(AgendaGroup.objects, consultation=consultation, number=number)
    _check_titles(body.titles or {})
    group = services.update_group(
        group, kind=body.kind, titles=body.titles, actor=actor(request), reason=body.reason
    )
    group.refresh_from_db()
    return group


@router.post(
    "/{slug}/agenda/import",
    response={**responses(ImportPlanOut), 400: ImportErrorOut},
    auth=AUTH,
)
def import_agenda(
    request,
    slug: str,
    file: File[UploadedFile],
    dry_run: Form[bool] = True,
    reason: Form[str] = "",
):
    """The agenda from a workbook (.xlsx), a CSV file or an Annex 2 Word table (.docx):
    the plan of what it creates and changes, applied when `dry_run` is false."""
    consultation = consultation_for(request, slug, "consultations.edit_agenda")
    if len(reason) > 500:
        raise DomainError(_("The reason has at most 500 characters."), code="too_long")
    name = file.name or ""
    try:
        rows = agenda_files.read_agenda(file.read(agenda_files.MAX_BYTES + 1), name)
        plan = services.import_agenda(
            consultation, rows, actor=actor(request), reason=reason, apply=not dry_run, source=name
        )
    except agenda_files.AgendaFileError as refused:
        problems = [problem.as_dict() for problem in refused.problems]
        return Status(
            400, {"detail": refused.user_message(), "code": refused.code, "problems": problems}
        )
    return plan.as_dict()
