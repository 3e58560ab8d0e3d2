"""Reads of the items' outcomes shared by the console and the API."""

from .models import Objection, ProposedConclusion


def objections_on(item_id: int):
    """The objections and wishes to defer recorded on an item, withdrawn ones included: the
    console lists them all, and one is looked up among them (never on another item)."""
    return Objection.objects.filter(item_id=item_id)


def proposed_conclusion(item_id: int) -> ProposedConclusion | None:
    return ProposedConclusion.objects.filter(item_id=item_id).first()
