"""Reads of decisions by correspondence shared by their pages and the API."""

from django.db.models import Count

from plenary.core import timezones
from plenary.core.models import User
from plenary.outcomes.models import ItemOutcome

from .models import Ballot, Reply

LAUNCHED = (Ballot.Status.OPEN, Ballot.Status.CLOSED)
SHOWN_TO_THE_APPROVER = (*LAUNCHED, Ballot.Status.DRAFT)


def pending_approval(consultation):
    """The drafts waiting for the presiding officer, oldest first."""
    return ballots_of(consultation).filter(status=Ballot.Status.DRAFT).order_by("prepared_at", "pk")


def ballots_of(consultation):
    """The consultation's ballots: one of another consultation is not found among them."""
    return Ballot.objects.filter(consultation=consultation)


def items_for_correspondence(consultation):
    """The Group 1 items whose outcome sends them to a decision by correspondence: what a
    ballot may propose besides free text."""
    return consultation.groups.get(number=1).items.filter(
        outcome__state=ItemOutcome.State.CORRESPONDENCE
    )


def account_with_email(email: str) -> User | None:
    """The account of an e-mail address as the secretariat types it (accounts are stored
    with the address in lower case)."""
    return User.objects.filter(email=email.strip().lower()).first()


def replies_per_proposal(ballot) -> dict[int, int]:
    """How many states have a current reply on each proposal (the only figure shown while the
    ballot is open)."""
    rows = (
        Reply.objects.filter(proposal__ballot=ballot, current=True)
        .values("proposal_id")
        .annotate(n=Count("id"))
    )
    return {row["proposal_id"]: row["n"] for row in rows}


def deadline_offset(ballot) -> str:
    """The UTC offset of the consultation's zone at the deadline ("UTC+1" in a Geneva
    winter), named beside the deadline wherever it is written."""
    return timezones.utc_offset_label(ballot.deadline, ballot.consultation.time_zone)
