"""The order of the speakers' queue as a pure function of its entries (R21).

A point of order goes to the top; then Council Member States; then observer Member States
and the State of Palestine; then Sector Members; first come, first served within each
class. The classes and their order are a setting (`CLASS_ORDER`), because the letter only
says that Council Member States have priority. A right of reply, once the chair has granted
it, comes after the whole list; one asked for and not yet granted is not in line at all.

Beside the order: who may raise what while already waiting (`may_ask`), and which speech a
point of order may interrupt (`may_interrupt`).
"""

from dataclasses import dataclass

POINT_OF_ORDER = "point_of_order"
SPEAK = "speak"
REPLY = "reply"

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
    kind: str  # SPEAK, POINT_OF_ORDER or REPLY
    sequence: int  # when it was asked, as a strictly increasing number
    granted: bool = False  # a right of reply the chair has granted


def queue_order(
    entries: list[Entry], class_order: tuple[tuple[str, ...], ...] = CLASS_ORDER
) -> list[Entry]:
    """The waiting entries in the order they will be given the floor."""
    rank = {category: n for n, categories in enumerate(class_order) for category in categories}
    last = len(class_order)

    def key(entry: Entry):
        step = {POINT_OF_ORDER: 0, REPLY: 2}.get(entry.kind, 1)
        return (
            step,
            rank.get(entry.category, last) if step == 1 else 0,
            entry.sequence,
            entry.key,
        )

    return sorted((e for e in entries if in_line(e)), key=key)


def in_line(entry: Entry) -> bool:
    """A right of reply waits for the chair's grant before it is in line; the rest are."""
    return entry.kind != REPLY or entry.granted


def may_ask(kind: str, waiting_kinds: set[str] | frozenset[str]) -> bool:
    """May a delegation whose requests of `waiting_kinds` wait on this item ask for `kind`?
    One request of each kind at a time: a delegation already in the list may still raise a
    point of order, or ask for the right of reply."""
    return kind not in waiting_kinds


def may_interrupt(speaking_kind: str | None, interrupted: bool, kind: str) -> bool:
    """May the floor go to a request of `kind` while a request of `speaking_kind` has it
    (None: nobody) and a speech is already `interrupted`? A point of order interrupts a
    statement or a reply, never another point of order, and one speech at a time is held."""
    if speaking_kind is None:
        return True
    return kind == POINT_OF_ORDER and speaking_kind != POINT_OF_ORDER and not interrupted
