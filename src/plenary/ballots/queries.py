"""Reads of decisions by correspondence shared by their pages and the API."""

from plenary.core.models import User
from plenary.outcomes.models import ItemOutcome

from .models import Ballot


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
