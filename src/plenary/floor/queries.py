"""Reads of the live floor shared by the services, the snapshot, its page, its WebSocket and
the API."""

from . import queue as queue_rules
from .models import Floor, FloorRequest


def waiting_queue(floor: Floor) -> list[FloorRequest]:
    """The waiting requests on the current item in the order of the rules (R21)."""
    if floor.item_id is None:
        return []
    requests = list(
        FloorRequest.objects.filter(
            floor=floor, item_id=floor.item_id, status=FloorRequest.Status.WAITING
        ).select_related("delegation")
    )
    by_key = {r.pk: r for r in requests}
    entries = [queue_rules.Entry(r.pk, r.delegation.category, r.kind, r.pk) for r in requests]
    classes = (
        tuple(tuple(group) for group in floor.consultation.queue_classes) or queue_rules.CLASS_ORDER
    )
    return [by_key[entry.key] for entry in queue_rules.queue_order(entries, classes)]


def waiting_request_of(floor: Floor, delegation) -> FloorRequest | None:
    """The delegation's request still waiting on the current item: the one it may withdraw
    (a delegation has at most one)."""
    return floor.requests.filter(
        delegation=delegation, item_id=floor.item_id, status=FloorRequest.Status.WAITING
    ).first()
