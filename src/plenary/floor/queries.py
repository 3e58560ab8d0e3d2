"""Reads of the live floor shared by the services, the snapshot, its page, its WebSocket and
the API."""

from django.utils import timezone

from . import queue as queue_rules
from . import speaking
from .models import Floor, FloorRequest


def _waiting(floor: Floor) -> list[FloorRequest]:
    if floor.item_id is None:
        return []
    return list(
        FloorRequest.objects.filter(
            floor=floor, item_id=floor.item_id, status=FloorRequest.Status.WAITING
        ).select_related("delegation")
    )


def waiting_queue(floor: Floor) -> list[FloorRequest]:
    """The waiting requests on the current item in the order of the rules (R21): points of
    order, the list, then the rights of reply the chair granted."""
    requests = _waiting(floor)
    by_key = {r.pk: r for r in requests}
    entries = [
        queue_rules.Entry(r.pk, r.delegation.category, r.kind, r.pk, r.granted) for r in requests
    ]
    classes = (
        tuple(tuple(group) for group in floor.consultation.queue_classes) or queue_rules.CLASS_ORDER
    )
    return [by_key[entry.key] for entry in queue_rules.queue_order(entries, classes)]


def replies_asked(floor: Floor) -> list[FloorRequest]:
    """Rights of reply asked for on the current item and not yet granted (the chair decides)."""
    return [r for r in _waiting(floor) if r.kind == FloorRequest.Kind.REPLY and not r.granted]


def waiting_kinds(floor: Floor, delegation) -> set[str]:
    """The kinds of the delegation's requests waiting on the current item."""
    return set(
        floor.requests.filter(
            delegation=delegation, item_id=floor.item_id, status=FloorRequest.Status.WAITING
        ).values_list("kind", flat=True)
    )


def waiting_request_of(floor: Floor, delegation) -> FloorRequest | None:
    """The delegation's latest request still waiting on the current item: the one it may
    withdraw (a delegation has at most one of each kind)."""
    return (
        floor.requests.filter(
            delegation=delegation, item_id=floor.item_id, status=FloorRequest.Status.WAITING
        )
        .order_by("-pk")
        .first()
    )


def speaking_totals(consultation, item=None, *, now=None) -> speaking.Totals:
    """The speaking time used per delegation (by its id) and per category, and in all, over
    the consultation or one agenda item: every request that had the floor (statements,
    points of order, replies), the speech under way counted up to `now`. Only the moments a
    speech had the floor count: a point of order's interruption belongs to the point of
    order. `Totals.by_delegation` and `.speeches` are keyed by delegation id,
    `.by_category` by registration.Delegation.Category."""
    now = now or timezone.now()
    requests = FloorRequest.objects.filter(floor__consultation=consultation).exclude(
        status__in=[FloorRequest.Status.WAITING, FloorRequest.Status.WITHDRAWN]
    )
    if item is not None:
        requests = requests.filter(item=item)
    rows = requests.values_list(
        "delegation_id",
        "delegation__category",
        "allowed_seconds",
        "extra_seconds",
        "used_seconds",
        "resumed_at",
    )
    return speaking.totals(
        speaking.Spoken(d, category, speaking.used(speaking.Clock(a, e, u, since), now))
        for d, category, a, e, u, since in rows
    )
