"""Every change of the live meeting (R2, R12, R20, R21). Each function commits the new state
with the floor's version raised by one, records an audit event, and after the commit
publishes one snapshot to every connected client.

Who may: the presiding officer and the secretariat run the meeting; a participant who holds
the speaker role, or an extra-speaker grant for this meeting or item (R12), may ask for the
floor; a viewer may not. No contribution is needed to speak (R20).

A delegation already in the list may still raise a point of order (or ask for the right of
reply); a point of order goes to the top and the chair may interrupt the speech under way
for it, which resumes with its remaining time when the point of order ends. A right of
reply is asked for by the delegation, granted by the chair, and heard after the list. Each
speech is given its category's time (the consultation's settings); the chair may extend it.
"""

from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaGroup, AgendaItem, Consultation
from plenary.core import audit
from plenary.core.errors import DomainError
from plenary.outcomes.models import ItemOutcome
from plenary.outcomes.services import take_up
from plenary.planning import services as planning
from plenary.planning.models import Meeting
from plenary.registration.models import Participant
from plenary.registration.services import may_speak

from . import live, speaking
from . import queue as queue_rules
from .models import Floor, FloorRequest
from .queries import waiting_kinds, waiting_queue


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


def held_today(consultation: Consultation, meeting: Meeting, now=None) -> bool:
    """The rehearsal, or a meeting held today in the consultation's time zone."""
    if meeting.kind == Meeting.Kind.REHEARSAL:
        return True
    zone = ZoneInfo(consultation.time_zone)
    today = (now or timezone.now()).astimezone(zone).date()
    return (
        meeting.starts_at.astimezone(zone).date()
        <= today
        <= meeting.ends_at.astimezone(zone).date()
    )


def open_meeting(
    consultation: Consultation,
    meeting: Meeting,
    *,
    actor,
    today_only: bool = False,
    override: bool = False,
) -> Floor:
    """Open a meeting on the floor. From the console (`today_only`), only today's meetings
    and the rehearsal, as a chair expects: another day's meeting needs the secretariat's
    override (a refusal is audited)."""
    _may_chair(actor, consultation)
    if meeting.consultation_id != consultation.pk:
        raise DomainError(
            _("That meeting belongs to another consultation."), code="wrong_consultation"
        )
    forced = False
    if today_only and not held_today(consultation, meeting):
        if not (override and actor.has_perm("consultations.open_any_meeting", consultation)):
            audit.record(
                "floor.refused",
                actor=actor,
                target=consultation,
                data={"why": "not_today", "meeting": meeting.pk},
            )
            raise DomainError(
                _(
                    "This meeting is not today: the console opens today's meetings and the rehearsal; the secretariat may open another."
                ),
                code="not_today",
            )
        forced = True
    with transaction.atomic():
        floor = _locked(consultation)
        floor.meeting = meeting
        floor.save(update_fields=["meeting"])
        return _changed(floor, "meeting_opened", actor, {"meeting": meeting.pk, "override": forced})


def close_meeting(consultation: Consultation, *, actor) -> Floor:
    """The chair ends the meeting: no meeting and no item on the floor. Refused while a
    speech runs or when no meeting is open."""
    _may_chair(actor, consultation)
    with transaction.atomic():
        floor = _locked(consultation)
        if floor.meeting_id is None:
            raise DomainError(_("No meeting is open."), code="no_meeting")
        if floor.speaking_id:
            raise DomainError(_("End the current speech first."), code="speech_running")
        ended = floor.meeting_id
        floor.meeting = None
        floor.item = None
        floor.save(update_fields=["meeting", "item"])
        return _changed(floor, "meeting_closed", actor, {"meeting": ended})


def _concluded(item_id: int | None) -> bool:
    return bool(item_id) and ItemOutcome.objects.filter(item_id=item_id, recorded=True).exists()


def close_concluded_item(sender, *, item: AgendaItem, actor, **kwargs) -> None:
    """Receiver of outcomes.signals.item_concluded, in the transaction that records the
    outcome (which has raised the floor's version already): when the item is on the floor,
    its list of speakers closes, the requests still waiting on it are withdrawn, and the
    speech under way (and one a point of order interrupted) ends with the time it used."""
    floor = (
        Floor.objects.select_for_update().filter(consultation_id=item.group.consultation_id).first()
    )
    if floor is None or floor.item_id != item.pk:
        return
    now = timezone.now()
    withdrawn = FloorRequest.objects.filter(
        floor=floor, item=item, status=FloorRequest.Status.WAITING
    ).update(status=FloorRequest.Status.WITHDRAWN, ended_at=now)
    ended = []
    for speech in FloorRequest.objects.select_for_update().filter(
        pk__in=[pk for pk in (floor.speaking_id, floor.interrupted_id) if pk]
    ):
        speech.status = FloorRequest.Status.DONE
        speech.ended_at = now
        speech.save(
            update_fields=[
                "status",
                "ended_at",
                *speech.set_clock(speaking.stop(speech.clock, now)),
            ]
        )
        ended.append(speech.pk)
    Floor.objects.filter(pk=floor.pk).update(list_open=False, speaking=None, interrupted=None)
    audit.record(
        "floor.list_closed",
        actor=actor,
        target=floor.consultation,
        data={"item": item.label, "why": "concluded", "withdrawn": withdrawn, "ended": ended},
    )


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
        floor.list_open = not _concluded(item.pk)
        floor.save(update_fields=["item", "list_open"])
        take_up(item, actor=actor)
        planning.item_taken_up(item, actor=actor)
        return _changed(floor, "item_taken_up", actor, {"item": item.label})


def set_list_open(consultation: Consultation, is_open: bool, *, actor) -> Floor:
    _may_chair(actor, consultation)
    with transaction.atomic():
        floor = _locked(consultation)
        floor.list_open = is_open
        floor.save(update_fields=["list_open"])
        return _changed(floor, "list_opened" if is_open else "list_closed", actor, {})


def extend_speech(consultation: Consultation, seconds: int, *, actor) -> Floor:
    """The chair gives the speech under way `seconds` more."""
    _may_chair(actor, consultation)
    if not 15 <= seconds <= 3600:
        raise DomainError(
            _("Give a speaking time between 15 seconds and one hour."), code="bad_seconds"
        )
    with transaction.atomic():
        floor = _locked(consultation)
        if not floor.speaking_id:
            raise DomainError(_("Nobody has the floor."), code="nobody_speaking")
        request = FloorRequest.objects.select_for_update().get(pk=floor.speaking_id)
        request.save(update_fields=request.set_clock(speaking.extend(request.clock, seconds)))
        return _changed(
            floor,
            "speech_extended",
            actor,
            {"request": request.pk, "seconds": seconds, "extra": request.extra_seconds},
        )


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
    if kind == FloorRequest.Kind.REPLY and not consultation.right_of_reply:
        raise DomainError(
            _("The right of reply is not used in this consultation."), code="reply_not_allowed"
        )
    if _concluded(current.item_id):
        audit.record(
            "floor.refused",
            actor=actor,
            target=participant,
            data={"why": "item_concluded", "item": current.item_id},
        )
        raise _item_concluded()
    with transaction.atomic():
        floor = _locked(consultation)
        if floor.item_id is None:
            raise DomainError(_("No item is under discussion."), code="no_item")
        if not queue_rules.may_ask(kind, waiting_kinds(floor, participant.delegation)):
            raise DomainError(
                _("Your delegation is already in the list for this item."), code="already_waiting"
            )
        if _concluded(floor.item_id):
            raise _item_concluded()
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


def _item_concluded() -> DomainError:
    return DomainError(
        _("The outcome of this item is recorded: nobody may ask for the floor on it."),
        code="item_concluded",
    )


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


def _refuse_ungranted_reply(request: FloorRequest, actor) -> None:
    # Checked before the transaction too, so that the refusal stays recorded.
    if request.kind == FloorRequest.Kind.REPLY and not request.granted:
        audit.record(
            "floor.refused",
            actor=actor,
            target=request.floor.consultation,
            data={"why": "reply_not_granted", "request": request.pk},
        )
        raise DomainError(
            _("The chair has not granted this right of reply."), code="reply_not_granted"
        )


def grant_reply(request: FloorRequest, *, actor) -> FloorRequest:
    """The chair grants a delegation the right of reply it asked for: heard after the list."""
    consultation = request.floor.consultation
    _may_chair(actor, consultation)
    with transaction.atomic():
        floor = _locked(consultation)
        request = FloorRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != FloorRequest.Status.WAITING or request.floor_id != floor.pk:
            raise DomainError(_("This request is no longer waiting."), code="not_waiting")
        if request.kind != FloorRequest.Kind.REPLY:
            raise DomainError(_("That choice is not valid."), code="bad_value")
        request.granted = True
        request.save(update_fields=["granted"])
        _changed(floor, "reply_granted", actor, {"request": request.pk})
    return request


def give_floor(consultation: Consultation, request: FloorRequest | None = None, *, actor) -> Floor:
    """Give the floor to a request, or to the first in the queue. While a statement or a
    reply runs, only a point of order may have it: the speech is interrupted and resumes when
    the point of order ends."""
    _may_chair(actor, consultation)
    if request is not None:
        _refuse_ungranted_reply(request, actor)
    with transaction.atomic():
        floor = _locked(consultation)
        if request is None:
            queue = waiting_queue(floor)
            if not queue:
                raise DomainError(_("Nobody is waiting for the floor."), code="queue_empty")
            request = queue[0]
        request = (
            FloorRequest.objects.select_for_update(of=("self",))
            .select_related("delegation")
            .get(pk=request.pk)
        )
        if request.floor_id != floor.pk or request.status != FloorRequest.Status.WAITING:
            raise DomainError(_("This request is no longer waiting."), code="not_waiting")
        if request.kind == FloorRequest.Kind.REPLY and not request.granted:
            raise DomainError(
                _("The chair has not granted this right of reply."), code="reply_not_granted"
            )
        now = timezone.now()
        current = (
            FloorRequest.objects.select_for_update().get(pk=floor.speaking_id)
            if floor.speaking_id
            else None
        )
        if not queue_rules.may_interrupt(
            current.kind if current else None, floor.interrupted_id is not None, request.kind
        ):
            raise DomainError(_("End the current speech first."), code="speech_running")
        if current is not None:
            current.status = FloorRequest.Status.INTERRUPTED
            current.save(
                update_fields=["status", *current.set_clock(speaking.stop(current.clock, now))]
            )
            floor.interrupted = current
        request.status = FloorRequest.Status.SPEAKING
        request.started_at = now
        allowed = speaking.limit_for(
            request.delegation.category, speaking.limits_of(floor.consultation)
        )
        clock = speaking.start(speaking.Clock(allowed), now)
        request.save(update_fields=["status", "started_at", *request.set_clock(clock)])
        floor.speaking = request
        floor.save(update_fields=["speaking", "interrupted"])
        return _changed(
            floor,
            "floor_given",
            actor,
            {
                "request": request.pk,
                "delegation": str(request.delegation),
                "kind": request.kind,
                "seconds": allowed,
                "interrupted": current.pk if current else None,
            },
        )


def end_speech(consultation: Consultation, *, actor) -> Floor:
    """End the speech under way; a speech a point of order interrupted then resumes with
    its remaining time."""
    _may_chair(actor, consultation)
    with transaction.atomic():
        floor = _locked(consultation)
        if not floor.speaking_id:
            raise DomainError(_("Nobody has the floor."), code="nobody_speaking")
        now = timezone.now()
        spoken = FloorRequest.objects.select_for_update().get(pk=floor.speaking_id)
        spoken.status = FloorRequest.Status.DONE
        spoken.ended_at = now
        spoken.save(
            update_fields=[
                "status",
                "ended_at",
                *spoken.set_clock(speaking.stop(spoken.clock, now)),
            ]
        )
        floor.speaking = None
        resumed = None
        if floor.interrupted_id:
            resumed = FloorRequest.objects.select_for_update().get(pk=floor.interrupted_id)
            resumed.status = FloorRequest.Status.SPEAKING
            resumed.save(
                update_fields=["status", *resumed.set_clock(speaking.start(resumed.clock, now))]
            )
            floor.speaking = resumed
            floor.interrupted = None
        floor.save(update_fields=["speaking", "interrupted"])
        return _changed(
            floor,
            "speech_ended",
            actor,
            {
                "request": spoken.pk,
                "seconds": round(spoken.used_seconds, 1),
                "resumed": resumed.pk if resumed else None,
            },
        )


CHAIR_ACTIONS = (
    "open_meeting",
    "end_meeting",
    "take_up",
    "give",
    "end",
    "close_list",
    "open_list",
    "remove",
    "grant",
    "extend",
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
        return open_meeting(
            consultation,
            meeting,
            actor=actor,
            today_only=True,
            override=values.get("override") in ("on", "1", "true", True),
        )
    if action == "end_meeting":
        return close_meeting(consultation, actor=actor)
    if action == "take_up":
        item = (
            AgendaItem.objects.select_related("group")
            .filter(pk=_number(values, "item"), group__consultation=consultation)
            .first()
        )
        if item is None:
            raise DomainError(_("Choose an agenda item of this consultation."), code="wrong_item")
        return set_item(consultation, item, actor=actor)
    if action in ("give", "remove", "grant"):
        chosen = _number(values, "request")
        request = (
            FloorRequest.objects.filter(pk=chosen, floor__consultation=consultation).first()
            if chosen is not None
            else None
        )
        if request is None and (chosen is not None or action != "give"):
            raise DomainError(_("This request is no longer waiting."), code="not_waiting")
        if action == "remove":
            withdraw_request(request, actor=actor)
            return floor_of(consultation)
        if action == "grant":
            grant_reply(request, actor=actor)
            return floor_of(consultation)
        return give_floor(consultation, request, actor=actor)
    if action == "end":
        return end_speech(consultation, actor=actor)
    if action in ("close_list", "open_list"):
        return set_list_open(consultation, action == "open_list", actor=actor)
    return extend_speech(consultation, _number(values, "seconds") or 0, actor=actor)
