"""Who is entitled to speak where, and how many speakers each meeting holds (R11, R12), as
pure functions of ids: the services load the speakers and the grants, call these, and act.

A delegation's named speakers speak at every meeting and the rehearsal (R11). An extra
speaker (R12) speaks only where the secretariat's grant says: at one meeting (whatever item
it takes up), or on one agenda item (at whichever meeting takes it up).

The platform's speaker capacity is a number of speakers per meeting: a meeting's count is
everyone entitled to speak at it, each person once. An item grant holds a place in every
meeting that may still take the item up — the plan can move an item to another day, and a
place counted in one meeting only could then be found missing in another.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Grant:
    """A granted extra speaker: `participant` for one `meeting` or for one `item`."""

    participant: int
    meeting: int | None = None
    item: int | None = None


def grant_covers(grant: Grant, *, meeting: int | None, items: Collection[int]) -> bool:
    """Whether a grant lets its holder speak at `meeting` while it takes up one of `items`."""
    if grant.meeting is not None:
        return grant.meeting == meeting
    return grant.item is not None and grant.item in items


def entitled_to_speak(
    participant: int,
    *,
    designated: Collection[int],
    grants: Iterable[Grant],
    meeting: int | None,
    items: Collection[int] = (),
) -> bool:
    """Whether `participant` may speak at `meeting` on one of `items` (the item under
    discussion, or those the meeting may take up): a named speaker always; an extra speaker
    only within their grant."""
    if participant in designated:
        return True
    return any(
        grant.participant == participant and grant_covers(grant, meeting=meeting, items=items)
        for grant in grants
    )


def speakers_per_meeting(
    designated: Collection[int],
    grants: Iterable[Grant],
    meetings: Mapping[int, Collection[int]],
) -> dict[int, int]:
    """For each meeting (its id → the items it may take up), how many people are entitled to
    speak at it: the named speakers and the holders of a grant covering it, each once."""
    designated = frozenset(designated)
    grants = list(grants)
    counts = {}
    for meeting, items in meetings.items():
        extra = {
            grant.participant
            for grant in grants
            if grant.participant not in designated
            and grant_covers(grant, meeting=meeting, items=items)
        }
        counts[meeting] = len(designated) + len(extra)
    return counts


def meetings_over_capacity(counts: Mapping[int, int], limit: int) -> list[int]:
    """The meetings whose speakers would pass the platform's limit, fullest first."""
    return sorted((m for m, n in counts.items() if n > limit), key=lambda m: (-counts[m], m))
