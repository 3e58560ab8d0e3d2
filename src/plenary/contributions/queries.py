"""Reads of written contributions shared by their pages and the API."""

from .models import Contribution


def contributions_of(consultation):
    """The consultation's contributions, each with its item: one of another consultation is
    not found among them."""
    return Contribution.objects.select_related("item__group").filter(consultation=consultation)


def drafts_of(user, consultation):
    """The uploads `user` has still to confirm: another person's draft is not found."""
    return contributions_of(consultation).filter(created_by=user, status=Contribution.Status.DRAFT)
