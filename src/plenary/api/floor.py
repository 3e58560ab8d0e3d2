"""The live floor (R2, R20, R21): the chair's console and the participant's button —
floor.services, the rules of the console (consultations.chair_meeting) and of the live page."""

from typing import Literal

from django.http import Http404
from ninja import Field, Router, Schema, Status

from plenary.consultations.models import AgendaItem
from plenary.floor import queries, services, snapshot
from plenary.floor.models import FloorRequest
from plenary.planning.models import Meeting

from .base import AUTH, Id, actor, consultation_for, get_or_404, participant_for, responses

router = Router(tags=["floor"])


class FloorOut(Schema):
    version: int
    meeting: Id | None
    item: Id | None
    list_open: bool
    speaking: int | None
    interrupted: int | None = Field(None, description="the speech a point of order interrupted")

    @staticmethod
    def resolve_meeting(floor):
        return floor.meeting_id

    @staticmethod
    def resolve_item(floor):
        return floor.item_id

    @staticmethod
    def resolve_speaking(floor):
        return floor.speaking_id

    @staticmethod
    def resolve_interrupted(floor):
        return floor.interrupted_id


class MeetingIn(Schema):
    meeting: Id
    override: bool = Field(
        False,
        description="Open a meeting of another day (the secretariat only), as the console's tick.",
    )


class ItemIn(Schema):
    item: Id


class GiveIn(Schema):
    request: Id | None = Field(None, description="a waiting request; the first in line if null")


class ListIn(Schema):
    open: bool


class SecondsIn(Schema):
    seconds: int = Field(ge=0, le=24 * 3600, description="seconds more for the speech under way")


class AskIn(Schema):
    kind: Literal["speak", "point_of_order", "reply"] = "speak"


class FloorRequestOut(Schema):
    id: int
    item: Id
    delegation: Id
    kind: str
    status: str
    granted: bool

    @staticmethod
    def resolve_item(request):
        return request.item_id

    @staticmethod
    def resolve_delegation(request):
        return request.delegation_id


def _chair(request, slug):
    return consultation_for(request, slug, "consultations.chair_meeting")


def _request(consultation, request_id) -> FloorRequest:
    return get_or_404(FloorRequest.objects, pk=request_id, floor__consultation=consultation)


@router.get("/{slug}/floor", response=responses(dict), auth=AUTH)
def floor_state(request, slug: str):
    """The live state as the live page receives it (ids; names from the agenda and the
    participants). For the chair and the consultation's participants, as the live page."""
    consultation = consultation_for(request, slug)
    if not request.user.has_perm("consultations.chair_meeting", consultation):
        participant_for(request, consultation)
    return snapshot.build(consultation.pk)


@router.post("/{slug}/floor/meeting", response=responses(FloorOut), auth=AUTH)
def open_meeting(request, slug: str, body: MeetingIn):
    """Today's meetings and the rehearsal, as on the console; another day's with `override`,
    for the secretariat (`not_today` otherwise)."""
    consultation = _chair(request, slug)
    meeting = get_or_404(Meeting.objects, pk=body.meeting, consultation=consultation)
    return services.open_meeting(
        consultation, meeting, actor=actor(request), today_only=True, override=body.override
    )


@router.post("/{slug}/floor/meeting/end", response=responses(FloorOut), auth=AUTH)
def close_meeting(request, slug: str):
    """End the meeting: no meeting and no item on the floor."""
    consultation = _chair(request, slug)
    return services.close_meeting(consultation, actor=actor(request))


@router.post("/{slug}/floor/item", response=responses(FloorOut), auth=AUTH)
def set_item(request, slug: str, body: ItemIn):
    consultation = _chair(request, slug)
    item = get_or_404(
        AgendaItem.objects.select_related("group"), pk=body.item, group__consultation=consultation
    )
    return services.set_item(consultation, item, actor=actor(request))


@router.post("/{slug}/floor/give", response=responses(FloorOut), auth=AUTH)
def give_floor(request, slug: str, body: GiveIn):
    consultation = _chair(request, slug)
    target = _request(consultation, body.request) if body.request is not None else None
    return services.give_floor(consultation, target, actor=actor(request))


@router.post("/{slug}/floor/end", response=responses(FloorOut), auth=AUTH)
def end_speech(request, slug: str):
    consultation = _chair(request, slug)
    return services.end_speech(consultation, actor=actor(request))


@router.post("/{slug}/floor/list", response=responses(FloorOut), auth=AUTH)
def set_list_open(request, slug: str, body: ListIn):
    """Close the list of speakers, or reopen it."""
    consultation = _chair(request, slug)
    return services.set_list_open(consultation, body.open, actor=actor(request))


@router.post("/{slug}/floor/extend", response=responses(FloorOut), auth=AUTH)
def extend_speech(request, slug: str, body: SecondsIn):
    """The chair gives the speech under way more time (15 seconds to one hour more)."""
    consultation = _chair(request, slug)
    return services.extend_speech(consultation, body.seconds, actor=actor(request))


@router.post(
    "/{slug}/floor/requests/{request_id}/grant", response=responses(FloorRequestOut), auth=AUTH
)
def grant_reply(request, slug: str, request_id: Id):
    """The chair grants a right of reply that a delegation asked for."""
    consultation = _chair(request, slug)
    return services.grant_reply(_request(consultation, request_id), actor=actor(request))


@router.post(
    "/{slug}/floor/requests/{request_id}/remove", response=responses(FloorRequestOut), auth=AUTH
)
def remove_request(request, slug: str, request_id: Id):
    """The chair takes a request out of the queue."""
    consultation = _chair(request, slug)
    return services.withdraw_request(_request(consultation, request_id), actor=actor(request))


@router.post("/{slug}/floor/requests", response=responses(FloorRequestOut, 201), auth=AUTH)
def ask_for_floor(request, slug: str, body: AskIn):
    """A speaker asks for the floor on the current item, raises a point of order (even while
    already in the list), or asks for the right of reply (the chair grants it)."""
    consultation = consultation_for(request, slug)
    participant = participant_for(request, consultation)
    return Status(201, services.ask_for_floor(participant, kind=body.kind, actor=actor(request)))


@router.post("/{slug}/floor/requests/mine/withdraw", response=responses(FloorRequestOut), auth=AUTH)
def withdraw_own_request(request, slug: str):
    """The delegation withdraws its waiting request on the current item."""
    consultation = consultation_for(request, slug)
    participant = participant_for(request, consultation)
    floor = services.floor_of(consultation)
    pending = queries.waiting_request_of(floor, participant.delegation)
    if pending is None:
        raise Http404
    return services.withdraw_request(pending, participant=participant, actor=actor(request))
