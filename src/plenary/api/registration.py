"""Registration (R9–R13): the public form, the focal point's decisions on their delegation,
extra-speaker requests and the secretariat's decisions — registration.services, the rules
of the registration pages."""

import datetime
from typing import Literal

from django.conf import settings
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from plenary.consultations.models import AgendaItem
from plenary.core import ratelimit
from plenary.core.models import OutboxMessage
from plenary.planning.models import Meeting
from plenary.registration import queries, services
from plenary.registration.models import Delegation, ExtraSpeakerRequest, Participant

from .base import AUTH, Id, actor, consultation_for, get_or_404, responses

router = Router(tags=["registration"])

LanguageCode = Literal[tuple(code for code, _name in settings.LANGUAGES)]
ParticipantAction = Literal[tuple(services.PARTICIPANT_ACTIONS)]
BulkAction = Literal[services.BULK_ACTIONS]


class RegisterIn(Schema):
    delegation: str = Field(description='"state:<ISO2>" or "sm:<sector member id>"')
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    function: str = Field("", max_length=200)
    language: LanguageCode = "en"


class ParticipantOut(Schema):
    id: int
    name: str
    delegation: str
    status: str
    role: str
    registered_at: datetime.datetime

    @staticmethod
    def resolve_delegation(participant):
        return str(participant.delegation)


class ExtraSpeakerIn(Schema):
    participant: Id
    meeting: Id | None = None
    item: Id | None = None


class DecisionIn(Schema):
    grant: bool
    note: str = Field("", max_length=300)


class ExtraSpeakerOut(Schema):
    id: int
    participant: Id
    meeting: Id | None
    item: Id | None
    status: str

    @staticmethod
    def resolve_participant(request):
        return request.participant_id

    @staticmethod
    def resolve_meeting(request):
        return request.meeting_id

    @staticmethod
    def resolve_item(request):
        return request.item_id


@router.post("/{slug}/registrations", response=responses(ParticipantOut, 201), auth=None)
def register(request, slug: str, body: RegisterIn):
    """The public registration (R9), open between the opening date and the first meeting,
    rate-limited per network like the page."""
    consultation = consultation_for(request, slug, "registration.register")
    if not ratelimit.allow("register", ratelimit.client_address(request)):
        raise HttpError(
            429,
            _(
                "Too many registrations from your network in a short time. Please try again in a few minutes."
            ),
        )
    validate_email(body.email.strip())  # as the page's EmailField
    participant = services.register(
        consultation,
        delegation=services.chosen_delegation(consultation, body.delegation),
        name=body.name.strip(),
        email=body.email.strip(),
        function=body.function,
        language=body.language,
    )
    return Status(201, participant)


@router.post(
    "/{slug}/participants/{participant_id}/{action}",
    response=responses(ParticipantOut),
    auth=AUTH,
)
def participant_action(request, slug: str, participant_id: Id, action: ParticipantAction):
    """The focal point (or the secretariat) approves, rejects, names a speaker, makes a
    viewer, withdraws, or sends a new link."""
    consultation = consultation_for(request, slug, "registration.manage_delegation")
    participant = get_or_404(Participant.objects, pk=participant_id, consultation=consultation)
    function, _done = services.PARTICIPANT_ACTIONS[action]
    function(participant, actor=actor(request))
    participant.refresh_from_db()
    return participant


@router.post("/{slug}/extra-speakers", response=responses(ExtraSpeakerOut, 201), auth=AUTH)
def request_extra_speaker(request, slug: str, body: ExtraSpeakerIn):
    consultation = consultation_for(request, slug, "registration.manage_delegation")
    participant = get_or_404(Participant.objects, pk=body.participant, consultation=consultation)
    meeting = (
        get_or_404(Meeting.objects, pk=body.meeting, consultation=consultation)
        if body.meeting is not None
        else None
    )
    item = (
        get_or_404(
            AgendaItem.objects.select_related("group"),
            pk=body.item,
            group__consultation=consultation,
        )
        if body.item is not None
        else None
    )
    extra = services.request_extra_speaker(
        participant, meeting=meeting, item=item, actor=actor(request)
    )
    return Status(201, extra)


@router.post(
    "/{slug}/extra-speakers/{request_id}/decision",
    response=responses(ExtraSpeakerOut),
    auth=AUTH,
)
def decide_extra_speaker(request, slug: str, request_id: Id, body: DecisionIn):
    consultation = consultation_for(request, slug, "registration.manage")
    extra = get_or_404(
        ExtraSpeakerRequest.objects, pk=request_id, delegation__consultation=consultation
    )
    return services.decide_extra_speaker(
        extra, grant=body.grant, actor=actor(request), note=body.note
    )


# --- the secretariat's list of registrations ------------------------------------------------


class ListFilters(Schema):
    q: str = Field("", max_length=100, description="name or e-mail address, any case or accent")
    delegation: Id | None = None
    state: str = Field("", pattern=r"^([A-Za-z]{2})?$", description="ISO 3166-1 alpha-2")
    category: Literal[tuple(Delegation.Category.values)] | None = None
    status: Literal[tuple(Participant.Status.values)] | None = None
    role: Literal[tuple(Participant.Role.values)] | None = None
    page: int = Field(1, ge=1, le=100_000)


class ListedParticipantOut(Schema):
    id: int
    name: str
    email: str
    delegation: str = Field(description="the state or Sector Member, in the reader's language")
    delegation_id: int
    state: str | None
    category: str
    function: str
    status: str
    role: str
    registered_at: datetime.datetime

    @staticmethod
    def resolve_delegation(participant):
        return str(participant.delegation)

    @staticmethod
    def resolve_state(participant):
        return participant.delegation.state.iso2 if participant.delegation.state_id else None

    @staticmethod
    def resolve_category(participant):
        return participant.delegation.category


class ParticipantPageOut(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    results: list[ListedParticipantOut]


class BulkIn(Schema):
    ids: list[Id] = Field(max_length=services.MOST_SELECTED)
    action: BulkAction
    note: str = Field("", max_length=300, description="recorded with a refusal")


class BulkRowOut(Schema):
    id: int
    name: str
    done: bool
    code: str = Field(description="why the row was refused; empty when done")
    reason: str


class BulkOut(Schema):
    action: str
    done: int
    refused: int
    summary: str
    rows: list[BulkRowOut]


@router.get("/{slug}/participants", response=responses(ParticipantPageOut), auth=AUTH)
def participant_list(request, slug: str, filters: Query[ListFilters]):
    """Every registration, filtered and searched as on the secretariat's list, 50 a page,
    oldest first."""
    consultation = consultation_for(request, slug, "registration.manage")
    wanted = filters.dict(exclude={"page"}, exclude_none=True)
    page = queries.page_of(queries.participant_list(consultation, **wanted), filters.page)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "per_page": page.paginator.per_page,
        "results": page.object_list,
    }


@router.post("/{slug}/participants/bulk", response=responses(BulkOut), auth=AUTH)
def bulk_decide(request, slug: str, body: BulkIn):
    """One decision on many registrations; each row done or refused, with why."""
    consultation = consultation_for(request, slug, "registration.manage")
    selected = services.selected_participants(consultation, body.ids)
    outcome = services.bulk_decide(selected, body.action, actor=actor(request), note=body.note)
    return {
        "action": outcome.action,
        "done": outcome.done,
        "refused": outcome.refused,
        "summary": outcome.summary(),
        "rows": [
            {
                "id": row.participant.pk,
                "name": row.participant.name,
                "done": row.done,
                "code": row.code,
                "reason": row.reason,
            }
            for row in outcome.rows
        ],
    }


# --- the participation guide (R13) --------------------------------------------------------------


class GuideIn(Schema):
    subject: str = Field(max_length=services.GUIDE_SUBJECT_MAX)
    body: str = Field(max_length=services.GUIDE_BODY_MAX)


class GuideOut(Schema):
    language: str
    subject: str
    body: str
    saved: bool = Field(description="false: the default text of the language")
    updated_at: datetime.datetime | None
    preview_subject: str
    preview_body: str
    placeholders: list[str]


class GuideSentOut(Schema):
    participants: int
    new_links: int
    kept_links: int


class SendAgainIn(Schema):
    new_link: bool = Field(False, description="replace the link even if it reached them")


class DeliveryOut(Schema):
    participant: Id
    name: str
    email: str
    language: str
    state: str = Field(description='"sent", "queued", "failed" (being retried) or "none"')
    with_new_link: bool
    attempts: int
    last_error: str
    queued_at: datetime.datetime | None
    sent_at: datetime.datetime | None


DeliveryState = Literal[tuple([*OutboxMessage.Status.values, services.NOT_SENT, ""])]


class DeliveriesOut(Schema):
    counts: dict[str, int]
    deliveries: list[DeliveryOut]


def _guide_out(consultation, language: str) -> dict:
    subject, body, saved = services.guide_text(consultation, language)
    preview_subject, preview_body = services.preview_guide(consultation, language, subject, body)
    return {
        "language": language,
        "subject": subject,
        "body": body,
        "saved": saved is not None,
        "updated_at": saved.updated_at if saved else None,
        "preview_subject": preview_subject,
        "preview_body": preview_body,
        "placeholders": list(services.GUIDE_PLACEHOLDERS),
    }


def _delivery_out(row) -> dict:
    message, person = row.message, row.participant
    return {
        "participant": person.pk,
        "name": person.name,
        "email": person.email,
        "language": person.language,
        "state": row.state,
        "with_new_link": row.with_new_link,
        "attempts": message.attempts if message else 0,
        "last_error": message.last_error if message else "",
        "queued_at": message.created_at if message else None,
        "sent_at": message.sent_at if message else None,
    }


@router.get("/{slug}/guide/texts/{language}", response=responses(GuideOut), auth=AUTH)
def read_guide(request, slug: str, language: LanguageCode):
    """The guide sent in a language (the secretariat's, or the default) and its preview."""
    consultation = consultation_for(request, slug, "registration.manage")
    return _guide_out(consultation, language)


@router.put("/{slug}/guide/texts/{language}", response=responses(GuideOut), auth=AUTH)
def save_guide(request, slug: str, language: LanguageCode, body: GuideIn):
    """A broken placeholder is refused (400, naming it and the language); nothing is saved."""
    consultation = consultation_for(request, slug, "registration.manage")
    services.save_guide(
        consultation, language, subject=body.subject, body=body.body, actor=actor(request)
    )
    return _guide_out(consultation, language)


@router.post("/{slug}/guide/send", response=responses(GuideSentOut), auth=AUTH)
def send_guide(request, slug: str):
    """The guide to everyone approved, each in their language: how many, with a new link."""
    consultation = consultation_for(request, slug, "registration.manage")
    return services.send_guide_to_all(consultation, actor=actor(request))


@router.post(
    "/{slug}/guide/deliveries/{participant_id}/send", response=responses(DeliveryOut), auth=AUTH
)
def send_guide_again(request, slug: str, participant_id: Id, body: SendAgainIn):
    consultation = consultation_for(request, slug, "registration.manage")
    participant = get_or_404(Participant.objects, pk=participant_id, consultation=consultation)
    message = services.send_guide_again(participant, actor=actor(request), new_link=body.new_link)
    participant.refresh_from_db()
    return _delivery_out(services.GuideDelivery(participant, message))


@router.get("/{slug}/guide/deliveries", response=responses(DeliveriesOut), auth=AUTH)
def guide_deliveries(request, slug: str, state: DeliveryState = ""):
    """Per approved participant, the latest e-mail carrying their guide, from the outbox."""
    consultation = consultation_for(request, slug, "registration.manage")
    counts, rows = services.guide_deliveries(consultation, state=state)
    return {"counts": counts, "deliveries": [_delivery_out(row) for row in rows]}
