"""Registration of participants, speakers and viewers, extra speakers and personal links
(R3, R4, R9–R14). Each function is transactional and audited; a refusal is a DomainError
that changes nothing (and is itself recorded when it concerns someone's rights)."""

import hashlib
import secrets
import string
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext, ngettext_lazy

from plenary.consultations.models import AgendaGroup, AgendaItem, Appointment, Consultation
from plenary.core import audit, timezones
from plenary.core.errors import DomainError
from plenary.core.mail import mail_in_language, queue_mail
from plenary.core.models import AuditEvent, OutboxMessage
from plenary.directory.models import State
from plenary.planning.models import ItemProgress, Meeting

from . import entitlement
from .models import (
    AccessLink,
    Capacity,
    Delegation,
    ExtraSpeakerRequest,
    FocalPoint,
    Participant,
    ParticipationGuide,
)

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
        # Delegations before capacity: the order a designation takes its locks in.
        changed += _sync_speaker_limits(consultation, limit)
        changed += _sync_capacity(consultation)
    return changed


def _state_category(state: State, council: set[int]) -> str:
    """A state's category in a consultation: Council Member State when it holds a seat in
    the consultation's term, otherwise an observer (the State of Palestine its own)."""
    if state.pk in council:
        return Delegation.Category.COUNCIL
    if state.status == State.Status.OBSERVER:
        return Delegation.Category.PALESTINE
    return Delegation.Category.OBSERVER


def _sync_speaker_limits(consultation: Consultation, limit: int) -> int:
    """Each delegation's quota as the settings give it. A delegation that named a speaker
    after the caller checked (setup.queries.blockers) is refused by the check constraint,
    and the change with it."""
    try:
        with transaction.atomic():
            return consultation.delegations.exclude(speaker_limit=limit).update(speaker_limit=limit)
    except IntegrityError:
        raise DomainError(
            _("A delegation has just named more speakers than %(most)s: the change is refused."),
            code="settings_blocked",
            params={"most": limit},
        ) from None


# Said when the speaker capacity would go below a meeting ahead (setup.queries.blockers).
ENTITLED_AT_A_MEETING = gettext_noop(
    "%(count)s people may already speak at one meeting ahead, with the extra speakers granted "
    "for it: the speaker capacity cannot go below."
)


def _sync_capacity(consultation: Consultation) -> int:
    """The platform's limits as the settings give them, the row locked while it changes;
    refused when what is used has meanwhile passed a new limit."""
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
    if capacity.speakers > wanted[0] or capacity.viewers > wanted[1]:
        raise DomainError(
            _(
                "%(speakers)s speakers and %(viewers)s viewers are already registered: the capacity cannot go below."
            ),
            code="settings_blocked",
            params={"speakers": capacity.speakers, "viewers": capacity.viewers},
        )
    fullest = max(speakers_by_meeting(consultation).values(), default=0)
    if fullest > wanted[0]:
        raise DomainError(
            _(ENTITLED_AT_A_MEETING), code="settings_blocked", params={"count": fullest}
        )
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
    # Without the default ordering: its outer joins cannot be locked (PostgreSQL).
    Delegation.objects.select_for_update().filter(pk=delegation.pk).order_by("pk").first()
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
        # A link e-mail still waiting in the outbox would carry a dead link: it never goes.
        OutboxMessage.objects.filter(
            key__in=[_mail_key(participant, "link"), _mail_key(participant, "guide")],
            status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.FAILED],
        ).update(status=OutboxMessage.Status.CANCELLED, last_error="participant withdrawn")
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
    whole consultation, within the delegation's quota and the platform's capacity (R11):
    in every meeting ahead, counting the extra speakers already granted for it (R12)."""
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
        # The UPDATE locks the capacity row, as a grant locks it: then every meeting ahead,
        # with the extra speakers granted for it, still has a place (R10, R12).
        _change_counts(participant.consultation, speakers=+1, viewers=-1)
        limit = Capacity.objects.values_list("speaker_limit", flat=True).get(
            consultation=participant.consultation
        )
        _within_capacity(participant.consultation, limit, named=[participant.pk])
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


def _refused(actor, target, action: str, refusal: DomainError) -> None:
    """A refusal concerning someone's right to speak, recorded outside the transaction that
    the refusal rolled back."""
    audit.record(
        "registration.refused",
        actor=actor,
        target=target,
        data={"action": action, "why": refusal.code},
    )


def _scope_over(consultation: Consultation, *, meeting=None, item=None, now=None) -> None:
    """An extra speaker for a meeting that has ended, or an item already concluded, is
    refused: a grant there would entitle nobody to anything."""
    now = now or timezone.now()
    if meeting is not None and meeting.ends_at <= now:
        raise DomainError(
            _("This meeting is already over: no extra speaker can be granted for it."),
            code="meeting_over",
        )
    if item is not None and ItemProgress.objects.filter(item=item, ended_at__isnull=False).exists():
        raise DomainError(
            _("This agenda item is already concluded: no extra speaker can be granted for it."),
            code="item_over",
        )


def _extra_speaker_limit(
    consultation: Consultation, delegation: Delegation, *, meeting, item, statuses
) -> None:
    """R12: at most `extra_speakers_per_request` extra speakers per delegation for one
    meeting or one item (0: none)."""
    # The setting as it stands now, not as the caller's copy of the consultation holds it.
    most = Consultation.objects.values_list("extra_speakers_per_request", flat=True).get(
        pk=consultation.pk
    )
    taken = ExtraSpeakerRequest.objects.filter(
        delegation=delegation, meeting=meeting, item=item, status__in=statuses
    ).count()
    if taken >= most:
        raise DomainError(
            ngettext_lazy(
                "Your delegation may have at most %(most)s extra speaker for one meeting or item.",
                "Your delegation may have at most %(most)s extra speakers for one meeting or item.",
                most,
            ),
            code="extra_speaker_limit",
            params={"most": most},
        )


def request_extra_speaker(
    participant: Participant, *, meeting=None, item=None, actor
) -> ExtraSpeakerRequest:
    """The focal point asks for one of its approved viewers to speak at one meeting or on one
    agenda item (R12). Checks, in order: the focal point (or the secretariat); one meeting
    or one item, of this consultation, not over; an approved viewer; not asked already; the
    delegation's number for that meeting or item (the setting). Every refusal is recorded."""
    _may_decide(actor, participant.delegation, "request_extra_speaker")
    try:
        return _request_extra_speaker(participant, meeting=meeting, item=item, actor=actor)
    except DomainError as refusal:
        _refused(actor, participant, "request_extra_speaker", refusal)
        raise


def _request_extra_speaker(participant, *, meeting, item, actor) -> ExtraSpeakerRequest:
    consultation = participant.consultation
    if (meeting is None) == (item is None):
        raise DomainError(_("Choose one meeting or one agenda item."), code="meeting_or_item")
    target = meeting or item
    if getattr(target, "consultation_id", None) not in (None, participant.consultation_id) or (
        item is not None and item.group.consultation_id != participant.consultation_id
    ):
        raise DomainError(
            _("Choose a meeting or item of this consultation."), code="wrong_consultation"
        )
    _scope_over(consultation, meeting=meeting, item=item)
    if (
        participant.status != Participant.Status.APPROVED
        or participant.role == Participant.Role.SPEAKER
    ):
        raise DomainError(
            _("The extra speaker must be an approved viewer of the delegation."), code="not_viewer"
        )
    with transaction.atomic():
        # Two requests of one delegation at the same moment count each other.
        Delegation.objects.select_for_update().filter(pk=participant.delegation_id).order_by(
            "pk"
        ).first()
        live = [ExtraSpeakerRequest.Status.REQUESTED, ExtraSpeakerRequest.Status.GRANTED]
        duplicate = ExtraSpeakerRequest.objects.filter(
            participant=participant, meeting=meeting, item=item, status__in=live
        ).exists()
        if duplicate:
            raise DomainError(_("This request has already been made."), code="duplicate_request")
        _extra_speaker_limit(
            consultation, participant.delegation, meeting=meeting, item=item, statuses=live
        )
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
    """The secretariat grants or refuses an extra speaker (R12). A grant is checked, in
    order: still undecided; its meeting or item not over; the delegation's number for that
    meeting or item (the setting); and the platform's speakers in every meeting the grant
    covers, counting the named speakers and the grants already given (`entitlement`). The
    capacity row is locked, as a designation locks it, so that neither passes the limit
    for the other. Every refusal is recorded; a refused grant changes nothing."""
    consultation = request.delegation.consultation
    if actor is None or not actor.has_perm("registration.manage", consultation):
        refusal = DomainError(
            _("Only the secretariat decides on extra speakers."), code="not_secretariat"
        )
        _refused(actor, request, "decide_extra_speaker", refusal)
        raise refusal
    try:
        return _decide_extra_speaker(request, consultation, grant=grant, actor=actor, note=note)
    except DomainError as refusal:
        _refused(
            actor, request, "grant_extra_speaker" if grant else "refuse_extra_speaker", refusal
        )
        raise


def _decide_extra_speaker(request, consultation, *, grant, actor, note) -> ExtraSpeakerRequest:
    with transaction.atomic():
        capacity = Capacity.objects.select_for_update().get(consultation=consultation)
        request = (
            ExtraSpeakerRequest.objects.select_for_update(of=("self",))
            .select_related("meeting", "item", "participant")
            .get(pk=request.pk)
        )
        if request.status != ExtraSpeakerRequest.Status.REQUESTED:
            raise DomainError(_("This request has already been decided."), code="already_decided")
        if grant:
            _scope_over(consultation, meeting=request.meeting, item=request.item)
            if request.participant.status != Participant.Status.APPROVED:
                raise DomainError(
                    _("The extra speaker must be an approved viewer of the delegation."),
                    code="not_viewer",
                )
            _extra_speaker_limit(
                consultation,
                request.delegation,
                meeting=request.meeting,
                item=request.item,
                statuses=[ExtraSpeakerRequest.Status.GRANTED],
            )
            added = entitlement.Grant(request.participant_id, request.meeting_id, request.item_id)
            _within_capacity(consultation, capacity.speaker_limit, grants=[added])
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


def _named_speakers(consultation: Consultation) -> set[int]:
    return set(
        Participant.objects.filter(
            consultation=consultation,
            status=Participant.Status.APPROVED,
            role=Participant.Role.SPEAKER,
        ).values_list("pk", flat=True)
    )


def _grants(consultation: Consultation, participant: Participant | None = None):
    rows = ExtraSpeakerRequest.objects.filter(
        delegation__consultation=consultation,
        status=ExtraSpeakerRequest.Status.GRANTED,
        participant__status=Participant.Status.APPROVED,
    )
    if participant is not None:
        rows = rows.filter(participant=participant)
    return [
        entitlement.Grant(*row)
        for row in rows.values_list("participant_id", "meeting_id", "item_id")
    ]


def meetings_ahead(consultation: Consultation, now=None) -> dict[int, frozenset[int]]:
    """The meetings not yet over, each with the items it may still take up: for a daily
    meeting every Group 1 and 2 item not concluded (the plan can move an item to any day),
    for the rehearsal none."""
    now = now or timezone.now()
    open_items = frozenset(
        AgendaItem.objects.filter(group__consultation=consultation)
        .exclude(group__kind=AgendaGroup.Kind.FOR_INFORMATION)
        .exclude(progress__ended_at__isnull=False)
        .values_list("pk", flat=True)
    )
    return {
        pk: open_items if kind == Meeting.Kind.MEETING else frozenset()
        for pk, kind in Meeting.objects.filter(consultation=consultation, ends_at__gt=now)
        .order_by("starts_at")
        .values_list("pk", "kind")
    }


def speakers_by_meeting(
    consultation: Consultation, *, named=(), grants=(), now=None
) -> dict[int, int]:
    """How many people are entitled to speak at each meeting not yet over (R10–R12), with
    `named` participants and `grants` added to those in force."""
    return entitlement.speakers_per_meeting(
        _named_speakers(consultation) | set(named),
        [*_grants(consultation), *grants],
        meetings_ahead(consultation, now),
    )


def _within_capacity(consultation: Consultation, limit: int, *, named=(), grants=()) -> None:
    """Refused when a meeting would hold more speakers than the platform's limit. The caller
    holds the lock of the consultation's capacity row."""
    counts = speakers_by_meeting(consultation, named=named, grants=grants)
    over = entitlement.meetings_over_capacity(counts, limit)
    if over:
        meeting = Meeting.objects.get(pk=over[0])
        raise DomainError(
            _(
                "%(meeting)s would have more speakers than the platform holds (capacity: "
                "%(limit)s speakers per meeting)."
            ),
            code="speaker_capacity",
            params={"meeting": _meeting_name(meeting), "limit": limit},
        )


def _meeting_name(meeting: Meeting) -> str:
    return f"{meeting.get_kind_display()} {meeting.number}"


def may_speak(participant: Participant, *, meeting=None, items=()) -> bool:
    """Whether the participant may speak at `meeting` on one of `items` (the item under
    discussion, or those the meeting takes up): a named speaker anywhere (R11), an extra
    speaker only where their grant says (R12)."""
    if participant.is_speaker:
        return True
    if participant.status != Participant.Status.APPROVED:
        return False
    return entitlement.entitled_to_speak(
        participant.pk,
        designated=(),
        grants=_grants(participant.consultation, participant),
        meeting=meeting.pk if meeting is not None else None,
        items=frozenset(items),
    )


def extra_speaker_grants(participant: Participant) -> list[ExtraSpeakerRequest]:
    """The participant's extra-speaker grants in force (R12), with their meeting or item."""
    if participant.status != Participant.Status.APPROVED:
        return []
    return list(
        ExtraSpeakerRequest.objects.filter(
            participant=participant, status=ExtraSpeakerRequest.Status.GRANTED
        )
        .select_related("meeting", "item__group")
        .order_by("pk")
    )


def holds_extra_grant(participant: Participant, *, meeting=None, item=None) -> bool:
    """Whether the participant holds a grant for exactly this meeting or this item."""
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
    """Issue a link and send it, in the participation guide, in the participant's language (R13).

    One e-mail per change of role: the e-mail waits PLENARY_LINK_MAIL_DELAY_SECONDS in the
    outbox, and a newer link e-mail to the same participant cancels it while it is unsent
    (the outbox `key`, core.mail.queue_mail). Approving and naming a speaker a few seconds
    later thus sends one e-mail, with the speaker's link, instead of a dead viewer link
    followed by the good one. Past the delay each change has its e-mail: the role changed."""
    token = issue_link(participant)
    _guide_mail(
        participant, token=token, delay=timedelta(seconds=settings.PLENARY_LINK_MAIL_DELAY_SECONDS)
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
        reply_to=[participant.consultation.registration_email],
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


# --- participation guide (R13) ------------------------------------------------------------------
#
# The guide is the e-mail that carries a personal link: `send_link` sends it on every change
# of role, `send_guide_to_all` to everyone approved, `send_guide_again` to one person. Its text
# is the secretariat's (ParticipationGuide, per language) or, with none saved, the default of
# the language (registration/email/guide_default.txt, translated by the catalogs); its
# {placeholders} are filled for each reader.

GUIDE_PLACEHOLDERS = {
    "name": _("the participant's name"),
    "delegation": _("their delegation"),
    "role": _("their role: speaker or viewer"),
    "link": _("their personal link"),
    "consultation": _("the consultation's title"),
    "acronym": _("the consultation's acronym"),
    "registration_period": _("when registration opens and closes"),
    "rehearsal": _("the day and hours of the rehearsal"),
    "first_day": _("the first day of meetings"),
    "last_day": _("the last day of meetings"),
    "meeting_days": _("the days of the meetings"),
    "daily_window": _("the daily hours of the meetings, in the consultation's zone and in UTC"),
    "participant_page": _("the address of the participant's own page"),
    "rehearsal_check": _("the address of the browser, microphone and camera check"),
    "help": _("the address of the help desk"),
    "registration_mailbox": _("the registration mailbox"),
    "remote_mailbox": _("the remote participation mailbox"),
}
GUIDE_SUBJECT_MAX = 300
GUIDE_BODY_MAX = 20_000


def _language_name(code: str) -> str:
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _guide_parts(text: str, language: str, field) -> list[tuple[str, str | None]]:
    """The text as (literal, placeholder) pairs. An unmatched brace, or a placeholder that
    is unknown or carries a format ({name!r}, {name:>9}), is refused naming it, the field
    and the language: only the names of GUIDE_PLACEHOLDERS are ever looked up."""
    where = {"field": field, "language": _language_name(language)}
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise DomainError(
            _(
                "The %(field)s of the guide in %(language)s has an unmatched brace: write a "
                "placeholder as {name}, and a brace itself as {{ or }}."
            ),
            code="unbalanced_brace",
            params=where,
        ) from None
    parts = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (name not in GUIDE_PLACEHOLDERS or spec or conversion):
            written = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise DomainError(
                _(
                    "The %(field)s of the guide in %(language)s uses an unknown placeholder "
                    "%(placeholder)s. The placeholders are: %(known)s."
                ),
                code="bad_placeholder",
                params={**where, "placeholder": written, "known": _known_placeholders()},
            )
        parts.append((literal, name))
    return parts


def _known_placeholders() -> str:
    return ", ".join("{" + name + "}" for name in GUIDE_PLACEHOLDERS)


def fill_guide(text: str, values: dict[str, str], language: str, field="text") -> str:
    return "".join(
        literal + (values[name] if name else "")
        for literal, name in _guide_parts(text, language, field)
    )


def default_guide(language: str) -> tuple[str, str]:
    """The default subject and text of a language; the English one if a translation broke a
    placeholder (the catalogs are not checked like the secretariat's text is)."""
    with translation.override(language):
        subject = str(_("{acronym}: your personal link and the participation guide"))
        body = render_to_string("registration/email/guide_default.txt").strip() + "\n"
    try:
        _guide_parts(subject, language, "subject")
        _guide_parts(body, language, "text")
    except DomainError:
        if language == "en":
            raise
        return default_guide("en")
    return subject, body


def guide_text(
    consultation: Consultation, language: str
) -> tuple[str, str, ParticipationGuide | None]:
    """The subject and text sent in a language: the saved guide, or the default."""
    saved = ParticipationGuide.objects.filter(consultation=consultation, language=language).first()
    if saved is not None:
        return saved.subject, saved.body, saved
    return (*default_guide(language), None)


def _window(start, end, consultation: Consultation, language: str) -> str:
    """ "12:00–15:00 Geneva time (11:00–14:00 UTC)": hours in the consultation's zone and UTC."""
    zone = consultation.time_zone
    local = f"{timezones.format_clock(start, zone, language)}–{timezones.format_clock(end, zone, language)}"
    utc = f"{timezones.format_clock(start, 'UTC', language)}–{timezones.format_clock(end, 'UTC', language)}"
    return f"{local} {consultation.time_zone_label} ({utc} UTC)"


def _page(name: str, consultation: Consultation, language: str) -> str:
    with translation.override(language):
        return settings.PLENARY_BASE_URL + reverse(name, kwargs={"slug": consultation.slug})


def consultation_guide_values(consultation: Consultation, language: str) -> dict[str, str]:
    """The placeholders that are the same for every reader in a language: dates and hours
    (in the consultation's zone with UTC beside), addresses and mailboxes."""
    with translation.override(language):
        days = consultation.meeting_days()
        first, last = days[0], days[-1]
        rehearsal = consultation.rehearsal_window
        return {
            "consultation": str(consultation.title),
            "acronym": consultation.acronym,
            "registration_period": str(_("%(opens)s to %(closes)s"))
            % {
                "opens": timezones.format_day(consultation.registration_opens_on, language),
                "closes": timezones.format_moment(
                    consultation.opens_at, consultation.time_zone, language
                )
                + f" {consultation.time_zone_label}",
            },
            "rehearsal": (
                f"{timezones.format_day(consultation.rehearsal_on, language)}, "
                + _window(*rehearsal, consultation, language)
                if rehearsal
                else str(_("to be announced"))
            ),
            "first_day": timezones.format_day(first, language),
            "last_day": timezones.format_day(last, language),
            "meeting_days": (
                timezones.format_day_range(first, last, language)
                if last != first
                else timezones.format_day(first, language)
            ),
            "daily_window": _window(*consultation.window_on(first), consultation, language),
            "participant_page": _page("participant_home", consultation, language),
            "rehearsal_check": _page("rehearsal_check", consultation, language),
            "help": _page("support_new", consultation, language),
            "registration_mailbox": consultation.registration_email,
            "remote_mailbox": consultation.remote_participation_email,
        }


def _held_link(link: AccessLink, language: str) -> str:
    """What the guide says in place of a link the reader already holds: its token is kept
    nowhere (only its hash), so it cannot be written again."""
    with translation.override(language):
        return str(
            _(
                "the personal link sent to you on %(day)s (it still works; if you cannot find "
                "it, ask your delegation's focal point or the help desk for a new one)"
            )
        ) % {"day": timezones.format_day(link.created_at.date(), language)}


def guide_values(
    participant: Participant, *, link: str, common: dict | None = None
) -> dict[str, str]:
    """Every placeholder for one reader, in their language; `link` is their address or what
    stands for it."""
    language = participant.language
    values = dict(common or consultation_guide_values(participant.consultation, language))
    with translation.override(language):
        values.update(
            name=participant.name,
            delegation=str(participant.delegation),
            role=str(participant.get_role_display()),
            link=link,
        )
    return values


def sample_guide_values(consultation: Consultation, language: str) -> dict[str, str]:
    """Every placeholder as it reads for a sample participant, a viewer, in a language."""
    with translation.override(language):
        return {
            **consultation_guide_values(consultation, language),
            "name": str(_("Sample Participant")),
            "delegation": str(_("Your delegation")),
            "role": str(Participant.Role.VIEWER.label),
            "link": link_url("sample-personal-link"),
        }


def preview_guide(
    consultation: Consultation, language: str, subject: str, body: str
) -> tuple[str, str]:
    """The guide as a sample participant (a viewer) would read it; a broken text is refused."""
    values = sample_guide_values(consultation, language)
    return (
        fill_guide(subject, values, language, _("subject")),
        fill_guide(body, values, language, _("text")),
    )


def _may_manage_guide(actor, consultation: Consultation) -> None:
    if actor is None or not actor.has_perm("registration.manage", consultation):
        raise DomainError(
            _("Only the secretariat manages the participation guide."), code="not_secretariat"
        )


def _guide_language(consultation: Consultation, language: str) -> None:
    if language not in (consultation.languages or []):
        raise DomainError(
            _("%(language)s is not a language of this consultation."),
            code="unknown_language",
            params={"language": language},
        )


def save_guide(
    consultation: Consultation, language: str, *, subject: str, body: str, actor
) -> ParticipationGuide:
    """The secretariat's guide in one language. Empty, too long or with a broken placeholder
    it is refused, naming the field and the language, and nothing is saved."""
    _may_manage_guide(actor, consultation)
    _guide_language(consultation, language)
    subject = " ".join(subject.split())  # one line: a header cannot hold a line break
    body = body.replace("\r\n", "\n").strip() + "\n"
    where = {"language": _language_name(language)}
    for field, text, most in (
        (_("subject"), subject, GUIDE_SUBJECT_MAX),
        (_("text"), body, GUIDE_BODY_MAX),
    ):
        if not text.strip():
            raise DomainError(
                _("The %(field)s of the guide in %(language)s is empty."),
                code="guide_empty",
                params={**where, "field": field},
            )
        if len(text) > most:
            raise DomainError(
                _("The %(field)s of the guide in %(language)s is longer than %(most)s characters."),
                code="guide_too_long",
                params={**where, "field": field, "most": most},
            )
        _guide_parts(text, language, field)
    with transaction.atomic():
        guide, _created = ParticipationGuide.objects.update_or_create(
            consultation=consultation,
            language=language,
            defaults={"subject": subject, "body": body, "updated_by": actor},
        )
        audit.record(
            "registration.guide_changed",
            actor=actor,
            target=consultation,
            data={"language": language, "subject": subject},
        )
    return guide


def reset_guide(consultation: Consultation, language: str, *, actor) -> None:
    """Back to the default text of the language (which follows the catalogs)."""
    _may_manage_guide(actor, consultation)
    _guide_language(consultation, language)
    with transaction.atomic():
        ParticipationGuide.objects.filter(consultation=consultation, language=language).delete()
        audit.record(
            "registration.guide_reset",
            actor=actor,
            target=consultation,
            data={"language": language},
        )


def _mail_key(participant: Participant, kind: str) -> str:
    """The outbox key of a participant's guide: "link" for the e-mails carrying a new link (a
    newer one cancels an unsent older one), "guide" for those naming a link already held."""
    return f"registration:{participant.consultation_id}:{participant.pk}:{kind}"


def _guide_mail(
    participant: Participant,
    *,
    token: str | None = None,
    held: AccessLink | None = None,
    delay: timedelta | None = None,
    common: dict | None = None,
    text: tuple[str, str] | None = None,
) -> OutboxMessage:
    """The guide to one participant, in their language, with their new link (`token`) or
    naming the one they hold; it answers to the registration mailbox. `common` and `text`
    are the language's values and text, when the caller has them already."""
    consultation, language = participant.consultation, participant.language
    subject, body = text or guide_text(consultation, language)[:2]
    link = link_url(token) if token else _held_link(held, language)
    values = guide_values(participant, link=link, common=common)
    return queue_mail(
        to=[participant.email],
        subject=fill_guide(subject, values, language, "subject")[:GUIDE_SUBJECT_MAX],
        body=fill_guide(body, values, language),
        language=language,
        reply_to=[consultation.registration_email],
        key=_mail_key(participant, "link" if token else "guide"),
        delay=delay,
    )


def _working_links(consultation: Consultation, participant=None) -> dict[int, AccessLink]:
    """The links in force known to have reached their holder, by participant: used already,
    or carried by an e-mail that the SMTP server took. A link that never arrived (its e-mail
    failed, waits or was never written) works for nobody and may be replaced freely."""
    links = AccessLink.objects.filter(
        participant__consultation=consultation, revoked_at__isnull=True
    )
    mails = OutboxMessage.objects.filter(
        key__startswith=f"registration:{consultation.pk}:", key__endswith=":link"
    ).exclude(status=OutboxMessage.Status.CANCELLED)
    if participant is not None:
        links = links.filter(participant=participant)
        mails = mails.filter(key=_mail_key(participant, "link"))
    last_mail = {}
    for key, status, created in mails.order_by("pk").values_list("key", "status", "created_at"):
        last_mail[int(key.split(":")[2])] = (status, created)
    working = {}
    for link in links:
        status, created = last_mail.get(link.participant_id, (None, None))
        delivered = status == OutboxMessage.Status.SENT and created >= link.created_at
        if link.first_used_at is not None or delivered:
            working[link.participant_id] = link
    return working


def send_guide_to_all(consultation: Consultation, *, actor) -> dict[str, int]:
    """The guide to every approved participant, each in their language: one outbox message
    per person, all written in one transaction (R13).

    Nobody's working link is killed for nothing: a participant whose link in force has
    reached them (used, or delivered, see `_working_links`) keeps it, and the guide names it
    instead of repeating it (its token is kept nowhere). Anyone else gets a fresh link in
    the guide, which also cancels an unsent link e-mail of theirs. Returns the counts."""
    _may_manage_guide(actor, consultation)
    with transaction.atomic():
        people = list(
            Participant.objects.select_for_update(of=("self",))
            .filter(consultation=consultation, status=Participant.Status.APPROVED)
            .select_related("consultation", "delegation__state", "delegation__sector_member")
            .order_by("pk")
        )
        working = _working_links(consultation)
        languages: dict[str, dict] = {}
        new_links = []
        for person in people:
            if person.language not in languages:
                languages[person.language] = {
                    "common": consultation_guide_values(consultation, person.language),
                    "text": guide_text(consultation, person.language)[:2],
                }
            held = working.get(person.pk)
            if held is None:
                new_links.append(person.pk)
                _guide_mail(person, token=issue_link(person), **languages[person.language])
            else:
                _guide_mail(person, held=held, **languages[person.language])
        counts = {
            "participants": len(people),
            "new_links": len(new_links),
            "kept_links": len(people) - len(new_links),
        }
        audit.record(
            "registration.guide_sent",
            actor=actor,
            target=consultation,
            data={**counts, "new_link_participants": new_links},
        )
    return counts


def send_guide_again(participant: Participant, *, actor, new_link: bool = False) -> OutboxMessage:
    """The guide once more to one approved participant: with the link they hold if it has
    reached them (unless `new_link`), otherwise with a fresh one."""
    consultation = participant.consultation
    _may_manage_guide(actor, consultation)
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.status != Participant.Status.APPROVED:
            raise DomainError(
                _("Only an approved participant receives a link."), code="not_approved"
            )
        held = None if new_link else _working_links(consultation, participant).get(participant.pk)
        if held is None:
            message = _guide_mail(participant, token=issue_link(participant))
        else:
            message = _guide_mail(participant, held=held)
        audit.record(
            "registration.guide_sent_again",
            actor=actor,
            target=participant,
            data={"new_link": held is None},
        )
    return message


NOT_SENT = "none"  # a delivery report's state for a participant no guide was written for


@dataclass
class GuideDelivery:
    """One approved participant and the latest guide e-mail written for them."""

    participant: Participant
    message: OutboxMessage | None

    @property
    def state(self) -> str:
        return self.message.status if self.message else NOT_SENT

    @property
    def with_new_link(self) -> bool:
        return bool(self.message and self.message.key.endswith(":link"))


def guide_deliveries(consultation: Consultation, *, state: str = "") -> tuple[dict, list]:
    """The delivery report, from the outbox: per approved participant, the latest e-mail
    carrying their guide (sent, queued, failed and retried with its attempts and last
    error, or none); the counts of each state; only one state's rows if `state` is given."""
    latest = {}
    messages = (
        OutboxMessage.objects.filter(key__startswith=f"registration:{consultation.pk}:")
        .exclude(status=OutboxMessage.Status.CANCELLED)
        .defer("body")
        .order_by("pk")
    )
    for message in messages:
        latest[int(message.key.split(":")[2])] = message
    people = (
        Participant.objects.filter(consultation=consultation, status=Participant.Status.APPROVED)
        .select_related("delegation__state", "delegation__sector_member")
        .order_by("name", "pk")
    )
    rows = [GuideDelivery(person, latest.get(person.pk)) for person in people]
    states = [
        OutboxMessage.Status.SENT,
        OutboxMessage.Status.QUEUED,
        OutboxMessage.Status.FAILED,
        NOT_SENT,
    ]
    counts = {str(s): sum(1 for row in rows if row.state == s) for s in states}
    counts["total"] = len(rows)
    if state:
        rows = [row for row in rows if row.state == state]
    return counts, rows
