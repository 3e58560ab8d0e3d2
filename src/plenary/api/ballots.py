"""Decision by correspondence (R27): the secretariat's draft, the presiding officer's
approval (which launches it) or sending back, replies online and by e-mail, voting focal
points, reminders, closing — ballots.services, the rules of the ballot pages."""

import datetime
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from plenary.ballots import queries, services
from plenary.ballots.models import Ballot, Proposal, Reply
from plenary.core.errors import DomainError
from plenary.directory.models import State

from .base import AUTH, Id, actor, consultation_for, get_or_404, responses

router = Router(tags=["ballots"])

Rule = Literal[tuple(Ballot.Rule.values)]
Choice = Literal[tuple(Reply.Choice.values)]


class DraftIn(Schema):
    title: str = Field(min_length=1, max_length=300)
    question: str = Field(min_length=1, max_length=20000)
    documents: str = Field("", max_length=500)
    items: list[Id] = Field([], description="Group 1 items proposed for decision by correspondence")
    proposals: list[str] = Field([], max_length=50)
    deadline: datetime.datetime
    rule: Rule
    approved_by: str | None = Field(
        None,
        description="Not accepted: the presiding officer approves the draft themselves "
        "(POST …/ballots/{ballot_id}/approve).",
        max_length=254,
    )


class SendBackIn(Schema):
    note: str = Field(min_length=1, max_length=2000)


class BallotOut(Schema):
    id: int
    title: str
    question: str
    deadline: datetime.datetime
    rule: str
    status: str
    proposals: list[dict]
    approved_by: str | None
    returned_note: str

    @staticmethod
    def resolve_approved_by(ballot):
        return ballot.approved_by.email if ballot.approved_by_id else None

    @staticmethod
    def resolve_proposals(ballot):
        return [{"id": p.pk, "text": p.text} for p in ballot.proposals.all()]


class ReplyIn(Schema):
    choice: Choice


class ReplyOut(Schema):
    id: int
    proposal: Id
    state: str
    choice: str
    channel: str
    digest: str
    cast_at: datetime.datetime

    @staticmethod
    def resolve_proposal(reply):
        return reply.proposal_id

    @staticmethod
    def resolve_state(reply):
        return reply.elector.state.iso2


class FocalPointIn(Schema):
    state: str = Field(max_length=2)
    email: str = Field(max_length=254)


class ElectorOut(Schema):
    state: str
    has_vote: bool
    focal_point: str | None

    @staticmethod
    def resolve_state(elector):
        return elector.state.iso2

    @staticmethod
    def resolve_focal_point(elector):
        return elector.focal_point.email if elector.focal_point_id else None


class ResultOut(Schema):
    proposal: Id
    adopted: bool
    in_favour: int
    against: int
    abstain: int
    not_replied: int


class CountOut(Schema):
    count: int


def _ballot(request, slug, ballot_id, permission=None):
    consultation = consultation_for(request, slug, permission)
    return get_or_404(queries.ballots_of(consultation), pk=ballot_id)


def _state(iso2: str) -> State:
    state = State.objects.filter(iso2=iso2.upper()).first()
    if state is None:
        raise DomainError(_("Unknown state: %(code)s"), code="unknown_state", params={"code": iso2})
    return state


def _draft(consultation, body: DraftIn) -> dict:
    """The draft as the services take it: the chosen items (their proposed conclusion)
    then the free proposals; the deadline in UTC unless it names its offset."""
    if body.approved_by is not None:
        raise DomainError(
            _(
                "approved_by: not accepted; the presiding officer approves the draft "
                "themselves. Leave this field out."
            ),
            code="approval_required",
        )
    candidates = queries.items_for_correspondence(consultation)
    items = list(candidates.filter(pk__in=body.items).select_related("conclusion"))
    if len(items) != len(set(body.items)):
        raise DomainError(
            _("Choose items proposed for decision by correspondence."), code="bad_item"
        )
    deadline = body.deadline
    if timezone.is_naive(deadline):
        deadline = deadline.replace(tzinfo=datetime.UTC)
    proposals = [
        (item, item.conclusion.text if hasattr(item, "conclusion") else item.subject)
        for item in items
    ] + [(None, text.strip()) for text in body.proposals if text.strip()]
    return {
        "title": body.title,
        "question": body.question,
        "documents": body.documents,
        "proposals": proposals,
        "deadline": deadline,
        "rule": body.rule,
    }


@router.post("/{slug}/ballots", response=responses(BallotOut, 201), auth=AUTH)
def prepare(request, slug: str, body: DraftIn):
    """The secretariat prepares a ballot: a draft pending the presiding officer's approval."""
    consultation = consultation_for(request, slug, "ballots.manage")
    draft = _draft(consultation, body)
    return Status(201, services.prepare(consultation, **draft, actor=actor(request)))


@router.put("/{slug}/ballots/{ballot_id}", response=responses(BallotOut), auth=AUTH)
def edit_draft(request, slug: str, ballot_id: Id, body: DraftIn):
    """The secretariat changes a draft (pending approval again); refused once launched."""
    ballot = _ballot(request, slug, ballot_id, "ballots.manage")
    draft = _draft(ballot.consultation, body)
    return services.edit_draft(ballot, **draft, actor=actor(request))


@router.post("/{slug}/ballots/{ballot_id}/withdraw", response=responses(BallotOut), auth=AUTH)
def withdraw_draft(request, slug: str, ballot_id: Id):
    ballot = _ballot(request, slug, ballot_id, "ballots.manage")
    return services.withdraw_draft(ballot, actor=actor(request))


@router.post("/{slug}/ballots/{ballot_id}/approve", response=responses(BallotOut), auth=AUTH)
def approve(request, slug: str, ballot_id: Id):
    """The presiding officer approves a draft, which launches it (electorate frozen now)."""
    ballot = _ballot(request, slug, ballot_id, "ballots.approve")
    return services.approve(ballot, actor=actor(request))


@router.post("/{slug}/ballots/{ballot_id}/send-back", response=responses(BallotOut), auth=AUTH)
def send_back(request, slug: str, ballot_id: Id, body: SendBackIn):
    """The presiding officer sends a draft back to the secretariat with a note."""
    ballot = _ballot(request, slug, ballot_id, "ballots.approve")
    return services.send_back(ballot, note=body.note, actor=actor(request))


@router.post(
    "/{slug}/ballots/{ballot_id}/proposals/{proposal_id}/reply",
    response=responses(ReplyOut),
    auth=AUTH,
)
def reply(request, slug: str, ballot_id: Id, proposal_id: Id, body: ReplyIn):
    """The state's voting focal point replies (with a second factor on the account)."""
    ballot = _ballot(request, slug, ballot_id)
    proposal = get_or_404(Proposal.objects, pk=proposal_id, ballot=ballot)
    return services.cast(proposal, body.choice, actor=actor(request))


@router.post(
    "/{slug}/ballots/{ballot_id}/voting-focal-points", response=responses(ElectorOut), auth=AUTH
)
def appoint_voting_focal_point(request, slug: str, ballot_id: Id, body: FocalPointIn):
    ballot = _ballot(request, slug, ballot_id, "ballots.manage")
    user = queries.account_with_email(body.email)
    if user is None:
        raise DomainError(_("No account has this e-mail address."), code="no_account")
    return services.appoint_voting_focal_point(
        ballot, _state(body.state), user, actor=actor(request)
    )


@router.post("/{slug}/ballots/{ballot_id}/email-replies", response=responses(ReplyOut), auth=AUTH)
def enter_email_reply(
    request,
    slug: str,
    ballot_id: Id,
    proposal: Form[Id],
    state: Form[str],
    choice: Form[Choice],
    evidence: File[UploadedFile],
):
    """A reply received by e-mail, entered by the secretariat with the message as evidence."""
    ballot = _ballot(request, slug, ballot_id, "ballots.manage")
    target = get_or_404(Proposal.objects, pk=proposal, ballot=ballot)
    return services.enter_email_reply(
        target, _state(state), choice, evidence=evidence, actor=actor(request)
    )


@router.post("/{slug}/ballots/{ballot_id}/close", response=responses(list[ResultOut]), auth=AUTH)
def close(request, slug: str, ballot_id: Id):
    ballot = _ballot(request, slug, ballot_id, "ballots.manage")
    return [
        {
            "proposal": proposal.pk,
            "adopted": result.adopted,
            "in_favour": result.in_favour,
            "against": result.against,
            "abstain": result.abstain,
            "not_replied": result.not_replied,
        }
        for proposal, result in services.close(ballot, actor=actor(request))
    ]


@router.post("/{slug}/ballots/{ballot_id}/remind", response=responses(CountOut), auth=AUTH)
def remind(request, slug: str, ballot_id: Id):
    """Remind now the voting focal points of states that have not replied to every proposal
    (the same reminder the worker sends 48 hours before the deadline)."""
    ballot = _ballot(request, slug, ballot_id, "ballots.manage")
    return {"count": services.remind(ballot.pk)}
