"""Every change of the live meeting (R2, R12, R20, R21). Each function commits the new state
with the floor's version raised by one, records an audit event, and after the commit
publishes one snapshot to every connected client.

Who may: the presiding officer and the secretariat run the meeting; a participant who holds
the speaker role, or an extra-speaker grant for this meeting or item (R12), may ask for the
floor; a viewer may not. No contribution is needed to speak (R20).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaGroup, AgendaItem, Consultation
from plenary.core import audit
from plenary.core.errors import DomainError
from plenary.outcomes.services import take_up
from plenary.planning.models import Meeting
from plenary.registration.models import Participant
from plenary.registration.services import may_speak

from . import live
from .models import Floor, FloorRequest
from .queries import waiting_queue


def floor_of(consultation: Consultation) -> Floor:
    floor, _created = Floor.objects.get_or_create(consultation=consultation)
    return floor


def _locked(consultation: Consultation) -> Floor:
    floor_of(consultation)
    return (
        Floor.objects.select_for_update()
        .select_related("consultation")
        .get(consultation=consultation)
    )


def _may_chair(actor, consultation) -> None:
    if not (actor and actor.has_perm("consultations.chair_meeting", consultation)):
        audit.record("floor.refused", actor=actor, target=consultation, data={"why": "not_chair"})
        raise DomainError(
            _("Only the presiding officer or the secretariat runs the meeting."), code="not_chair"
        )


def _changed(floor: Floor, action: str, actor, data: dict) -> Floor:
    live.changed(floor.consultation_id)
    floor.refresh_from_db()
    audit.record(
        f"floor.{action}",
        actor=actor,
        target=floor.consultation,
        data={**data, "version": floor.version},
    )
    return floor


def open_meeting(consultation: Consultation, meeting: Meeting, *, actor) -> Floor:
    _may_chair(actor, consultation)
    if meeting.consultation_id != consultation.pk:
        raise DomainError(
            _("That meeting belongs to another consultation."), code="wrong_consultation"
        )
    with transaction.atomic():
        floor = _locked(consultation)
        floor.meeting = meeting
        floor.save(update_fields=["meeting"])
        return _changed(floor, "meeting_opened", actor, {"meeting": meeting.pk})


def set_item(consultation: Consultation, item: AgendaItem, *, actor) -> Floor:
    """Take up an agenda item: only Group 1 and 2 items; the list opens empty."""
    _may_chair(actor, consultation)
    if item.group.consultation_id != consultation.pk:
        raise DomainError(_("Choose an agenda item of this consultation."), code="wrong_item")
    if item.group.kind == AgendaGroup.Kind.FOR_INFORMATION:
        raise DomainError(
            _("Group 3 items are for information and are not discussed."), code="for_information"
        )
    with transaction.atomic():
        floor = _locked(consultation)
        if floor.speaking_id:
            raise DomainError(_("End the current speech first."), code="speech_running")
        floor.item = item
        floor.list_open = True
        floor.save(update_fields=["item", "list_open"])
        take_up(item, actor=actor)
        return _changed(floor, "item_taken_up", actor, {"item": item.label})


def set_list_open(consultation: Consultation, is_open: bool, *, actor) -> Floor:
    _may_chair(actor, consultation)
    with transaction.atomic():
        floor = _locked(consultation)
        floor.list_open = is_open
        floor.save(update_fields=["list_open"])
        return _changed(floor, "list_opened" if is_open else "list_closed", actor, {})


def set_speech_seconds(consultation: Consultation, seconds: int, *, actor) -> Floor:
    _may_chair(actor, consultation)
    if not 15 <= seconds <= 3600:
        raise DomainError(
            _("Give a speaking time between 15 seconds and one hour."), code="bad_seconds"
        )
    with transaction.atomic():
        floor = _locked(consultation)
        floor.speech_seconds = seconds
        floor.save(update_fields=["speech_seconds"])
        return _changed(floor, "speaking_time_set", actor, {"seconds": seconds})


def ask_for_floor(
    participant: Participant, *, kind: str = FloorRequest.Kind.SPEAK, actor=None
) -> FloorRequest:
    """A speaker asks for the floor on the current item: a named speaker, or an extra speaker
    whose grant is for the meeting open or the item under discussion (R12)."""
    consultation = participant.consultation
    if kind not in FloorRequest.Kind.values:
        raise DomainError(_("Unknown request."), code="bad_kind")
    # Who may is checked before the transaction, so that a refusal stays recorded.
    current = floor_of(consultation)
    participant = Participant.objects.select_related("delegation").get(pk=participant.pk)
    allowed = may_speak(
        participant, meeting=current.meeting, items=[current.item_id] if current.item_id else []
    )
    if not allowed:
        audit.record("floor.refused", actor=actor, target=participant, data={"why": "not_speaker"})
        raise DomainError(
            _("Only speakers may ask for the floor; viewers follow the meeting."),
            code="not_speaker",
        )
    with transaction.atomic():
        floor = _locked(consultation)
        if floor.item_id is None:
            raise DomainError(_("No item is under discussion."), code="no_item")
        if kind == FloorRequest.Kind.SPEAK and not floor.list_open:
            raise DomainError(_("The list of speakers is closed."), code="list_closed")
        category = participant.delegation.category
        if kind == FloorRequest.Kind.SPEAK and category in set(consultation.once_per_item):
            spoke = FloorRequest.objects.filter(
                floor=floor,
                item=floor.item,
                delegation=participant.delegation,
                kind=FloorRequest.Kind.SPEAK,
            ).exclude(status=FloorRequest.Status.WITHDRAWN)
            if spoke.exists():
                raise DomainError(
                    _("An observer delegation takes the floor once per item."), code="once_per_item"
                )
        try:
            with transaction.atomic():
                request = FloorRequest.objects.create(
                    floor=floor,
                    item=floor.item,
                    delegation=participant.delegation,
                    participant=participant,
                    kind=kind,
                )
        except IntegrityError:
            raise DomainError(
                _("Your delegation is already in the list for this item."), code="already_waiting"
            ) from None
        _changed(
            floor,
            "floor_requested",
            actor,
            {"request": request.pk, "delegation": str(participant.delegation), "kind": kind},
        )
    return request


def withdraw_request(
    request: FloorRequest, *, participant: Participant | None = None, actor=None
) -> FloorRequest:
    """The delegation withdraws its request (or the chair removes it)."""
    consultation = request.floor.consultation
    if participant is not None and participant.delegation_id != request.delegation_id:
        raise DomainError(_("This request belongs to another delegation."), code="not_yours")
    if participant is None:
        _may_chair(actor, consultation)
    with transaction.atomic():
        floor = _locked(consultation)
        request = FloorRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != FloorRequest.Status.WAITING:
            raise DomainError(_("This request is no longer waiting."), code="not_waiting")
        request.status = FloorRequest.Status.WITHDRAWN
        request.ended_at = timezone.now()
        request.save(update_fields=["status", "ended_at"])
        _changed(floor, "request_withdrawn", actor, {"request": request.pk})
    return request


def give_floor(consultation: Consultation, request: FloorRequest | None = None, *, actor) -> Floor:
    """Give the floor to a request, or to the first in the queue."""
    _may_chair(actor, consultation)
    with transaction.atomic():
        floor = _locked(consultation)
        if floor.speaking_id:
            raise DomainError(_("End the current speech first."), code="speech_running")
        if request is None:
            queue = waiting_queue(floor)
            if not queue:
                raise DomainError(_("Nobody is waiting for the floor."), code="queue_empty")
            request = queue[0]
        request = FloorRequest.objects.select_for_update().get(pk=request.pk)
        if request.floor_id != floor.pk or request.status != FloorRequest.Status.WAITING:
            raise DomainError(_("This request is no longer waiting."), code="not_waiting")
        request.status = FloorRequest.Status.SPEAKING
        request.started_at = timezone.now()
        request.save(update_fields=["status", "started_at"])
        floor.speaking = request
        floor.save(update_fields=["speaking"])
        return _changed(
            floor,
            "floor_given",
            actor,
            {"request": request.pk, "delegation": str(request.delegation)},
        )


def end_speech(consultation: Consultation, *, actor) -> Floor:
    _may_chair(actor, consultation)
    with transaction.atomic():
        floor = _locked(consultation)
        if not floor.speaking_id:
            raise DomainError(_("Nobody has the floor."), code="nobody_speaking")
        FloorRequest.objects.filter(pk=floor.speaking_id).update(
            status=FloorRequest.Status.DONE, ended_at=timezone.now()
        )
        spoken = floor.speaking_id
        floor.speaking = None
        floor.save(update_fields=["speaking"])
        return _changed(floor, "speech_ended", actor, {"request": spoken})


CHAIR_ACTIONS = (
    "open_meeting",
    "take_up",
    "give",
    "end",
    "close_list",
    "open_list",
    "remove",
    "seconds",
)


def _number(values, name: str) -> int | None:
    raw = values.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise DomainError(_("That choice is not valid."), code="bad_value") from None


def run_chair_action(consultation: Consultation, action: str, values, *, actor) -> Floor:
    """One of the console's buttons by name, from its form or from the chair's socket.

    Checks, in order: the actor runs this meeting (a refusal is audited); the action is one
    of the console's; the meeting, item or request it names belongs to this consultation;
    then the checks of the service it calls. `values` is the form or the message."""
    _may_chair(actor, consultation)
    if action not in CHAIR_ACTIONS:
        raise DomainError(_("Unknown action."), code="unknown_action")
    if action == "open_meeting":
        meeting = Meeting.objects.filter(
            pk=_number(values, "meeting"), consultation=consultation
        ).first()
        if meeting is None:
            raise DomainError(_("Choose a meeting of this consultation."), code="wrong_meeting")
        return open_meeting(consultation, meeting, actor=actor)
    if action == "take_up":
        item = (
            AgendaItem.objects.select_related("group")
            .filter(pk=_number(values, "item"), group__consultation=consultation)
            .first()
        )
        if item is None:
            raise DomainError(_("Choose an agenda item of this consultation."), code="wrong_item")
        return set_item(consultation, item, actor=actor)
    if action in ("give", "remove"):
        chosen = _number(values, "request")
        request = (
            FloorRequest.objects.filter(pk=chosen, floor__consultation=consultation).first()
            if chosen is not None
            else None
        )
        if request is None and (chosen is not None or action == "remove"):
            raise DomainError(_("This request is no longer waiting."), code="not_waiting")
        if action == "remove":
            withdraw_request(request, actor=actor)
            return floor_of(consultation)
        return give_floor(consultation, request, actor=actor)
    if action == "end":
        return end_speech(consultation, actor=actor)
    if action in ("close_list", "open_list"):
        return set_list_open(consultation, action == "open_list", actor=actor)
    return set_speech_seconds(consultation, _number(values, "seconds") or 0, actor=actor)
