"""The live floor's version and its publishing. Every change of what the live pages show
raises the floor's version by one in the transaction that makes the change; after the
commit its snapshot is encoded once and sent to the channel layer, and each server process
receives it once and writes it to its own clients (hub.py).

The floor's own changes call `changed` (floor.services); the outcomes of the items, which
sit below the floor and do not import it, announce theirs with
`outcomes.signals.shown_state_changed`, received here (connected in apps.py)."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F

from . import snapshot
from .models import Floor


def group_name(consultation_id: int) -> str:
    return f"floor-{consultation_id}"


def publish(consultation_id: int) -> str:
    """Send the committed snapshot to every server process; returns its encoding."""
    data = snapshot.build(consultation_id)
    text = snapshot.encode(data)
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            group_name(consultation_id),
            {"type": "floor.snapshot", "text": text, "v": data.get("v", 0)},
        )
    return text


def publish_after_commit(consultation_id: int) -> None:
    """Publish once the caller's transaction commits (at once outside a transaction)."""
    # robust: once the change is committed, a channel layer that is away (Redis restarting)
    # must not turn it into an error for the person who made it; the hub's watch sends the
    # snapshot when it sees the newer version in the database.
    transaction.on_commit(lambda: publish(consultation_id), robust=True)


def changed(consultation_id: int) -> None:
    """What the live pages show changed in the caller's transaction: a new version, committed
    with the change (so that a page that missed it catches up when it resyncs), and its
    snapshot published after the commit."""
    Floor.objects.filter(consultation_id=consultation_id).update(version=F("version") + 1)
    publish_after_commit(consultation_id)


def outcome_changed(sender, *, consultation_id: int, **kwargs) -> None:
    """Receiver of outcomes.signals.shown_state_changed: a proposed conclusion, an objection
    or an outcome changed, inside the outcome's transaction."""
    changed(consultation_id)
