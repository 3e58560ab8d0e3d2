"""Registration of participants, speakers and viewers, extra speakers and personal links
(R3, R4, R9–R14). Each function is transactional and audited; a refusal is a DomainError
that changes nothing (and is itself recorded when it concerns someone's rights)."""

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from plenary.consultations.models import Appointment, Consultation
from plenary.core import audit, timezones
from plenary.core.errors import DomainError
from plenary.core.mail import mail_in_language
from plenary.core.models import AuditEvent
from plenary.directory.models import State

from .models import AccessLink, Capacity, Delegation, ExtraSpeakerRequest, FocalPoint, Participant

# --- delegations ----------------------------------------------------------------------------


def setup_delegations(consultation: Consultation) -> int:
    """Keep the consultation's delegations and capacity in step with its settings: a
    delegation for each Council Member State of the term, each invited observer, the State
    of Palestine and each invited Sector Member; every state's category follows the term
    (a state that lost its seat becomes an observer); the limits follow the settings.
    Returns how many rows were created or changed (0 when nothing differed).

    The settings are the one source of truth; the limits are repeated on the counted rows
    only so that the database's check constraints refuse a breach under concurrency. The
    caller (setup.services) refuses beforehand a limit below what is already used."""
    changed = 0
    limit = consultation.speakers_per_delegation_max
    with transaction.atomic():
        changed += _sync_capacity(consultation)
        council = set(
            State.objects.filter(council_seats__term=consultation.council_term).values_list(
                "pk", flat=True
            )
        )
        for state in State.objects.filter(pk__in=council):
            changed += _delegation(consultation, Delegation.Category.COUNCIL, limit, state=state)[1]
        for state in consultation.observer_states.all():
            changed += _delegation(
                consultation, _state_category(state, council), limit, state=state
            )[1]
        for member in consultation.sector_members.all():
            changed += _delegation(
                consultation, Delegation.Category.SECTOR_MEMBER, limit, sector_member=member
            )[1]
        for delegation in consultation.delegations.filter(state__isnull=False).select_related(
            "state"
        ):
            category = _state_category(delegation.state, council)
            if delegation.category != category:
                delegation.category = category
                delegation.save(update_fields=["category"])
                changed += 1
        changed += consultation.delegations.exclude(speaker_limit=limit).update(speaker_limit=limit)
    return changed


def _state_category(state: State, council: set[int]) -> str:
    """A state's category in a consultation: Council Member State when it holds a seat in
    the consultation's term, otherwise an observer (the State of Palestine its own)."""
    if state.pk in council:
        return Delegation.Category.COUNCIL
    if state.status == State.Status.OBSERVER:
        return Delegation.Category.PALESTINE
    return Delegation.Category.OBSERVER


def _sync_capacity(consultation: Consultation) -> int:
    """The platform's limits as the settings give them (the row locked while it changes)."""
    capacity = Capacity.objects.select_for_update().filter(consultation=consultation).first()
    if capacity is None:
        Capacity.objects.create(
            consultation=consultation,
            speaker_limit=consultation.speaker_capacity,
            viewer_limit=consultation.viewer_capacity,
        )
        return 1
    wanted = (consultation.speaker_capacity, consultation.viewer_capacity)
    if (capacity.speaker_limit, capacity.viewer_limit) == wanted:
        return 0
    capacity.speaker_limit, capacity.viewer_limit = wanted
    capacity.save(update_fields=["speaker_limit", "viewer_limit"])
    return 1


def _delegation(consultation, category, limit, **who) -> tuple[Delegation, bool]:
    return Delegation.objects.get_or_create(
        consultation=consultation, **who, defaults={"category": category, "speaker_limit": limit}
    )


def delegation_for_state(consultation: Consultation, state: State) -> Delegation:
    """Any Member State may take part (Council or observer, R3); its delegation is made on
    first registration."""
    existing = Delegation.objects.filter(consultation=consultation, state=state).first()
    if existing:
        return existing
    if not state.is_member_on(consultation.starts_on) and state.status != State.Status.OBSERVER:
        raise DomainError(
            _("This state is not a Member State on the dates of the consultation."),
            code="not_member",
        )
    council = set(
        State.objects.filter(council_seats__term=consultation.council_term).values_list(
            "pk", flat=True
        )
    )
    category = _state_category(state, council)
    try:
        with transaction.atomic():
            return _delegation(
                consultation, category, consultation.speakers_per_delegation_max, state=state
            )[0]
    except IntegrityError:
        return Delegation.objects.get(consultation=consultation, state=state)


def chosen_delegation(consultation: Consultation, value: str) -> Delegation:
    """The delegation a registration names, as the form and the API give it: "state:<ISO2>"
    (made on first registration, see `delegation_for_state`) or "sm:<sector member id>"."""
    kind, _sep, key = value.partition(":")
    if kind == "state":
        state = State.objects.filter(iso2=key).first()
        if state is not None:
            return delegation_for_state(consultation, state)
    elif kind == "sm" and key.isdigit():
        delegation = Delegation.objects.filter(
            consultation=consultation, sector_member_id=int(key)
        ).first()
        if delegation is not None:
            return delegation
    raise DomainError(_("Choose a delegation of this consultation."), code="wrong_delegation")


def appoint_focal_point(delegation: Delegation, user, *, actor) -> FocalPoint:
    with transaction.atomic():
        focal, created = FocalPoint.objects.get_or_create(delegation=delegation, user=user)
        Appointment.objects.get_or_create(
            user=user,
            role=Appointment.Role.FOCAL_POINT,
            consultation=delegation.consultation,
            state=delegation.state,
        )
        if created:
            audit.record(
                "registration.focal_point_appointed",
                actor=actor,
                target=delegation,
                data={"user": user.email},
            )
    return focal


def grant_role(user, role: str, *, consultation=None, state=None, actor) -> Appointment:
    """Give a person a role (in one consultation, or in every one when `consultation` is
    empty), audited. A focal point gets the delegation's record with it, so that the role
    and "My delegation" always agree."""
    if role == Appointment.Role.FOCAL_POINT:
        if consultation is None or state is None:
            raise DomainError(
                _("A focal point is appointed for one state in one consultation."),
                code="wrong_delegation",
            )
        appoint_focal_point(delegation_for_state(consultation, state), user, actor=actor)
        return Appointment.objects.get(user=user, role=role, consultation=consultation, state=state)
    with transaction.atomic():
        appointment, created = Appointment.objects.get_or_create(
            user=user, role=role, consultation=consultation, state=state
        )
        if created:
            audit.record(
                "role.granted",
                actor=actor,
                target=appointment,
                data={"user": user.email, "role": role, "state": state.iso2 if state else None},
            )
    return appointment


def withdraw_role(appointment: Appointment, *, actor) -> None:
    """The role ends; a focal point's delegation record with it."""
    with transaction.atomic():
        if appointment.role == Appointment.Role.FOCAL_POINT:
            FocalPoint.objects.filter(
                user=appointment.user,
                delegation__consultation=appointment.consultation,
                delegation__state=appointment.state,
            ).delete()
        audit.record(
            "role.withdrawn",
            actor=actor,
            target=appointment,
            data={"user": appointment.user.email, "role": appointment.role},
        )
        appointment.delete()


def is_focal_point_of(user, delegation: Delegation) -> bool:
    return bool(
        user
        and user.is_authenticated
        and FocalPoint.objects.filter(delegation=delegation, user=user).exists()
    )


def _may_decide(actor, delegation: Delegation, action: str) -> None:
    """The delegation's own focal point, or the secretariat; anyone else is refused and
    the attempt recorded."""
    if is_focal_point_of(actor, delegation) or (
        actor and actor.has_perm("registration.manage", delegation.consultation)
    ):
        return
    audit.record(
        "registration.refused",
        actor=actor,
        target=delegation,
        data={"action": action, "why": "not_focal_point"},
    )
    raise DomainError(
        _("Only this delegation's focal point or the secretariat may do this."),
        code="not_focal_point",
    )


# --- registration (R9) ----------------------------------------------------------------------


def registration_window(consultation: Consultation) -> tuple[datetime, datetime]:
    return consultation.registration_opens_at, consultation.opens_at


def register(
    consultation: Consultation,
    *,
    delegation: Delegation,
    name: str,
    email: str,
    function: str = "",
    language: str = "en",
    now: datetime | None = None,
) -> Participant:
    """A person registers online between the opening date and the first meeting (R9); the
    registration waits for the delegation's focal point."""
    now = now or timezone.now()
    opens, closes = registration_window(consultation)
    if now < opens:
        raise DomainError(_("Registration is not open yet."), code="not_open")
    if now >= closes:
        raise DomainError(_("Registration is closed."), code="closed")
    if delegation.consultation_id != consultation.pk:
        raise DomainError(_("Choose a delegation of this consultation."), code="wrong_delegation")
    email = email.strip().lower()
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = "en"
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                consultation=consultation,
                delegation=delegation,
                email=email,
                name=name.strip(),
                function=function.strip(),
                language=language,
            )
            audit.record(
                "registration.registered",
                target=participant,
                data={"delegation": str(delegation), "email": email},
            )
            _mail(
                participant,
                "registration/email/registered.txt",
                _("Your registration for %(consultation)s"),
            )
            focal_points = list(delegation.focal_points.select_related("user"))
            for focal in focal_points:
                _mail_user(
                    focal.user,
                    consultation,
                    "registration/email/to_approve.txt",
                    _("A registration to approve for %(consultation)s"),
                    {"participant": participant},
                )
            if not focal_points:
                _tell_mailbox_of_stranded(participant)
    except IntegrityError:
        raise DomainError(
            _("This e-mail address is already registered for this consultation."),
            code="already_registered",
        ) from None
    return participant


STRANDED_NOTICE = "registration.stranded_notice"


def _tell_mailbox_of_stranded(participant: Participant) -> None:
    """A registration for a delegation without a focal point waits for nobody: the
    registration mailbox is told, at most once a day (in the consultation's zone) per
    delegation, so that the secretariat approves it or invites a focal point. Runs in the
    registration's transaction; the delegation's row is locked so that two registrations
    at the same moment send one notice. The audit log says whether today's was sent; the
    cache remembers it once committed, so that later registrations of the day do not
    search the log (it has no index on time)."""
    delegation, consultation = participant.delegation, participant.consultation
    local_day = timezone.now().astimezone(timezones.zone(consultation.time_zone)).date()
    key = f"plenary:stranded-notice:{delegation.pk}:{local_day.isoformat()}"
    if cache.get(key):
        return
    Delegation.objects.select_for_update().filter(pk=delegation.pk).first()
    told = AuditEvent.objects.filter(
        action=STRANDED_NOTICE,
        target_type=Delegation._meta.label,
        target_id=str(delegation.pk),
        occurred_at__gte=timezones.at(local_day, time(0, 0), consultation.time_zone),
    ).exists()
    transaction.on_commit(lambda: cache.set(key, True, 26 * 3600))
    if told:
        return
    waiting = delegation.participants.filter(status=Participant.Status.PENDING).count()
    with translation.override("en"):
        name = str(delegation)
    mail_in_language(
        to=consultation.registration_email,
        language="en",
        subject=_("%(delegation)s has no focal point: registrations wait for %(consultation)s"),
        params={"delegation": name, "consultation": consultation.acronym},
        template="registration/email/stranded_notice.txt",
        context={
            "consultation": consultation,
            "delegation": delegation,
            "participant": participant,
            "waiting": waiting,
            "base_url": settings.PLENARY_BASE_URL,
        },
    )
    audit.record(
        STRANDED_NOTICE,
        target=delegation,
        data={"waiting": waiting, "to": consultation.registration_email},
    )


def approve(participant: Participant, *, actor) -> Participant:
    """The focal point (or the secretariat) approves: the participant becomes a viewer,
    within the viewer capacity, and receives a personal link (R10, R13)."""
    _may_decide(actor, participant.delegation, "approve")
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.status != Participant.Status.PENDING:
            raise DomainError(
                _("This registration has already been decided."), code="already_decided"
            )
        _change_counts(participant.consultation, viewers=+1)
        participant.status = Participant.Status.APPROVED
        participant.role = Participant.Role.VIEWER
        participant.decided_at = timezone.now()
        participant.save(update_fields=["status", "role", "decided_at"])
        audit.record("registration.approved", actor=actor, target=participant)
        send_link(participant, actor=actor)
    return participant


def reject(participant: Participant, *, actor, note: str = "") -> Participant:
    _may_decide(actor, participant.delegation, "reject")
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.status != Participant.Status.PENDING:
            raise DomainError(
                _("This registration has already been decided."), code="already_decided"
            )
        participant.status = Participant.Status.REJECTED
        participant.decided_at = timezone.now()
        participant.save(update_fields=["status", "decided_at"])
        audit.record("registration.rejected", actor=actor, target=participant, data={"note": note})
    return participant


def withdraw(participant: Participant, *, actor) -> Participant:
    """The participant leaves: their place (speaker or viewer) is freed and their link revoked."""
    _may_decide(actor, participant.delegation, "withdraw")
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.status != Participant.Status.APPROVED:
            raise DomainError(
                _("Only an approved participant can be withdrawn."), code="not_approved"
            )
        if participant.role == Participant.Role.SPEAKER:
            Delegation.objects.filter(pk=participant.delegation_id).update(
                speakers=F("speakers") - 1
            )
            _change_counts(participant.consultation, speakers=-1)
        else:
            _change_counts(participant.consultation, viewers=-1)
        participant.status = Participant.Status.WITHDRAWN
        participant.role = Participant.Role.VIEWER
        participant.save(update_fields=["status", "role"])
        AccessLink.objects.filter(participant=participant, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit.record("registration.withdrawn", actor=actor, target=participant)
    return participant


# --- decisions on many registrations at once ----------------------------------------------

BULK_ACTIONS = ("approve", "reject", "speaker", "viewer", "withdraw")
MOST_SELECTED = 500
# A refusal that every further row would meet too: the rows after it are not tried.
_STOPPING = {"viewer_capacity", "speaker_capacity", "no_capacity"}


@dataclass(frozen=True)
class RowOutcome:
    participant: Participant
    done: bool
    code: str = ""
    reason: str = ""


@dataclass(frozen=True)
class BulkOutcome:
    """What `bulk_decide` did, row by row, and the sentence that sums it up."""

    action: str
    rows: list[RowOutcome]

    @property
    def done(self) -> int:
        return sum(row.done for row in self.rows)

    @property
    def refused(self) -> int:
        return len(self.rows) - self.done

    def summary(self) -> str:
        """ "37 approved; 63 refused: The platform has no viewer place left (…)." """
        done = self.done
        text = {
            "approve": ngettext("%(n)s approved", "%(n)s approved", done),
            "reject": ngettext("%(n)s rejected", "%(n)s rejected", done),
            "speaker": ngettext("%(n)s named speaker", "%(n)s named speakers", done),
            "viewer": ngettext("%(n)s made viewer", "%(n)s made viewers", done),
            "withdraw": ngettext("%(n)s withdrawn", "%(n)s withdrawn", done),
        }[self.action] % {"n": done}
        if not self.refused:
            return text
        reasons = Counter(row.reason for row in self.rows if not row.done)
        why = (
            next(iter(reasons))
            if len(reasons) == 1
            else "; ".join(f"{reason} ({count})" for reason, count in reasons.most_common())
        )
        return ngettext(
            "%(done)s; %(n)s refused: %(why)s", "%(done)s; %(n)s refused: %(why)s", self.refused
        ) % {"done": text, "n": self.refused, "why": why}


def selected_participants(consultation: Consultation, ids) -> list[Participant]:
    """The registrations a selection names (ids, in the order given, once each); an id
    that is no registration of this consultation refuses the whole selection."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise DomainError(_("Select at least one registration."), code="empty_selection")
    if len(wanted) > MOST_SELECTED:
        raise DomainError(
            _("Select at most %(most)s registrations at a time."),
            code="too_large",
            params={"most": MOST_SELECTED},
        )
    found = {
        p.pk: p
        for p in Participant.objects.filter(
            consultation=consultation, pk__in=wanted
        ).select_related("consultation", "delegation")
    }
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise DomainError(
            _("No registration of this consultation has the number %(ids)s; nothing was changed."),
            code="wrong_consultation",
            params={"ids": ", ".join(missing[:10]) + ("…" if len(missing) > 10 else "")},
        )
    return [found[pk] for pk in wanted]


def bulk_decide(participants, action: str, *, actor, note: str = "") -> BulkOutcome:
    """One decision on many registrations: each row through its own service (approve,
    reject, designate_speaker, revoke_speaker, withdraw), so each is checked, applied in
    its own transaction and audited as when decided alone. A row refused (already
    decided, another delegation's, the quota) does not undo the others; once the
    platform's capacity is reached, the remaining rows are refused for it untried. A
    second submission finds every row decided and changes nothing."""
    if action not in BULK_ACTIONS:
        raise DomainError(
            _("Unknown action %(action)s; choose one of: %(actions)s."),
            code="unknown_action",
            params={"action": repr(action)[:40], "actions": ", ".join(BULK_ACTIONS)},
        )
    participants = list(participants)
    if not participants:
        raise DomainError(_("Select at least one registration."), code="empty_selection")
    if len({p.consultation_id for p in participants}) > 1:
        raise DomainError(_("Select registrations of one consultation."), code="wrong_consultation")
    function = PARTICIPANT_ACTIONS[action][0]
    extra = {"note": note} if action == "reject" else {}
    rows, stopped = [], None
    for participant in participants:
        if stopped is None:
            try:
                function(participant, actor=actor, **extra)
            except DomainError as refusal:
                rows.append(RowOutcome(participant, False, refusal.code, refusal.user_message()))
                stopped = refusal if refusal.code in _STOPPING else None
            else:
                rows.append(RowOutcome(participant, True))
        else:
            rows.append(RowOutcome(participant, False, stopped.code, stopped.user_message()))
    return BulkOutcome(action, rows)


def _change_counts(consultation: Consultation, *, speakers: int = 0, viewers: int = 0) -> None:
    """One UPDATE; the check constraints refuse a count past the limit (R10)."""
    try:
        with transaction.atomic():
            changed = Capacity.objects.filter(consultation=consultation).update(
                speakers=F("speakers") + speakers, viewers=F("viewers") + viewers
            )
    except IntegrityError:
        # The limits in force now (the secretariat may have just changed them).
        limits = Capacity.objects.filter(consultation=consultation).values(
            "speaker_limit", "viewer_limit"
        )[0]
        if speakers > 0:
            raise DomainError(
                _("The platform has no speaker place left (capacity: %(limit)s speakers)."),
                code="speaker_capacity",
                params={"limit": limits["speaker_limit"]},
            ) from None
        raise DomainError(
            _("The platform has no viewer place left (capacity: %(limit)s viewers)."),
            code="viewer_capacity",
            params={"limit": limits["viewer_limit"]},
        ) from None
    if not changed:
        raise DomainError(
            _("Registration is not set up for this consultation."), code="no_capacity"
        )


# --- speakers and viewers (R10, R11) ----------------------------------------------------------


def designate_speaker(participant: Participant, *, actor) -> Participant:
    """The focal point names an approved participant of its delegation as a speaker for the
    whole consultation, within the delegation's quota and the platform's capacity (R11)."""
    _may_decide(actor, participant.delegation, "designate_speaker")
    try:
        return _designate_speaker(participant, actor)
    except DomainError as refusal:
        # Recorded outside the transaction that the refusal rolled back.
        audit.record(
            "registration.refused",
            actor=actor,
            target=participant,
            data={"action": "designate_speaker", "why": refusal.code},
        )
        raise


def _designate_speaker(participant: Participant, actor) -> Participant:
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.status != Participant.Status.APPROVED:
            raise DomainError(
                _("Only an approved participant can be named a speaker."), code="not_approved"
            )
        if participant.role == Participant.Role.SPEAKER:
            raise DomainError(_("This participant is already a speaker."), code="already_speaker")
        try:
            with transaction.atomic():
                Delegation.objects.filter(pk=participant.delegation_id).update(
                    speakers=F("speakers") + 1
                )
        except IntegrityError:
            # The limit in force now, not the one read with the participant.
            most = Delegation.objects.values_list("speaker_limit", flat=True).get(
                pk=participant.delegation_id
            )
            raise DomainError(
                _("This delegation already has %(most)s speakers."),
                code="speaker_quota",
                params={"most": most},
            ) from None
        _change_counts(participant.consultation, speakers=+1, viewers=-1)
        participant.role = Participant.Role.SPEAKER
        participant.save(update_fields=["role"])
        audit.record("registration.speaker_designated", actor=actor, target=participant)
        _notify_mailboxes(participant, _("Speaker named for %(consultation)s"))
        send_link(participant, actor=actor)
    return participant


def revoke_speaker(participant: Participant, *, actor) -> Participant:
    """The participant becomes a viewer again; the speaker link stops giving the speaker role."""
    _may_decide(actor, participant.delegation, "revoke_speaker")
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if not participant.is_speaker:
            raise DomainError(_("This participant is not a speaker."), code="already_viewer")
        Delegation.objects.filter(pk=participant.delegation_id).update(speakers=F("speakers") - 1)
        _change_counts(participant.consultation, speakers=-1, viewers=+1)
        participant.role = Participant.Role.VIEWER
        participant.save(update_fields=["role"])
        audit.record("registration.speaker_revoked", actor=actor, target=participant)
        _notify_mailboxes(participant, _("Speaker withdrawn for %(consultation)s"))
        send_link(participant, actor=actor)
    return participant


def _notify_mailboxes(participant: Participant, subject) -> None:
    """R11: the speakers' names go to the registration mailbox, copied to remote participation."""
    consultation = participant.consultation
    mail_in_language(
        to=consultation.registration_email,
        cc=[consultation.remote_participation_email],
        language="en",
        subject=subject,
        params={"consultation": consultation.acronym},
        template="registration/email/speakers_notice.txt",
        context={
            "consultation": consultation,
            "participant": participant,
            "delegation": participant.delegation,
            "speakers": participant.delegation.participants.filter(
                status=Participant.Status.APPROVED, role=Participant.Role.SPEAKER
            ),
        },
    )


# --- extra speaker (R12) --------------------------------------------------------------------


def request_extra_speaker(
    participant: Participant, *, meeting=None, item=None, actor
) -> ExtraSpeakerRequest:
    _may_decide(actor, participant.delegation, "request_extra_speaker")
    if (meeting is None) == (item is None):
        raise DomainError(_("Choose one meeting or one agenda item."), code="meeting_or_item")
    if (
        participant.status != Participant.Status.APPROVED
        or participant.role == Participant.Role.SPEAKER
    ):
        raise DomainError(
            _("The extra speaker must be an approved viewer of the delegation."), code="not_viewer"
        )
    target = meeting or item
    if getattr(target, "consultation_id", None) not in (None, participant.consultation_id) or (
        item is not None and item.group.consultation_id != participant.consultation_id
    ):
        raise DomainError(
            _("Choose a meeting or item of this consultation."), code="wrong_consultation"
        )
    with transaction.atomic():
        duplicate = ExtraSpeakerRequest.objects.filter(
            participant=participant,
            meeting=meeting,
            item=item,
            status__in=[ExtraSpeakerRequest.Status.REQUESTED, ExtraSpeakerRequest.Status.GRANTED],
        ).exists()
        if duplicate:
            raise DomainError(_("This request has already been made."), code="duplicate_request")
        request = ExtraSpeakerRequest.objects.create(
            delegation=participant.delegation,
            participant=participant,
            meeting=meeting,
            item=item,
            requested_by=actor,
        )
        audit.record("registration.extra_speaker_requested", actor=actor, target=request)
    return request


def decide_extra_speaker(
    request: ExtraSpeakerRequest, *, grant: bool, actor, note: str = ""
) -> ExtraSpeakerRequest:
    """The secretariat grants (if a speaker place is free) or refuses an extra speaker."""
    consultation = request.delegation.consultation
    if not actor.has_perm("registration.manage", consultation):
        raise DomainError(
            _("Only the secretariat decides on extra speakers."), code="not_secretariat"
        )
    with transaction.atomic():
        capacity = Capacity.objects.select_for_update().get(consultation=consultation)
        request = ExtraSpeakerRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != ExtraSpeakerRequest.Status.REQUESTED:
            raise DomainError(_("This request has already been decided."), code="already_decided")
        if grant:
            overlapping = ExtraSpeakerRequest.objects.filter(
                delegation__consultation=consultation, status=ExtraSpeakerRequest.Status.GRANTED
            ).filter(Q(meeting=request.meeting) if request.meeting_id else Q(item=request.item))
            if capacity.speakers + overlapping.count() >= capacity.speaker_limit:
                raise DomainError(
                    _("The platform has no speaker place left (capacity: %(limit)s speakers)."),
                    code="speaker_capacity",
                    params={"limit": capacity.speaker_limit},
                )
        request.status = (
            ExtraSpeakerRequest.Status.GRANTED if grant else ExtraSpeakerRequest.Status.REFUSED
        )
        request.decided_at = timezone.now()
        request.decided_by = actor
        request.note = note
        request.save(update_fields=["status", "decided_at", "decided_by", "note"])
        audit.record(
            "registration.extra_speaker_decided",
            actor=actor,
            target=request,
            data={"granted": grant, "note": note},
        )
    return request


def holds_extra_grant(participant: Participant, *, meeting=None, item=None) -> bool:
    grants = ExtraSpeakerRequest.objects.filter(
        participant=participant, status=ExtraSpeakerRequest.Status.GRANTED
    )
    return grants.filter(Q(meeting=meeting) if meeting is not None else Q(item=item)).exists()


# --- personal links (R10, R13) ----------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(participant: Participant) -> str:
    """A new personal link for the participant's current role; the previous one stops working.
    Returns the token, which is not stored."""
    token = secrets.token_urlsafe(32)  # 256 bits
    with transaction.atomic():
        AccessLink.objects.filter(participant=participant, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        AccessLink.objects.create(
            participant=participant, role=participant.role, token_hash=_hash(token)
        )
    return token


def link_url(token: str) -> str:
    return f"{settings.PLENARY_BASE_URL}/j/{token}"


def send_link(participant: Participant, *, actor) -> str:
    """Issue a link and send it, with the participation guide, in the participant's language (R13)."""
    token = issue_link(participant)
    _mail(
        participant,
        "registration/email/link.txt",
        _("Your personal link for %(consultation)s"),
        {"url": link_url(token), "role": participant.get_role_display()},
    )
    audit.record(
        "registration.link_sent", actor=actor, target=participant, data={"role": participant.role}
    )
    return token


def resend_link(participant: Participant, *, actor) -> str:
    """A new link for a participant who lost theirs; the old one stops working."""
    _may_decide(actor, participant.delegation, "resend_link")
    if participant.status != Participant.Status.APPROVED:
        raise DomainError(_("Only an approved participant receives a link."), code="not_approved")
    return send_link(participant, actor=actor)


# The focal point's decisions on one participant, by the name the page's buttons and the
# API's path give them, with what the page says once one is done.
PARTICIPANT_ACTIONS = {
    "approve": (approve, _("Registration approved; the personal link has been sent.")),
    "reject": (reject, _("Registration rejected.")),
    "speaker": (designate_speaker, _("Named as a speaker; the new link has been sent.")),
    "viewer": (revoke_speaker, _("Now a viewer; the new link has been sent.")),
    "withdraw": (withdraw, _("Participant withdrawn; the link no longer works.")),
    "resend": (resend_link, _("A new link has been sent; the previous one no longer works.")),
}


def resolve_link(token: str) -> AccessLink:
    """The link behind a token, if it is in force; a forged or revoked one is refused."""
    if not token or len(token) > 100:
        raise DomainError(_("This link is not valid."), code="bad_link")
    link = (
        AccessLink.objects.select_related("participant__consultation", "participant__delegation")
        .filter(token_hash=_hash(token))
        .first()
    )
    if link is None:
        audit.record("registration.link_refused", data={"why": "unknown"})
        raise DomainError(_("This link is not valid."), code="bad_link")
    if link.revoked_at is not None or link.participant.status != Participant.Status.APPROVED:
        audit.record("registration.link_refused", target=link.participant, data={"why": "revoked"})
        raise DomainError(
            _("This link has been replaced or withdrawn. Use the most recent link you received."),
            code="revoked_link",
        )
    now = timezone.now()
    AccessLink.objects.filter(pk=link.pk).update(
        first_used_at=link.first_used_at or now, last_used_at=now
    )
    return link


# --- mail -------------------------------------------------------------------------------------


def _mail(participant: Participant, template: str, subject, extra: dict | None = None) -> None:
    mail_in_language(
        to=participant.email,
        language=participant.language,
        subject=subject,
        params={"consultation": participant.consultation.acronym},
        template=template,
        context={
            "participant": participant,
            "consultation": participant.consultation,
            **(extra or {}),
        },
    )


def _mail_user(user, consultation, template: str, subject, extra: dict) -> None:
    mail_in_language(
        to=user.email,
        language=user.language,
        subject=subject,
        params={"consultation": consultation.acronym},
        template=template,
        context={"consultation": consultation, "user": user, **extra},
    )
