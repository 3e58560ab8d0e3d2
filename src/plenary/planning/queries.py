"""Reads of replies and plans, shared by pages, the API and exports."""

from datetime import datetime

from django.db.models import Count, Q, Sum

from plenary.consultations.models import (
    AgendaGroup,
    AgendaItem,
    AgendaItemDocument,
    Appointment,
    Consultation,
)

from . import diff
from .models import ItemReply, Meeting, PlanVersion


def latest_plan(consultation: Consultation) -> PlanVersion | None:
    return consultation.plan_versions.order_by("-number").first()


def previous_plan(version: PlanVersion) -> PlanVersion | None:
    return (
        version.consultation.plan_versions.filter(number__lt=version.number)
        .order_by("-number")
        .first()
    )


def moves_since_previous(version: PlanVersion) -> list[diff.Move]:
    previous = previous_plan(version)
    return diff.plan_moves(previous.slots, version.slots) if previous else []


def items_by_id(consultation: Consultation) -> dict[int, AgendaItem]:
    items = AgendaItem.objects.filter(group__consultation=consultation).select_related("group")
    links = (
        AgendaItemDocument.objects.filter(item__in=items)
        .select_related("document")
        .order_by("position")
    )
    documents: dict[int, list] = {}
    for link in links:
        documents.setdefault(link.item_id, []).append(link.document)
    result = {}
    for item in items:
        item.plan_documents = documents.get(item.pk, [])
        result[item.pk] = item
    return result


def plan_days(consultation: Consultation, version: PlanVersion | None) -> list[dict]:
    """Each meeting day with its window and its slots (item, times), in order."""
    items = items_by_id(consultation)
    meetings = {m.number: m for m in consultation.meetings.filter(kind=Meeting.Kind.MEETING)}
    days = []
    for index, day in enumerate(consultation.meeting_days()):
        start, end = consultation.window_on(day)
        slots = []
        for slot in version.slots if version else []:
            if slot["day"] == index:
                slots.append(
                    {
                        **slot,
                        "start_at": datetime.fromisoformat(slot["start"]),
                        "end_at": datetime.fromisoformat(slot["end"]),
                        "item_obj": items.get(slot["item"]),
                    }
                )
        used = sum(int((s["end_at"] - s["start_at"]).total_seconds() // 60) for s in slots)
        days.append(
            {
                "index": index,
                "number": index + 1,
                "date": day,
                "start": start,
                "end": end,
                "slots": slots,
                "meeting": meetings.get(index + 1),
                "free_minutes": int((end - start).total_seconds() // 60) - used,
            }
        )
    return days


def unscheduled_items(consultation: Consultation, version: PlanVersion | None) -> list[dict]:
    items = items_by_id(consultation)
    return [
        {**entry, "item_obj": items.get(entry["item"])}
        for entry in (version.unscheduled if version else [])
    ]


def reply_totals(consultation: Consultation) -> list[dict]:
    """Per Group 1 and 2 item: how many delegations replied, will speak, and their minutes."""
    items = (
        AgendaItem.objects.filter(group__consultation=consultation)
        .exclude(group__kind=AgendaGroup.Kind.FOR_INFORMATION)
        .select_related("group")
        .annotate(
            replied=Count("replies"),
            speaking=Count("replies", filter=Q(replies__will_speak=True)),
            stated_minutes=Sum("replies__minutes", filter=Q(replies__will_speak=True)),
        )
        .order_by("group__number", "position", "number")
    )
    return list(items)


def replies_of(consultation: Consultation, state) -> dict[int, ItemReply]:
    replies = ItemReply.objects.filter(item__group__consultation=consultation, state=state)
    return {reply.item_id: reply for reply in replies}


def minutes_behind_plan(consultation: Consultation, item_id: int, now: datetime) -> int | None:
    """How many minutes past its planned end the item is (negative: ahead), or None when
    the published plan does not schedule it."""
    plan = latest_plan(consultation)
    slot = next((s for s in plan.slots if s["item"] == item_id), None) if plan else None
    if slot is None:
        return None
    return int((now - datetime.fromisoformat(slot["end"])).total_seconds() // 60)


def represented_state(user, consultation: Consultation):
    """The Member State a focal point answers for in this consultation, if any."""
    appointment = (
        Appointment.objects.filter(
            user=user, role=Appointment.Role.FOCAL_POINT, consultation=consultation
        )
        .select_related("state")
        .first()
    )
    return appointment.state if appointment else None
