"""The live state as one small JSON document, the same for every client (R21).

Names and subjects are not in it: each page holds them in its reader's language and looks
them up by id, so that one encoding serves every language."""

import json

from plenary.core import translated
from plenary.outcomes.models import ItemOutcome, Objection, ProposedConclusion
from plenary.planning.queries import latest_plan

from . import speaking as speaking_time
from .models import Floor
from .queries import replies_asked, speaking_totals, waiting_queue


def version(consultation_id: int) -> int:
    """The version of the live state, read without the rest of it."""
    return (
        Floor.objects.filter(consultation_id=consultation_id)
        .values_list("version", flat=True)
        .first()
        or 0
    )


def build(consultation_id: int) -> dict:
    floor = (
        Floor.objects.select_related(
            "consultation", "meeting", "item__group", "speaking", "interrupted"
        )
        .filter(consultation_id=consultation_id)
        .first()
    )
    if floor is None:
        return {"v": 0}
    speaking = floor.speaking
    data = {
        "v": floor.version,
        "c": floor.consultation.slug,
        "meeting": {"id": floor.meeting.pk, "kind": floor.meeting.kind, "n": floor.meeting.number}
        if floor.meeting
        else None,
        "item": floor.item_id,
        "open": floor.list_open,
        "speaking": _speech(speaking),
        # A speech a point of order interrupted: it resumes with this time left.
        "interrupted": _speech(floor.interrupted),
        "warn": speaking_time.WARNING_SECONDS,
        "queue": [
            {"r": r.pk, "d": r.delegation_id, "p": r.participant_id, "k": r.kind}
            for r in waiting_queue(floor)
        ],
        "replies": [r.delegation_id for r in replies_asked(floor)],
        "totals": _totals(floor),
        "next": _next_items(floor),
        **_outcome(floor),
    }
    return data


def _speech(request) -> dict | None:
    """Who speaks, since when this part of the speech runs, and the seconds it had left
    then ("left"): the countdown is "left" minus the time since "since"."""
    if request is None:
        return None
    clock = request.clock
    return {
        "r": request.pk,
        "d": request.delegation_id,
        "p": request.participant_id,
        "k": request.kind,
        "since": clock.since.isoformat() if clock.since else None,
        "left": round(clock.allowed + clock.extra - clock.used, 1),
    }


def _totals(floor: Floor) -> dict:
    """Seconds spoken on the current item by delegation and by category, the finished parts
    of speeches only (the same for every reader at any time); the page adds the part under
    way of the speech that has the floor."""
    if floor.item_id is None:
        return {"d": {}, "c": {}}
    running = floor.speaking
    # Counted up to the moment the speech under way took the floor: nothing of it.
    now = running.resumed_at if running is not None and running.resumed_at else None
    totals = speaking_totals(floor.consultation, floor.item, now=now)
    return {
        "d": {str(d): round(s) for d, s in totals.by_delegation.items()},
        "c": {c: round(s) for c, s in totals.by_category.items()},
    }


def _outcome(floor: Floor) -> dict:
    """The current item's state, whether its outcome is recorded (the item is concluded),
    its proposed conclusion once shown or agreed (in every language it exists in), and the
    objections recorded, each with who entered it (chair, secretariat or speaker)."""
    if floor.item_id is None:
        return {"state": None, "concluded": False, "conclusion": None, "objections": []}
    outcome = ItemOutcome.objects.filter(item_id=floor.item_id).first()
    concluded = bool(outcome and outcome.recorded)
    conclusion = ProposedConclusion.objects.filter(item_id=floor.item_id).first()
    agreed = concluded and outcome.state in (
        ItemOutcome.State.AGREED,
        ItemOutcome.State.CORRESPONDENCE,
    )
    texts = None
    if conclusion is not None and (conclusion.shown or agreed):
        texts = translated.texts(conclusion, "text")
        texts["original"] = conclusion.original
    objections = Objection.objects.filter(item_id=floor.item_id, withdrawn_at__isnull=True)
    return {
        "state": outcome.state if outcome else "not_discussed",
        "concluded": concluded,
        "conclusion": texts,
        "objections": [{"d": o.delegation_id, "k": o.kind, "by": o.entered_by} for o in objections],
    }


def _next_items(floor: Floor) -> list[int]:
    plan = latest_plan(floor.consultation)
    if plan is None:
        return []
    order = [slot["item"] for slot in plan.slots if not slot.get("done")]
    if floor.item_id in order:
        order = order[order.index(floor.item_id) + 1 :]
    return order[:3]


def encode(data: dict) -> str:
    return json.dumps({"type": "snapshot", **data}, separators=(",", ":"))
