"""Written contributions (R15–R20): the form, the upload of a filled template or a PDF and
its confirmation, co-submission, publication, withdrawal — contributions.services and the
file checks of contributions.filecheck, the rules of the contribution pages."""

import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from plenary.consultations.models import AgendaItem
from plenary.contributions import filecheck, queries, services
from plenary.contributions.models import Contribution
from plenary.core.errors import DomainError
from plenary.core.uploads import one_file
from plenary.directory.models import State

from .base import AUTH, Id, TokenAuth, actor, consultation_for, get_or_404, responses

router = Router(tags=["contributions"])


class ContributionIn(Schema):
    item: Id = Field(description="agenda item id")
    title: str = Field(max_length=300)
    comments: str = Field("", max_length=20000)
    way_forward: str = Field("", max_length=20000)
    lead_state: str = Field(description="ISO 3166 alpha-2 code", max_length=2)
    co_states: list[str] = Field([], max_length=200)
    accept_late: bool = False


class SubmitterOut(Schema):
    state: str = Field(description="ISO 3166 alpha-2 code")
    lead: bool
    standing: str = Field(
        description="lead, confirmed, declined, awaiting (its focal point), no_focal_point "
        "(blocking: the secretariat must invite one), lapsed (not answered by the deadline)"
    )
    answered_at: datetime.datetime | None
    on_behalf: bool

    @staticmethod
    def resolve_state(row):
        return row.state.iso2

    @staticmethod
    def resolve_answered_at(row):
        return row.confirmed_at or row.declined_at


class ContributionOut(Schema):
    id: int
    status: str
    symbol: str | None
    title: str
    item: Id
    pages: int
    pages_estimated: bool
    late: bool
    submitted_at: datetime.datetime | None
    published_at: datetime.datetime | None
    submitters: list[SubmitterOut]

    @staticmethod
    def resolve_item(contribution):
        return contribution.item_id

    @staticmethod
    def resolve_submitters(contribution):
        rows = getattr(contribution, "rows", None)
        if rows is None:
            found = queries.with_standings(Contribution.objects.filter(pk=contribution.pk))
            rows = found[0].rows if found else []
        return rows

    @staticmethod
    def resolve_symbol(contribution):
        return contribution.symbol or None


class UploadedOut(ContributionOut):
    fields_read: bool


class CoSubmissionIn(Schema):
    state: str = Field(max_length=2)
    answer: Literal["confirm", "decline"] = Field(
        "confirm", description="the co-submitter's focal point confirms or declines"
    )


def _state(iso2: str) -> State:
    state = State.objects.filter(iso2=iso2.upper()).first()
    if state is None:
        raise DomainError(_("Unknown state: %(code)s"), code="unknown_state", params={"code": iso2})
    return state


def _fields(consultation, body: ContributionIn) -> dict:
    item = AgendaItem.objects.select_related("group").filter(pk=body.item).first()
    if item is None:
        raise DomainError(_("Choose an agenda item of this consultation."), code="wrong_item")
    return {
        "item": item,
        "title": body.title,
        "comments": body.comments,
        "way_forward": body.way_forward,
        "lead_state": _state(body.lead_state),
        "co_states": [_state(code) for code in body.co_states],
        "accept_late": body.accept_late,
    }


def _contribution(consultation, contribution_id) -> Contribution:
    return get_or_404(queries.contributions_of(consultation), pk=contribution_id)


@router.post("/{slug}/contributions", response=responses(ContributionOut, 201), auth=AUTH)
def submit_form(request, slug: str, body: ContributionIn):
    """The Annex 3 fields, without a file (R15)."""
    consultation = consultation_for(request, slug, "contributions.submit")
    contribution = services.submit_form(
        consultation, **_fields(consultation, body), actor=actor(request)
    )
    return Status(201, contribution)


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "upload": {"type": "string", "format": "binary"},
                        "item": {
                            "type": "integer",
                            "description": "agenda item id; else found from the template",
                        },
                    },
                    "required": ["upload"],
                }
            }
        },
    }
}


@router.post(
    "/{slug}/contributions/upload",
    response=responses(UploadedOut, 201),
    auth=[TokenAuth()],
    openapi_extra=UPLOAD_BODY,
)
def upload(request, slug: str):
    """Step 1 of an upload: a filled template (DOCX) or a PDF, checked as on the page
    (size while it arrives, then contributions.filecheck), kept as a draft to confirm.
    Token only: the body is not read before the token is checked."""
    consultation = consultation_for(request, slug, "contributions.submit")
    upload = one_file(request, max_bytes=filecheck.MAX_BYTES)
    data = upload.read(filecheck.MAX_BYTES + 1)
    contribution, fields = services.prepare_upload(
        consultation,
        data=data,
        filename=upload.name or "upload",
        actor=actor(request),
        item=_named_item(consultation, request.POST.get("item")),
    )
    contribution.fields_read = bool(fields)
    return Status(201, contribution)


def _named_item(consultation, value) -> AgendaItem | None:
    if not value:
        return None
    item = (
        AgendaItem.objects.select_related("group")
        .filter(group__consultation=consultation, pk=int(value) if value.isdigit() else 0)
        .first()
    )
    if item is None:
        raise DomainError(_("Choose an agenda item of this consultation."), code="wrong_item")
    return item


@router.post(
    "/{slug}/contributions/{contribution_id}/submit",
    response=responses(ContributionOut),
    auth=AUTH,
)
def submit_upload(request, slug: str, contribution_id: Id, body: ContributionIn):
    """Step 2 of an upload: the person confirms the fields and submits their draft; one
    already submitted is refused as such (400 already_submitted), not "not found"."""
    consultation = consultation_for(request, slug, "contributions.submit")
    contribution = get_or_404(queries.uploads_of(request.user, consultation), pk=contribution_id)
    return services.submit(contribution, **_fields(consultation, body), actor=actor(request))


@router.delete("/{slug}/contributions/{contribution_id}", response=responses(None, 204), auth=AUTH)
def delete_draft(request, slug: str, contribution_id: Id):
    """An upload not submitted, deleted with its file by its owner or the secretariat."""
    consultation = consultation_for(request, slug, "contributions.submit")
    services.delete_draft(_contribution(consultation, contribution_id), actor=actor(request))
    return Status(204, None)


@router.post(
    "/{slug}/contributions/{contribution_id}/co-submission",
    response=responses(ContributionOut),
    auth=AUTH,
)
def answer_co_submission(request, slug: str, contribution_id: Id, body: CoSubmissionIn):
    """A co-submitter's focal point confirms or declines (R19), before the contribution
    deadline; the secretariat may record the answer a focal point gave in writing. Refused
    (and recorded): a delegate or another state's focal point (403), after the deadline,
    an answer already given (400), a contribution not in the consultation (404)."""
    consultation = consultation_for(request, slug, "contributions.submit")
    confirm = body.answer == "confirm"
    contribution = queries.contributions_of(consultation).filter(pk=contribution_id).first()
    if contribution is None:
        services.refuse_unknown_contribution(
            consultation, contribution_id, actor=actor(request), confirm=confirm
        )
    state = State.objects.filter(iso2=body.state.upper()).first()
    services.answer_co_submission(contribution, state, confirm=confirm, actor=actor(request))
    contribution.refresh_from_db()
    return contribution


@router.post(
    "/{slug}/contributions/{contribution_id}/publish",
    response=responses(ContributionOut),
    auth=AUTH,
)
def publish(request, slug: str, contribution_id: Id):
    consultation = consultation_for(request, slug, "contributions.submit")
    return services.publish(_contribution(consultation, contribution_id), actor=actor(request))


@router.post(
    "/{slug}/contributions/{contribution_id}/withdraw",
    response=responses(ContributionOut),
    auth=AUTH,
)
def withdraw(request, slug: str, contribution_id: Id):
    consultation = consultation_for(request, slug, "contributions.submit")
    return services.withdraw(_contribution(consultation, contribution_id), actor=actor(request))
