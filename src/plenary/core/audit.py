"""The hash-chained audit log: everything a person says or decides, with who and when.

Each event's hash covers the previous event's hash and the event's own canonical content.
`verify_chain` walks the log in order and names the first event whose link does not hold,
so that a changed, inserted or deleted row is found.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant: PostgreSQL advisory lock key that serialises appends to the chain.
_CHAIN_LOCK_KEY = 7_310_221


def _canonical(event: AuditEvent) -> str:
    content = {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.astimezone(datetime.UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "data": event.data,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_hash(event: AuditEvent) -> str:
    payload = (event.previous_hash + "\n" + _canonical(event)).encode()
    return hashlib.sha256(payload).hexdigest()


def _lock_chain() -> None:
    # SQLite runs write transactions one at a time (BEGIN IMMEDIATE, see settings); on
    # PostgreSQL an advisory lock held to the end of the transaction does the same for
    # appends only, without blocking readers.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Foreign keys are checked now, not at COMMIT: a transaction holding the chain's
            # lock must never wait at COMMIT for a row that a transaction waiting for the
            # lock holds (a deadlock seen when a focal point sent one ballot form twice).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def record(action: str, *, actor=None, target=None, data: dict | None = None) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction if there is one."""
    normalised = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-sequence").only("sequence", "hash").first()
        event = AuditEvent(
            sequence=(last.sequence + 1) if last else 1,
            occurred_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=str(actor) if actor is not None else "",
            action=action,
            target_type=target._meta.label if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            data=normalised,
            previous_hash=last.hash if last else GENESIS_HASH,
        )
        event.hash = compute_hash(event)
        event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_sequence: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_sequence is None


def verify_chain() -> ChainReport:
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            return ChainReport(checked, expected_sequence, f"event #{expected_sequence} is missing")
        if event.previous_hash != expected_previous:
            return ChainReport(
                checked, event.sequence, "its link to the previous event does not match"
            )
        if compute_hash(event) != event.hash:
            return ChainReport(checked, event.sequence, "its content was changed after recording")
        expected_previous = event.hash
        expected_sequence += 1
        checked += 1
    return ChainReport(checked)
