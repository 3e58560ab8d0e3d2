"""Decision by correspondence under Rule 3.2 (R27): launch with the presiding officer's
approval, a frozen electorate of the Council Member States with the right to vote, one
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
from plenary.core import audit
from plenary.core.accounts import has_totp
from plenary.core.errors import DomainError
from plenary.core.mail import mail_in_language
from plenary.core.models import AuditEvent
from plenary.directory.models import State
from plenary.directory.queries import states_without_vote_on
from plenary.registration.models import FocalPoint

from . import tally
from .models import Ballot, Elector, Proposal, Reply

# `remind` is offered here with the other services (the pages and the API call it).
from .reminders import remind  # noqa: F401
from .tasks import send_reminders


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
    """The secretariat launches, with the presiding officer's approval recorded. The
    electorate is frozen now: the Council Member States of the consultation's term, each
    with its right to vote on this day (Constitution No. 169)."""
    _check_launch(
        consultation,
        proposals=proposals,
        deadline=deadline,
        actor=actor,
        approved_by=approved_by,
        rule=rule,
    )
    today = timezone.localdate()
    without_vote = states_without_vote_on(today)
    with transaction.atomic():
        ballot = Ballot.objects.create(
            consultation=consultation,
            title=title.strip(),
            question=question.strip(),
            documents=documents,
            deadline=deadline,
            rule=rule,
            launched_by=actor,
            approved_by=approved_by,
        )
        for position, (item, text) in enumerate(proposals, start=1):
            Proposal.objects.create(ballot=ballot, item=item, text=text.strip(), position=position)
        _freeze_electorate(ballot, today, without_vote)
        audit.record(
            "ballot.launched",
            actor=actor,
            target=ballot,
            data={
                "approved_by": str(approved_by),
                "deadline": deadline,
                "rule": rule,
                "electorate": ballot.electors.filter(has_vote=True).count(),
            },
        )
        _schedule_reminders(ballot)
    return ballot


def _check_launch(consultation, *, proposals, deadline, actor, approved_by, rule) -> None:
    """The refusals of `launch`, in this order; nothing is written unless all pass."""
    if not actor.has_perm("ballots.manage", consultation):
        raise DomainError(
            _("Only the secretariat launches a decision by correspondence."), code="not_secretariat"
        )
    if not is_presiding_officer(approved_by, consultation):
        raise DomainError(
            _("The presiding officer's approval is required."), code="approval_required"
        )
    if deadline <= timezone.now():
        raise DomainError(_("The deadline must be in the future."), code="bad_deadline")
    if not proposals or not all(text.strip() for _item, text in proposals):
        raise DomainError(_("Give at least one proposal."), code="no_proposal")
    if rule not in tally.RULES:
        raise DomainError(_("Choose one of the majority rules."), code="bad_rule")


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
        context={"ballot": ballot, "elector": elector},
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
