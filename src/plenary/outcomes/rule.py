"""When an item is deferred (R22, R23), as a pure function.

Any Council Member State that wishes a document or a conclusion deferred, proposes to
suspend the discussion, or objects to the proposed conclusion defers the item to the next
physical session; the same from an observer or a Sector Member is recorded but does not
defer. A withdrawn objection has no effect."""

from dataclasses import dataclass

DEFERRING_CATEGORIES = frozenset({"council"})
KINDS = ("defer_document", "defer_conclusion", "suspend", "object")


@dataclass(frozen=True)
class Objection:
    category: str  # the delegation's category (registration.Delegation.Category)
    kind: str
    withdrawn: bool = False


def defers(objections: list[Objection], deferring: frozenset[str] = DEFERRING_CATEGORIES) -> bool:
    return any(o.category in deferring and not o.withdrawn and o.kind in KINDS for o in objections)
