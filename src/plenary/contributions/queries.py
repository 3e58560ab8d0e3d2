"""Reads of written contributions shared by their pages and the API."""

from .models import Contribution


def contributions_of(consultation):
    """The consultation's contributions, each with its item: one of another consultation is
    not found among them."""
    return Contribution.objects.select_related("item__group").filter(consultation=consultation)


def drafts_of(user, consultation):
    """The uploads `user` has still to confirm: another person's draft is not found."""
    return contributions_of(consultation).filter(created_by=user, status=Contribution.Status.DRAFT)


def uploads_of(user, consultation):
    """Whatever `user` created, submitted or not: the draft a person confirms is looked up
    here, so that a second submission of it is told "already submitted" by the service,
    which locks the row, rather than "not found"."""
    return contributions_of(consultation).filter(created_by=user)
