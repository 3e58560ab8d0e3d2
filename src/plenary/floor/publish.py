"""After a change is committed, its snapshot is encoded once and sent to the channel layer;
each server process receives it once and writes it to its own clients (hub.py)."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import snapshot


def group_name(consultation_id: int) -> str:
    return f"floor-{consultation_id}"


def publish(consultation_id: int) -> str:
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
    # robust: once the change is committed, a channel layer that is away (Redis restarting)
    # must not turn it into an error for the person who made it; the hub's watch sends the
    # snapshot when it sees the newer version in the database.
    transaction.on_commit(lambda: publish(consultation_id), robust=True)
