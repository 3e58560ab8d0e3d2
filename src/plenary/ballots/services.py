"""Decision by correspondence under Rule 3.2 (R27): prepared by the secretariat as a draft,
launched when the presiding officer approves it (or sent back with a note), a frozen electorate of the Council Member States with the right to vote, one
current reply per state and proposal (changeable until the deadline, history kept), the
result by the ballot's majority rule. Transactional and audited; every refusal changes
nothing and is recorded."""

import hashlib
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaItem, Consultation
from plenary.consultations.rules import is_presiding_officer
from plenary.contributions import filecheck
from plenary.core import audit, timezones
from plenary.core.accounts import has_totp
from plenary.core.errors import DomainError
from plenary.core.mail import mail_in_language
from plenary.core.models import AuditEvent
from plenary.directory.models import State
from plenary.directory.queries import states_without_vote_on
from plenary.registration.models import FocalPoint

from . import tally
from .models import Ballot, Elector, Proposal, Reply
from .queries import deadline_offset

# `remind` is offered here with the other services (the pages and the API call it).
from .reminders import remind  # noqa: F401
from .tasks import send_reminders


def prepare(
    consultation: Consultation,
    *,
    title: str,
    question: str,
    proposals: list[tuple[AgendaItem | None, str]],
    deadline: datetime,
    actor,
    rule: str = tally.OF_ELECTORATE,
    documents: str = "",
) -> Ballot:
    """The secretariat prepares a ballot: a draft pending the presiding officer's approval,
    with no electorate yet (it is frozen when the ballot is approved and launched)."""
    _check_draft(consultation, proposals=proposals, deadline=deadline, actor=actor, rule=rule)
    with transaction.atomic():
        ballot = Ballot.objects.create(
            consultation=consultation,
            title=title.strip(),
            question=question.strip(),
            documents=documents.strip(),
            deadline=deadline,
            rule=rule,
            status=Ballot.Status.DRAFT,
            launched_by=actor,
        )
        _set_proposals(ballot, proposals)
        audit.record(
            "ballot.prepared",
            actor=actor,
            target=ballot,
            data={"deadline": deadline, "rule": rule, "proposals": len(proposals)},
        )
    return ballot


def edit_draft(
    ballot: Ballot,
    *,
    title: str,
    question: str,
    proposals: list[tuple[AgendaItem | None, str]],
    deadline: datetime,
    actor,
    rule: str = tally.OF_ELECTORATE,
    documents: str = "",
) -> Ballot:
    """The secretariat changes a draft (pending, or sent back: it is pending again). Once
    the presiding officer has approved it, nothing of it changes."""
    consultation = ballot.consultation
    _check_draft(consultation, proposals=proposals, deadline=deadline, actor=actor, rule=rule)
    with transaction.atomic():
        ballot = _locked_draft(ballot)
        ballot.title, ballot.question = title.strip(), question.strip()
        ballot.documents, ballot.deadline, ballot.rule = documents.strip(), deadline, rule
        ballot.status, ballot.returned_note = Ballot.Status.DRAFT, ""
        ballot.save()
        ballot.proposals.all().delete()
        _set_proposals(ballot, proposals)
        audit.record(
            "ballot.draft_changed",
            actor=actor,
            target=ballot,
            data={"deadline": deadline, "rule": rule, "proposals": len(proposals)},
        )
    return ballot


def withdraw_draft(ballot: Ballot, *, actor) -> Ballot:
    """The secretariat withdraws a draft before its approval; it is kept, withdrawn."""
    _may_manage(ballot.consultation, actor)
    with transaction.atomic():
        ballot = _locked_draft(ballot)
        ballot.status = Ballot.Status.WITHDRAWN
        ballot.save(update_fields=["status"])
        audit.record("ballot.withdrawn", actor=actor, target=ballot)
    return ballot


def shown_deadline(ballot: Ballot) -> str:
    """The deadline as a message names it: on the consultation's clock, with the zone's name
    and the offset of that day ("2020-11-20 12:00 Geneva time, UTC+1")."""
    consultation = ballot.consultation
    local = ballot.deadline.astimezone(timezones.zone(consultation.time_zone))
    return f"{local:%Y-%m-%d %H:%M} {consultation.time_zone_label}, {deadline_offset(ballot)}"


def approve(ballot: Ballot, *, actor, now: datetime | None = None) -> Ballot:
    """The presiding officer, signed in, approves a draft, which launches it. The electorate
    is frozen now: the Council Member States of the consultation's term, each with its right
    to vote on this day (Constitution No. 169). The approver is the one signed in."""
    _may_approve(ballot, actor, "approve")
    now = now or timezone.now()
    today = timezone.localdate(now)
    without_vote = states_without_vote_on(today)
    with transaction.atomic():
        ballot = _locked_for_approval(ballot)
        if ballot.deadline <= now:
            raise DomainError(
                _(
                    "The deadline (%(deadline)s) has passed: the secretariat sets a new "
                    "deadline before the ballot is approved."
                ),
                code="deadline_passed",
                params={"deadline": shown_deadline(ballot)},
            )
        ballot.status, ballot.approved_by, ballot.launched_at = Ballot.Status.OPEN, actor, now
        ballot.save(update_fields=["status", "approved_by", "launched_at"])
        _freeze_electorate(ballot, today, without_vote)
        audit.record(
            "ballot.launched",
            actor=actor,
            target=ballot,
            data={
                "approved_by": str(actor),
                "prepared_by": str(ballot.launched_by),
                "deadline": ballot.deadline,
                "rule": ballot.rule,
                "electorate": ballot.electors.filter(has_vote=True).count(),
            },
        )
        _schedule_reminders(ballot)
    return ballot


def send_back(ballot: Ballot, *, note: str, actor) -> Ballot:
    """The presiding officer sends a draft back to the secretariat with a note saying why;
    the secretariat changes it (it is pending again) or withdraws it."""
    _may_approve(ballot, actor, "send_back")
    note = (note or "").strip()
    if not note:
        raise DomainError(
            _("Note: say why the draft is sent back to the secretariat."), code="note_required"
        )
    if len(note) > NOTE_MAX:
        raise DomainError(
            _("Note: at most %(max)s characters."), code="too_long", params={"max": NOTE_MAX}
        )
    with transaction.atomic():
        ballot = _locked_for_approval(ballot)
        ballot.status, ballot.returned_note = Ballot.Status.RETURNED, note
        ballot.save(update_fields=["status", "returned_note"])
        audit.record("ballot.sent_back", actor=actor, target=ballot, data={"note": note})
    return ballot


NOTE_MAX = 2000


def launch(
    consultation: Consultation,
    *,
    title: str,
    question: str,
    proposals: list[tuple[AgendaItem | None, str]],
    deadline: datetime,
    actor,
    approved_by,
    rule: str = tally.OF_ELECTORATE,
    documents: str = "",
) -> Ballot:
    """Prepare and approve at once: the secretariat's draft (`actor`) approved by the
    presiding officer `approved_by`, in one transaction. For the scenarios and the tests;
    the pages and the API go through `prepare` then `approve`, each by its own person."""
    _may_manage(consultation, actor)
    if not is_presiding_officer(approved_by, consultation):
        raise DomainError(
            _("The presiding officer's approval is required."), code="approval_required"
        )
    with transaction.atomic():
        ballot = prepare(
            consultation,
            title=title,
            question=question,
            proposals=proposals,
            deadline=deadline,
            actor=actor,
            rule=rule,
            documents=documents,
        )
        return approve(ballot, actor=approved_by)


def _may_manage(consultation, actor) -> None:
    if not (actor and actor.has_perm("ballots.manage", consultation)):
        raise DomainError(
            _("Only the secretariat prepares a decision by correspondence."),
            code="not_secretariat",
        )


def _may_approve(ballot, actor, action: str) -> None:
    """Only the consultation's presiding officer approves or sends back; a refusal is
    audited (the secretariat may not approve its own draft). The predicate itself is asked,
    not `has_perm`, which grants everything to a superuser."""
    if not (actor and is_presiding_officer(actor, ballot.consultation)):
        audit.record(
            "ballot.approval_refused",
            actor=actor,
            target=ballot,
            data={"why": "not_presiding_officer", "action": action},
        )
        raise DomainError(
            _("Only the presiding officer approves a decision by correspondence."),
            code="not_presiding_officer",
        )


def _check_draft(consultation, *, proposals, deadline, actor, rule) -> None:
    """The refusals of a draft, in this order; nothing is written unless all pass."""
    _may_manage(consultation, actor)
    if deadline <= timezone.now():
        raise DomainError(_("Deadline: it must be in the future."), code="bad_deadline")
    if not proposals or not all(text.strip() for _item, text in proposals):
        raise DomainError(_("Proposals: give at least one proposal."), code="no_proposal")
    if rule not in tally.RULES:
        raise DomainError(_("Majority rule: choose one of the rules."), code="bad_rule")


def _set_proposals(ballot: Ballot, proposals) -> None:
    for position, (item, text) in enumerate(proposals, start=1):
        Proposal.objects.create(ballot=ballot, item=item, text=text.strip(), position=position)


def _locked_draft(ballot: Ballot) -> Ballot:
    """The ballot, locked, if it is still a draft the secretariat may change."""
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    if ballot.is_launched:
        raise DomainError(
            _("This ballot is already launched: it can no longer be changed or withdrawn."),
            code="already_launched",
        )
    if ballot.status == Ballot.Status.WITHDRAWN:
        raise DomainError(_("This draft has been withdrawn."), code="already_withdrawn")
    return ballot


def _locked_for_approval(ballot: Ballot) -> Ballot:
    """The ballot, locked, if it is pending the presiding officer's approval."""
    ballot = Ballot.objects.select_for_update().select_related("launched_by").get(pk=ballot.pk)
    if ballot.is_launched:
        raise DomainError(_("This ballot is already launched."), code="already_launched")
    if ballot.status == Ballot.Status.WITHDRAWN:
        raise DomainError(_("The secretariat has withdrawn this draft."), code="already_withdrawn")
    if ballot.status == Ballot.Status.RETURNED:
        raise DomainError(
            _("This draft was sent back: the secretariat changes it before it is approved."),
            code="sent_back",
        )
    return ballot


def _freeze_electorate(ballot: Ballot, today, without_vote: dict) -> None:
    """One elector for each Council Member State of the consultation's term, with its right
    to vote on `today`: not suspended (`without_vote`) and a member on that day."""
    for state in State.objects.filter(
        council_seats__term=ballot.consultation.council_term
    ).order_by("iso2"):
        suspension = without_vote.get(state.pk)
        Elector.objects.create(
            ballot=ballot,
            state=state,
            has_vote=suspension is None and state.is_member_on(today),
            exclusion=suspension.get_reason_display() if suspension else "",
        )


REMIND_BEFORE_HOURS = 48


def _schedule_reminders(ballot: Ballot) -> None:
    when = max(ballot.deadline - timedelta(hours=REMIND_BEFORE_HOURS), timezone.now())
    transaction.on_commit(lambda: send_reminders.using(run_after=when).enqueue(ballot.pk))


def appoint_voting_focal_point(ballot: Ballot, state: State, user, *, actor) -> Elector:
    if not actor.has_perm("ballots.manage", ballot.consultation):
        raise DomainError(
            _("Only the secretariat appoints voting focal points."), code="not_secretariat"
        )
    elector = Elector.objects.filter(ballot=ballot, state=state).first()
    if elector is None:
        raise DomainError(_("This state is not in the electorate."), code="not_elector")
    elector.focal_point = user
    elector.save(update_fields=["focal_point"])
    mail_in_language(
        to=user.email,
        language=user.language,
        subject=_("Decision by correspondence: %(title)s"),
        params={"title": ballot.title[:120]},
        template="ballots/email/invitation.txt",
        context={"ballot": ballot, "elector": elector, "offset": deadline_offset(ballot)},
    )
    audit.record(
        "ballot.focal_point_appointed",
        actor=actor,
        target=ballot,
        data={"state": state.iso2, "user": user.email},
    )
    return elector


def _digest(reply: Reply) -> str:
    content = f"{reply.proposal_id}|{reply.elector.state.iso2}|{reply.choice}|{reply.channel}|{reply.cast_at.isoformat()}|{reply.cast_by_id}"
    return hashlib.sha256(content.encode()).hexdigest()


def _refuse(ballot, actor, why: str, message) -> None:
    audit.record("ballot.reply_refused", actor=actor, target=ballot, data={"why": why})
    raise DomainError(message, code=why)


def cast(proposal: Proposal, choice: str, *, actor, now: datetime | None = None) -> Reply:
    """The state's voting focal point replies online, signed in with a second factor."""
    ballot = proposal.ballot
    elector = (
        Elector.objects.filter(ballot=ballot, focal_point=actor).select_related("state").first()
        if actor is not None and actor.is_authenticated
        else None
    )
    if elector is None:
        _refuse(ballot, actor, "not_focal_point", _("Only a state's voting focal point may reply."))
    if not has_totp(actor):
        _refuse(ballot, actor, "mfa_required", _("Sign in with your second factor to reply."))
    return _record(proposal, elector, choice, actor=actor, channel=Reply.Channel.ONLINE, now=now)


def enter_email_reply(
    proposal: Proposal, state: State, choice: str, *, evidence, actor, now=None
) -> Reply:
    """A reply received by e-mail on the template, entered by the secretariat with the
    message attached as evidence."""
    ballot = proposal.ballot
    if not actor.has_perm("ballots.manage", ballot.consultation):
        _refuse(
            ballot,
            actor,
            "not_secretariat",
            _("Only the secretariat enters replies received by e-mail."),
        )
    if evidence is None:
        raise DomainError(_("Attach the e-mail as evidence."), code="evidence_required")
    elector = Elector.objects.filter(ballot=ballot, state=state).select_related("state").first()
    if elector is None:
        _refuse(ballot, actor, "not_elector", _("This state is not in the electorate."))
    evidence = _checked_evidence(evidence)
    return _record(
        proposal,
        elector,
        choice,
        actor=actor,
        channel=Reply.Channel.EMAIL,
        now=now,
        evidence=evidence,
    )


def _checked_evidence(upload):
    """The e-mail a reply came in, as evidence: the message itself (.eml) or a PDF of it,
    at most the size of a contribution; a PDF goes through the contributions' isolated
    check. Anything else is refused before it is stored."""
    data = upload.read(filecheck.MAX_BYTES + 1)
    if len(data) > filecheck.MAX_BYTES:
        raise DomainError(
            _("The file is larger than %(mb)s MB."),
            code="too_large",
            params={"mb": filecheck.MAX_BYTES // (1024 * 1024)},
        )
    if data.startswith(b"%PDF-"):
        try:
            filecheck.check_upload(data)
        except filecheck.FileRefused as refused:
            raise DomainError(refused.message, code=refused.code) from None
        return ContentFile(data, name="evidence.pdf")
    headers = BytesParser(policy=policy.compat32).parsebytes(data, headersonly=True)
    if not headers.get("From"):
        raise DomainError(
            _("Attach the e-mail message itself (.eml) or a PDF of it."), code="bad_evidence"
        )
    return ContentFile(data, name="evidence.eml")


def _record(proposal, elector, choice, *, actor, channel, now=None, evidence=None) -> Reply:
    ballot = proposal.ballot
    now = now or timezone.now()
    if choice not in Reply.Choice.values:
        _refuse(ballot, actor, "bad_choice", _("Choose in favour, against or abstain."))
    if not elector.has_vote:
        _refuse(
            ballot,
            actor,
            "no_right_to_vote",
            _("This Member State does not have the right to vote."),
        )
    ballot.refresh_from_db(fields=["status"])
    if ballot.status != Ballot.Status.OPEN or now > ballot.deadline:
        _refuse(ballot, actor, "closed", _("The ballot is closed: no reply is accepted."))
    with transaction.atomic():
        elector = (
            Elector.objects.select_for_update().select_related("state", "ballot").get(pk=elector.pk)
        )
        current_ballot = elector.ballot
        if current_ballot.status != Ballot.Status.OPEN or now > current_ballot.deadline:
            raise DomainError(_("The ballot is closed: no reply is accepted."), code="closed")
        Reply.objects.filter(proposal=proposal, elector=elector, current=True).update(current=False)
        reply = Reply(
            proposal=proposal,
            elector=elector,
            choice=choice,
            channel=channel,
            cast_by=actor,
            cast_at=now,
        )
        if evidence is not None:
            reply.evidence.save(
                f"ballot{ballot.pk}-{elector.state.iso2}-{now:%Y%m%d%H%M%S}", evidence, save=False
            )
        reply.digest = _digest(reply)
        reply.save()
        audit.record(
            "ballot.reply_recorded",
            actor=actor,
            target=ballot,
            data={
                "proposal": proposal.pk,
                "state": elector.state.iso2,
                "choice": choice,
                "channel": channel,
                "digest": reply.digest,
            },
        )
    return reply


def results(ballot: Ballot) -> list[tuple[Proposal, tally.Result]]:
    electorate = ballot.electors.filter(has_vote=True).count()
    outcome = []
    for proposal in ballot.proposals.all():
        choices = list(
            Reply.objects.filter(
                proposal=proposal, current=True, elector__has_vote=True
            ).values_list("choice", flat=True)
        )
        outcome.append((proposal, tally.tally(choices, electorate, ballot.rule)))
    return outcome


def close(
    ballot: Ballot, *, actor, now: datetime | None = None
) -> list[tuple[Proposal, tally.Result]]:
    """After the deadline: the ballot closes and its result is announced by e-mail."""
    now = now or timezone.now()
    if not actor.has_perm("ballots.manage", ballot.consultation):
        raise DomainError(
            _("Only the secretariat closes a decision by correspondence."), code="not_secretariat"
        )
    if now <= ballot.deadline:
        raise DomainError(_("The ballot closes at its deadline."), code="before_deadline")
    with transaction.atomic():
        ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
        if ballot.status == Ballot.Status.CLOSED:
            raise DomainError(_("The ballot is already closed."), code="already_closed")
        if not ballot.is_launched:
            raise DomainError(
                _("This ballot was never launched: there is nothing to close."),
                code="not_launched",
            )
        ballot.status = Ballot.Status.CLOSED
        ballot.closed_at = now
        ballot.save(update_fields=["status", "closed_at"])
        outcome = results(ballot)
        _announce(ballot, outcome)
        audit.record(
            "ballot.closed",
            actor=actor,
            target=ballot,
            data={
                "results": {
                    str(p.pk): {
                        "in_favour": r.in_favour,
                        "against": r.against,
                        "abstain": r.abstain,
                        "adopted": r.adopted,
                    }
                    for p, r in outcome
                }
            },
        )
    return outcome


def _announce(ballot: Ballot, outcome) -> None:
    """The result goes by e-mail to every focal point of the consultation and every voting
    focal point, in their language."""
    users = {
        point.user
        for point in FocalPoint.objects.filter(
            delegation__consultation=ballot.consultation
        ).select_related("user")
    }
    users |= {
        e.focal_point
        for e in ballot.electors.filter(focal_point__isnull=False).select_related("focal_point")
    }
    for user in users:
        mail_in_language(
            to=user.email,
            language=user.language,
            subject=_("Result: %(title)s"),
            params={"title": ballot.title[:120]},
            template="ballots/email/result.txt",
            context={"ballot": ballot, "outcome": outcome},
        )


def tally_from_audit(ballot: Ballot) -> dict[int, tally.Result]:
    """The result recomputed from the audit log alone: the last reply recorded per state and
    proposal, counted by the ballot's rule. `plenary audit verify` compares it."""
    launched = AuditEvent.objects.filter(action="ballot.launched", target_id=str(ballot.pk)).first()
    electorate = launched.data["electorate"] if launched else 0
    last: dict[tuple[int, str], str] = {}
    for event in AuditEvent.objects.filter(
        action="ballot.reply_recorded", target_id=str(ballot.pk)
    ).order_by("sequence"):
        last[(event.data["proposal"], event.data["state"])] = event.data["choice"]
    by_proposal: dict[int, list[str]] = {p.pk: [] for p in ballot.proposals.all()}
    for (proposal, _state), choice in last.items():
        by_proposal.setdefault(proposal, []).append(choice)
    return {
        proposal: tally.tally(choices, electorate, ballot.rule)
        for proposal, choices in by_proposal.items()
    }
