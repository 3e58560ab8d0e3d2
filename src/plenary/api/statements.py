"""Statements for interpreters: a speaker (participant token), their focal point or the
secretariat sends the text of a statement for a meeting and item; the interpreters and
the secretariat list and download them, "check against delivery" — statements.services,
the same check of the file as contributions, the rules of the statement pages."""

import datetime

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from plenary.consultations.models import AgendaItem
from plenary.contributions import filecheck
from plenary.core.downloads import download
from plenary.core.errors import DomainError
from plenary.core.uploads import one_file
from plenary.planning.models import Meeting
from plenary.registration.models import Participant
from plenary.registration.session import participant_of
from plenary.statements import queries, services

from .base import AUTH, Id, TokenAuth, consultation_for, get_or_404, responses

router = Router(tags=["statements"])


class StatementOut(Schema):
    id: int
    meeting: Id
    item: str = Field(description="the item's label, 1.2")
    delegation: str
    speaker: str
    language: str
    file_type: str
    pages: int
    uploaded_at: datetime.datetime
    withdraws_at: datetime.datetime | None = None
    withdrawn_at: datetime.datetime | None
    planned_at: datetime.datetime | None = Field(
        None, description="the item's start in the published plan, if it schedules it"
    )
    place: int | None = Field(
        None, description="1 while the speaker has the floor on the item, 2 for the next…"
    )
    check_against_delivery: bool = True

    @staticmethod
    def resolve_meeting(statement):
        return statement.meeting_id

    @staticmethod
    def resolve_item(statement):
        return statement.item.label

    @staticmethod
    def resolve_delegation(statement):
        return str(statement.delegation)

    @staticmethod
    def resolve_speaker(statement):
        return statement.speaker.name


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "upload": {"type": "string", "format": "binary"},
                        "item": {"type": "integer", "description": "agenda item id"},
                        "language": {
                            "type": "string",
                            "description": "ar, en, es, fr, ru, zh-hans",
                        },
                        "speaker": {
                            "type": "integer",
                            "description": "participant id; a speaker's own token sends for them",
                        },
                    },
                    "required": ["upload", "item", "language"],
                }
            }
        },
    }
}


@router.get("/{slug}/statements", response=responses(list[StatementOut]), auth=AUTH)
def list_statements(request, slug: str, meeting: Id | None = None):
    """The statements the caller may read, newest first: an interpreter's until their
    withdrawal after the meeting, the secretariat's all."""
    consultation = consultation_for(request, slug, "statements.read")
    chosen = get_or_404(consultation.meetings, pk=meeting) if meeting else None
    statements = queries.readable_by(request.user, consultation, meeting=chosen)
    return queries.with_reading_times(statements, consultation)


@router.post(
    "/{slug}/meetings/{meeting_id}/statements",
    response=responses(StatementOut, 201),
    auth=[TokenAuth()],
    openapi_extra=UPLOAD_BODY,
)
def send_statement(request, slug: str, meeting_id: Id):
    """Send the text of a statement, checked as on the page. With a participant's token the
    speaker sends for themselves; with an account's, a focal point (or the secretariat)
    names the speaker. Token only: the body is not read before the token is checked."""
    consultation = consultation_for(request, slug)
    meeting = get_or_404(
        Meeting.objects.select_related("consultation"), pk=meeting_id, consultation=consultation
    )
    upload = one_file(request, max_bytes=filecheck.MAX_BYTES)
    participant = participant_of(request, consultation) if request.api_participant else None
    user = request.user if request.user.is_authenticated else None
    speaker = (
        participant
        if participant is not None
        else _named(Participant, request.POST.get("speaker"), consultation=consultation)
    )
    item = _named(AgendaItem, request.POST.get("item"), group__consultation=consultation)
    if item is None:
        raise DomainError(_("Choose an agenda item of this consultation."), code="wrong_item")
    statement = services.send_statement(
        meeting,
        item=item,
        speaker=speaker,
        language=request.POST.get("language", ""),
        data=upload.read(filecheck.MAX_BYTES + 1),
        user=user,
        participant=participant,
    )
    return Status(201, queries.with_reading_times([statement], consultation)[0])


def _named(model, value, **scope):
    if not value or not str(value).isdigit():
        return None
    return model.objects.filter(pk=int(value), **scope).first()


@router.get(
    "/{slug}/statements/{statement_id}/file",
    response=responses(None),
    auth=AUTH,
    openapi_extra={"responses": {200: {"description": "the DOCX or PDF file"}}},
)
def statement_file(request, slug: str, statement_id: Id):
    """The file, named "…-check-against-delivery", for an interpreter of its meeting before
    its withdrawal or for the secretariat; a forged number is not found, and recorded."""
    consultation = consultation_for(request, slug)
    statement = services.statement_of(consultation, statement_id, user=request.user)
    if statement is None:
        return Status(404, {"detail": _("Not found."), "code": "not_found"})
    content, name = services.read_statement(statement, user=request.user)
    return download(content, name)
