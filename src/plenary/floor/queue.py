"""The order of the speakers' queue as a pure function of its entries (R21).

A point of order goes to the top; then Council Member States; then observer Member States
and the State of Palestine; then Sector Members; first come, first served within each
class. The classes and their order are a setting (`CLASS_ORDER`), because the letter only
says that Council Member States have priority.
"""

from dataclasses import dataclass

POINT_OF_ORDER = "point_of_order"
SPEAK = "speak"

# Classes of delegation categories (registration.Delegation.Category), first to last.
CLASS_ORDER: tuple[tuple[str, ...], ...] = (
    ("council",),
    ("observer", "palestine"),
    ("sector_member",),
)
# Categories that may speak at most once per item (Council rules of procedure, rule 7.3).
ONCE_PER_ITEM = frozenset({"observer", "palestine", "sector_member"})


@dataclass(frozen=True)
class Entry:
    key: int
    category: str
    kind: str  # SPEAK or POINT_OF_ORDER
    sequence: int  # when it was asked, as a strictly increasing number


def queue_order(
    entries: list[Entry], class_order: tuple[tuple[str, ...], ...] = CLASS_ORDER
) -> list[Entry]:
    """The waiting entries in the order they will be given the floor."""
    rank = {category: n for n, categories in enumerate(class_order) for category in categories}
    last = len(class_order)

    def key(entry: Entry):
        return (
            0 if entry.kind == POINT_OF_ORDER else 1,
            0 if entry.kind == POINT_OF_ORDER else rank.get(entry.category, last),
            entry.sequence,
            entry.key,
        )

    return sorted(entries, key=key)
