"""What moved between two published plans, as a pure function."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Move:
    label: str
    kind: str  # moved, scheduled, unscheduled
    before: str = ""  # ISO start of the old slot
    after: str = ""


def plan_moves(old_slots: list[dict], new_slots: list[dict]) -> list[Move]:
    before = {slot["item"]: slot for slot in old_slots}
    after = {slot["item"]: slot for slot in new_slots}
    moves = []
    for slot in new_slots:
        old = before.get(slot["item"])
        if old is None:
            moves.append(Move(slot["label"], "scheduled", after=slot["start"]))
        elif old["start"] != slot["start"]:
            moves.append(Move(slot["label"], "moved", before=old["start"], after=slot["start"]))
    for slot in old_slots:
        if slot["item"] not in after:
            moves.append(Move(slot["label"], "unscheduled", before=slot["start"]))
    return moves
