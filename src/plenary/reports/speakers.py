"""The rolling list of speakers of one agenda item, as it is circulated to the delegations:
those who spoke, in order, with the time each used; who has the floor; those waiting, in
the order of the rules (R21) while the item is on the floor. Names in the reader's
language. The page follows the floor's version (floor.live): it is re-read when the
version changes, and `version` lets a page ask cheaply whether it did."""

from django.utils.translation import override

from plenary.consultations.models import AgendaItem, Consultation
from plenary.floor.models import Floor, FloorRequest
from plenary.floor.queries import waiting_queue
from plenary.floor.snapshot import version
from plenary.outcomes.models import ItemOutcome

from . import report
from .journal import durations


def _row(speech: FloorRequest, n: int, seconds: float | None) -> dict:
    return {
        "n": n,
        "delegation": str(speech.delegation),
        "point_of_order": speech.kind == FloorRequest.Kind.POINT_OF_ORDER,
        "time_used": "" if seconds is None else report._duration(seconds),
    }


def rolling_list(consultation: Consultation, item: AgendaItem, language: str) -> dict:
    """{"item", "current", "open", "spoke": [...], "speaking": row or None,
    "waiting": [...], "state_label", "version"}: the list of `item` as it stands now."""
    with override(language):
        floor = (
            Floor.objects.select_related("consultation").filter(consultation=consultation).first()
        )
        current = bool(floor and floor.item_id == item.pk)
        spoke = list(
            FloorRequest.objects.filter(
                item=item, status=FloorRequest.Status.DONE, started_at__isnull=False
            )
            .select_related("delegation__state", "delegation__sector_member")
            .order_by("started_at", "pk")
        )
        used = durations(spoke)
        speaking = None
        if current and floor.speaking_id:
            now = FloorRequest.objects.select_related(
                "delegation__state", "delegation__sector_member"
            ).get(pk=floor.speaking_id)
            speaking = _row(now, len(spoke) + 1, None)
        waiting = waiting_queue(floor) if current else []
        first = len(spoke) + (2 if speaking else 1)
        outcome = ItemOutcome.objects.filter(item=item).first()
        state = outcome.state if outcome else ItemOutcome.State.NOT_DISCUSSED
        return {
            "item": item,
            "label": item.label,
            "subject": item.subject,
            "current": current,
            "open": bool(current and floor.list_open),
            "spoke": [_row(s, n, used[s.pk]) for n, s in enumerate(spoke, start=1)],
            "speaking": speaking,
            "waiting": [_row(w, n, None) for n, w in enumerate(waiting, start=first)],
            "state": state,
            "state_label": str(ItemOutcome.State(state).label),
            "version": version(consultation.pk),
        }


def items_with_a_list(consultation: Consultation) -> list[AgendaItem]:
    """The items anybody asked to speak on, in agenda order: the lists there are to read."""
    return list(
        AgendaItem.objects.filter(group__consultation=consultation, floor_requests__isnull=False)
        .distinct()
        .select_related("group")
        .order_by("group__number", "position", "number")
    )


__all__ = ["items_with_a_list", "rolling_list"]
