"""Proposed conclusions, objections and deferral, and the outcome of each item (R1, R22,
R23, R27). Transactional, audited; refusals are DomainErrors that change nothing."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaGroup, AgendaItem
from plenary.consultations.rules import is_presiding_officer
from plenary.core import audit, translated
from plenary.core.errors import DomainError
from plenary.planning import services as planning
from plenary.planning.models import Meeting
from plenary.registration import services as registration
from plenary.registration.models import Delegation, Participant

from . import rule, signals
from .models import ItemOutcome, Objection, ProposedConclusion
from .rules import speaks_for

LANGUAGES = [code for code, _name in settings.LANGUAGES]
State = ItemOutcome.State


def outcome_of(item: AgendaItem) -> ItemOutcome:
    default = (
        State.INFORMATION_NOTED
        if item.group.kind == AgendaGroup.Kind.FOR_INFORMATION
        else State.NOT_DISCUSSED
    )
    outcome, _created = ItemOutcome.objects.get_or_create(item=item, defaults={"state": default})
    return outcome


def _may_run(actor, item) -> None:
    if not (actor and actor.has_perm("consultations.chair_meeting", item.group.consultation)):
        raise DomainError(
            _("Only the presiding officer or the secretariat may do this."), code="not_chair"
        )


def _locked(item: AgendaItem) -> ItemOutcome:
    outcome_of(item)
    return ItemOutcome.objects.select_for_update().select_related("item__group").get(item=item)


def _open_outcome(item: AgendaItem) -> ItemOutcome:
    """The item's outcome, locked for a change that the live pages show; refused once the
    outcome is recorded."""
    _announce(item)
    outcome = _locked(item)
    if outcome.recorded:
        raise DomainError(
            _("The outcome of this item is already recorded."), code="outcome_recorded"
        )
    return outcome


def _set(
    outcome: ItemOutcome, state: str, actor, *, reason: str = "", recorded: bool | None = None
) -> ItemOutcome:
    before = outcome.state
    outcome.state = state
    outcome.reason = reason
    outcome.changed_by = actor if getattr(actor, "pk", None) else None
    if recorded is not None:
        outcome.recorded = recorded
    outcome.save()
    audit.record(
        "outcome.state_changed",
        actor=actor,
        target=outcome.item,
        data={"from": before, "to": state, "reason": reason, "recorded": outcome.recorded},
    )
    return outcome


def take_up(item: AgendaItem, *, actor) -> ItemOutcome:
    """The item is under discussion (called when the chair takes it up)."""
    with transaction.atomic():
        outcome = _locked(item)
        if outcome.state == State.NOT_DISCUSSED:
            _set(outcome, State.UNDER_DISCUSSION, actor)
        return outcome


def draft_conclusion(item: AgendaItem, *, texts: dict, original: str, actor) -> ProposedConclusion:
    """The secretariat drafts the proposed conclusion, in one or more languages."""
    _may_run(actor, item)
    if original not in LANGUAGES or not (texts.get(original) or "").strip():
        raise DomainError(_("Give the text in its original language."), code="original_required")
    unknown = [code for code in texts if code not in LANGUAGES]
    if unknown:
        raise DomainError(_("Unknown language."), code="unknown_language")
    with transaction.atomic():
        outcome = _open_outcome(item)
        values = {
            translated.column("text", code): (text or "").strip() for code, text in texts.items()
        }
        values["text"] = values.get(translated.column("text", original))
        conclusion, _created = ProposedConclusion.objects.update_or_create(
            item=item, defaults={**values, "original": original, "drafted_by": actor}
        )
        if outcome.state in (State.NOT_DISCUSSED, State.UNDER_DISCUSSION):
            _set(outcome, State.CONCLUSION_PROPOSED, actor)
        audit.record(
            "outcome.conclusion_drafted",
            actor=actor,
            target=item,
            data={"original": original, "languages": sorted(texts)},
        )
    return conclusion


def show_conclusion(item: AgendaItem, *, shown: bool = True, actor) -> ProposedConclusion:
    """The secretariat shows the drafted conclusion on the live pages, or hides it again."""
    _may_run(actor, item)
    with transaction.atomic():
        _announce(item)
        conclusion = ProposedConclusion.objects.filter(item=item).first()
        if conclusion is None:
            raise DomainError(
                _("No conclusion has been drafted for this item."), code="no_conclusion"
            )
        conclusion.shown = shown
        conclusion.save(update_fields=["shown", "updated_at"])
        audit.record("outcome.conclusion_shown", actor=actor, target=item, data={"shown": shown})
    return conclusion


def _registered(delegation: Delegation) -> bool:
    return Participant.objects.filter(
        delegation=delegation, status=Participant.Status.APPROVED
    ).exists()


def _extra_speaker_here(participant: Participant, item: AgendaItem) -> bool:
    """An extra speaker of the delegation (R12) whose grant is for this item, or for the
    meeting under way now: they may speak here, so they may object here."""
    now = timezone.now()
    meeting = Meeting.objects.filter(
        consultation_id=item.group.consultation_id, starts_at__lte=now, ends_at__gte=now
    ).first()
    return registration.may_speak(participant, meeting=meeting, items=[item.pk])


def _may_object(
    item: AgendaItem, delegation: Delegation, participant: Participant | None, actor
) -> None:
    """The secretariat (no participant) or a speaker of the delegation, for a registered
    delegation of the item's consultation."""
    if participant is None:
        _may_run(actor, item)
    elif not speaks_for(participant, delegation) and not _extra_speaker_here(participant, item):
        raise DomainError(
            _("Only a speaker of the delegation may record this."), code="not_speaker"
        )
    if delegation.consultation_id != item.group.consultation_id:
        raise DomainError(_("Choose a delegation of this consultation."), code="wrong_delegation")
    if not _registered(delegation):
        raise DomainError(
            _("This delegation has no registered participant."), code="not_registered"
        )


def record_objection(
    item: AgendaItem,
    delegation: Delegation,
    kind: str,
    *,
    actor,
    participant: Participant | None = None,
) -> Objection:
    """A wish to defer, a proposal to suspend or an objection (R22, R23), by a delegation's
    speaker or by the secretariat on its behalf. From a Council Member State it defers the
    item at once; from anyone else it is recorded only."""
    if kind not in Objection.Kind.values:
        raise DomainError(_("Unknown request."), code="bad_kind")
    on_behalf = participant is None
    _may_object(item, delegation, participant, actor)
    entered_by = _entered_by(item, actor, participant)
    with transaction.atomic():
        outcome = _open_outcome(item)
        if item.group.kind == AgendaGroup.Kind.FOR_INFORMATION:
            raise DomainError(
                _("Group 3 items are for information and are not discussed."),
                code="for_information",
            )
        try:
            with transaction.atomic():
                objection = Objection.objects.create(
                    item=item,
                    delegation=delegation,
                    kind=kind,
                    participant=participant,
                    recorded_by=actor if getattr(actor, "pk", None) else None,
                    on_behalf=on_behalf,
                    entered_by=entered_by,
                )
        except IntegrityError:
            raise DomainError(
                _("This has already been recorded for this delegation."), code="duplicate"
            ) from None
        audit.record(
            "outcome.objection_recorded",
            actor=actor,
            target=item,
            data={
                "delegation": str(delegation),
                "category": delegation.category,
                "kind": kind,
                "on_behalf": on_behalf,
                "entered_by": entered_by,
            },
        )
        _apply_rule(outcome, actor)
    return objection


def _entered_by(item: AgendaItem, actor, participant: Participant | None) -> str:
    """The delegation's speaker; or, on its behalf, the presiding officer (who may also hold
    a secretariat role) or else the secretariat."""
    if participant is not None:
        return Objection.EnteredBy.SPEAKER
    if actor is not None and is_presiding_officer(actor, item.group.consultation):
        return Objection.EnteredBy.CHAIR
    return Objection.EnteredBy.SECRETARIAT


def withdraw_objection(
    objection: Objection, *, actor, participant: Participant | None = None
) -> Objection:
    item = objection.item
    if participant is None:
        _may_run(actor, item)
    elif participant.delegation_id != objection.delegation_id:
        raise DomainError(_("This request belongs to another delegation."), code="not_yours")
    with transaction.atomic():
        outcome = _open_outcome(item)
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.withdrawn_at is not None:
            raise DomainError(_("This has already been withdrawn."), code="already_withdrawn")
        objection.withdrawn_at = timezone.now()
        objection.save(update_fields=["withdrawn_at"])
        audit.record(
            "outcome.objection_withdrawn",
            actor=actor,
            target=item,
            data={"delegation": str(objection.delegation), "kind": objection.kind},
        )
        _apply_rule(outcome, actor)
    return objection


def _apply_rule(outcome: ItemOutcome, actor) -> None:
    objections = [
        rule.Objection(o.delegation.category, o.kind, o.withdrawn_at is not None)
        for o in Objection.objects.filter(item=outcome.item).select_related("delegation")
    ]
    if rule.defers(objections):
        if outcome.state != State.DEFERRED:
            who = ", ".join(
                str(o.delegation)
                for o in Objection.objects.filter(
                    item=outcome.item,
                    withdrawn_at__isnull=True,
                    delegation__category=Delegation.Category.COUNCIL,
                )
            )
            _set(
                outcome,
                State.DEFERRED,
                actor,
                reason=str(_("At the request of: %(who)s")) % {"who": who},
            )
    elif outcome.state == State.DEFERRED:
        back = (
            State.CONCLUSION_PROPOSED
            if ProposedConclusion.objects.filter(item=outcome.item).exists()
            else State.UNDER_DISCUSSION
        )
        _set(outcome, back, actor)


def record_outcome(item: AgendaItem, state: str, *, actor, reason: str = "") -> ItemOutcome:
    """The presiding officer records the outcome: agreed as proposed conclusion, deferred,
    proposed for decision by correspondence (urgent items only, R27) or information noted.

    Checks, in order: the actor chairs; the outcome is one of the final ones; it is not
    recorded already (a second recording is refused and audited); it fits the item's group,
    a requested deferral and the drafted conclusion. Recording concludes the item: its list
    of speakers closes (the live floor, by `signals.item_concluded`), the planning desk no
    longer starts it, and the rest of the published plan is re-planned from now (R24)."""
    _may_run(actor, item)
    if state not in ItemOutcome.FINAL:
        raise DomainError(_("Choose one of the outcomes."), code="bad_outcome")
    try:
        return _record_outcome(item, state, actor=actor, reason=reason)
    except DomainError as refusal:
        if refusal.code == "outcome_recorded":
            audit.record(
                "outcome.refused",
                actor=actor,
                target=item,
                data={"why": refusal.code, "state": state},
            )
        raise


def _record_outcome(item: AgendaItem, state: str, *, actor, reason: str) -> ItemOutcome:
    with transaction.atomic():
        outcome = _open_outcome(item)
        information = item.group.kind == AgendaGroup.Kind.FOR_INFORMATION
        if information != (state == State.INFORMATION_NOTED):
            raise DomainError(
                _("Group 3 items are noted for information; other items are not."),
                code="bad_outcome",
            )
        deferring = outcome.state == State.DEFERRED
        if deferring and state != State.DEFERRED:
            raise DomainError(
                _(
                    "A Council Member State asked for deferral: the item is deferred to the next physical session."
                ),
                code="deferral_requested",
            )
        if (
            state in (State.AGREED, State.CORRESPONDENCE)
            and not ProposedConclusion.objects.filter(item=item).exists()
        ):
            raise DomainError(
                _("No conclusion has been drafted for this item."), code="no_conclusion"
            )
        if state == State.CORRESPONDENCE and item.group.kind != AgendaGroup.Kind.URGENT:
            raise DomainError(
                _("Only urgent (Group 1) items go to a decision by correspondence."),
                code="not_urgent",
            )
        _set(outcome, state, actor, reason=reason or outcome.reason, recorded=True)
        signals.item_concluded.send(sender=ItemOutcome, item=item, actor=actor)
        planning.conclude_item(item, actor=actor)
    return outcome


def reopen(item: AgendaItem, *, actor, reason: str) -> ItemOutcome:
    """A recorded outcome is reopened, with a reason (audited)."""
    _may_run(actor, item)
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for reopening the item."), code="reason_required")
    with transaction.atomic():
        _announce(item)
        outcome = _locked(item)
        if not outcome.recorded:
            raise DomainError(_("This item has no recorded outcome."), code="not_recorded")
        outcome.recorded = False
        state = (
            State.CONCLUSION_PROPOSED
            if ProposedConclusion.objects.filter(item=item).exists()
            else State.UNDER_DISCUSSION
        )
        _set(outcome, state, actor, reason=reason.strip(), recorded=False)
        audit.record("outcome.reopened", actor=actor, target=item, data={"reason": reason.strip()})
        planning.reopen_item(item, actor=actor)
        _apply_rule(outcome, actor)
    return outcome


def _announce(item: AgendaItem) -> None:
    """What the live pages show is about to change in this transaction; sent first, before
    any row of the outcome or the audit chain is locked (see signals.py)."""
    signals.shown_state_changed.send(sender=ItemOutcome, consultation_id=item.group.consultation_id)
