"""Outcomes of the items (R22, R23, R26): the proposed conclusion, objections and wishes to
defer, the outcome and its reopening — outcomes.services, the rule of the console's outcome
panel (consultations.chair_meeting); a speaker's own objection as on the live page."""

from typing import Literal

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from plenary.consultations.models import AgendaItem
from plenary.core.errors import DomainError
from plenary.floor import services as floor_services
from plenary.outcomes import queries, services
from plenary.outcomes.models import ItemOutcome, Objection
from plenary.registration.models import Delegation

from .base import AUTH, Id, actor, consultation_for, get_or_404, participant_for, responses

router = Router(tags=["outcomes"])

LanguageCode = Literal[tuple(code for code, _name in settings.LANGUAGES)]
ObjectionKind = Literal[tuple(Objection.Kind.values)]
OutcomeState = Literal[tuple(ItemOutcome.State.values)]


class ConclusionIn(Schema):
    texts: dict[str, str] = Field(description="language code → text")
    original: LanguageCode


class ConclusionOut(Schema):
    item: Id
    original: str
    text: str
    shown: bool

    @staticmethod
    def resolve_item(conclusion):
        return conclusion.item_id


class ShownIn(Schema):
    shown: bool


class ObjectionIn(Schema):
    delegation: Id
    kind: ObjectionKind


class OwnObjectionIn(Schema):
    kind: ObjectionKind


class ObjectionOut(Schema):
    id: int
    item: Id
    delegation: Id
    kind: str
    on_behalf: bool
    entered_by: str  # "chair", "secretariat" or "speaker"
    withdrawn: bool

    @staticmethod
    def resolve_item(objection):
        return objection.item_id

    @staticmethod
    def resolve_delegation(objection):
        return objection.delegation_id

    @staticmethod
    def resolve_withdrawn(objection):
        return objection.withdrawn_at is not None


class OutcomeIn(Schema):
    state: OutcomeState
    reason: str = Field("", max_length=2000)


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000)


class OutcomeOut(Schema):
    item: Id
    state: str
    recorded: bool
    reason: str

    @staticmethod
    def resolve_item(outcome):
        return outcome.item_id


def _item(request, slug, item_id):
    consultation = consultation_for(request, slug, "consultations.chair_meeting")
    return consultation, get_or_404(
        AgendaItem.objects.select_related("group"), pk=item_id, group__consultation=consultation
    )


@router.put("/{slug}/outcomes/{item_id}/conclusion", response=responses(ConclusionOut), auth=AUTH)
def draft_conclusion(request, slug: str, item_id: Id, body: ConclusionIn):
    _consultation, item = _item(request, slug, item_id)
    texts = {code: text for code, text in body.texts.items() if text.strip()}
    return services.draft_conclusion(
        item, texts=texts, original=body.original, actor=actor(request)
    )


@router.post(
    "/{slug}/outcomes/{item_id}/conclusion/shown", response=responses(ConclusionOut), auth=AUTH
)
def show_conclusion(request, slug: str, item_id: Id, body: ShownIn):
    """Show the proposed conclusion on the live pages, or hide it."""
    _consultation, item = _item(request, slug, item_id)
    return services.show_conclusion(item, shown=body.shown, actor=actor(request))


@router.post(
    "/{slug}/outcomes/{item_id}/objections", response=responses(ObjectionOut, 201), auth=AUTH
)
def record_objection(request, slug: str, item_id: Id, body: ObjectionIn):
    """Recorded by the chair or the secretariat on a delegation's behalf."""
    consultation, item = _item(request, slug, item_id)
    delegation = get_or_404(Delegation.objects, pk=body.delegation, consultation=consultation)
    return Status(201, services.record_objection(item, delegation, body.kind, actor=actor(request)))


@router.post(
    "/{slug}/outcomes/{item_id}/objections/{objection_id}/withdraw",
    response=responses(ObjectionOut),
    auth=AUTH,
)
def withdraw_objection(request, slug: str, item_id: Id, objection_id: Id):
    _consultation, item = _item(request, slug, item_id)
    objection = get_or_404(queries.objections_on(item.pk), pk=objection_id)
    return services.withdraw_objection(objection, actor=actor(request))


@router.post("/{slug}/outcomes/{item_id}/outcome", response=responses(OutcomeOut), auth=AUTH)
def record_outcome(request, slug: str, item_id: Id, body: OutcomeIn):
    _consultation, item = _item(request, slug, item_id)
    return services.record_outcome(item, body.state, actor=actor(request), reason=body.reason)


@router.post("/{slug}/outcomes/{item_id}/reopen", response=responses(OutcomeOut), auth=AUTH)
def reopen(request, slug: str, item_id: Id, body: ReasonIn):
    _consultation, item = _item(request, slug, item_id)
    return services.reopen(item, actor=actor(request), reason=body.reason)


@router.post("/{slug}/floor/objections", response=responses(ObjectionOut, 201), auth=AUTH)
def object_on_current_item(request, slug: str, body: OwnObjectionIn):
    """A speaker records their delegation's objection or wish to defer on the current item,
    as from the live page."""
    consultation = consultation_for(request, slug)
    participant = participant_for(request, consultation)
    floor = floor_services.floor_of(consultation)
    if floor.item_id is None:
        raise DomainError(_("No item is under discussion."), code="no_item")
    objection = services.record_objection(
        floor.item, participant.delegation, body.kind, actor=actor(request), participant=participant
    )
    return Status(201, objection)
