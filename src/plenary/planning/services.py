"""Replies on items, planning, publication and re-planning of the time management plan,
and the meetings (R8, R14, R24). Transactional, audited, refusing with DomainError."""

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaGroup, AgendaItem, Consultation
from plenary.core import audit
from plenary.core.errors import DomainError
from plenary.directory.models import State

from . import planner
from .models import ItemProgress, ItemReply, Meeting, PlanPin, PlanVersion

MAX_REPLY_MINUTES = 120


def _schedulable(item: AgendaItem) -> None:
    if item.group.kind == AgendaGroup.Kind.FOR_INFORMATION:
        raise DomainError(
            _("Group %(group)s items are listed for information only and cannot be scheduled."),
            code="for_information",
            params={"group": item.group.number},
        )


def reply_on_item(
    item: AgendaItem, state: State, *, will_speak: bool, minutes: int | None = None, actor
) -> ItemReply:
    """A Member State says whether it intends to take the floor on a Group 1 or 2 item (R24)."""
    _schedulable(item)
    if state.status != State.Status.MEMBER and state.iso2 != "PS":
        raise DomainError(_("Only invited states reply on the items."), code="not_invited")
    if minutes is not None and not 1 <= minutes <= MAX_REPLY_MINUTES:
        raise DomainError(
            _("Give a speaking time between 1 and %(most)s minutes."),
            code="bad_minutes",
            params={"most": MAX_REPLY_MINUTES},
        )
    with transaction.atomic():
        reply, created = ItemReply.objects.update_or_create(
            item=item,
            state=state,
            defaults={
                "will_speak": will_speak,
                "minutes": minutes if will_speak else None,
                "updated_by": actor,
            },
        )
        audit.record(
            "plan.reply_recorded",
            actor=actor,
            target=item,
            data={
                "state": state.iso2,
                "will_speak": will_speak,
                "minutes": reply.minutes,
                "first": created,
            },
        )
    return reply


def item_minutes(consultation: Consultation) -> dict[int, int]:
    """Planned minutes per schedulable item: its base time plus the time of each delegation
    that said it will speak (its own estimate, or the consultation's default)."""
    items = AgendaItem.objects.filter(group__consultation=consultation).exclude(
        group__kind=AgendaGroup.Kind.FOR_INFORMATION
    )
    minutes = {item.pk: item.base_minutes or consultation.plan_item_base_minutes for item in items}
    for reply in ItemReply.objects.filter(item__in=items, will_speak=True).only(
        "item_id", "minutes"
    ):
        minutes[reply.item_id] += reply.minutes or consultation.plan_speaking_minutes
    return minutes


def meeting_days(consultation: Consultation) -> list[planner.Day]:
    return [
        planner.Day(index, *consultation.window_on(day))
        for index, day in enumerate(consultation.meeting_days())
    ]


def compute_plan(
    consultation: Consultation, *, not_before: datetime | None = None, done=()
) -> planner.Plan:
    """The plan as it would be published now: items not yet finished, from `not_before`."""
    minutes = item_minutes(consultation)
    pins = dict(
        PlanPin.objects.filter(item__group__consultation=consultation).values_list(
            "item_id", "day_index"
        )
    )
    items = (
        AgendaItem.objects.filter(pk__in=minutes)
        .exclude(pk__in=list(done))
        .select_related("group")
        .order_by("group__number", "position", "number")
    )
    plan_items = [
        planner.PlanItem(item.pk, item.group.number, order, minutes[item.pk], pins.get(item.pk))
        for order, item in enumerate(items)
    ]
    return planner.plan_items(meeting_days(consultation), plan_items, not_before=not_before)


def pin_item(item: AgendaItem, day_index: int | None, *, actor) -> None:
    """Pin an item to a meeting day (0-based), or unpin it with None."""
    _schedulable(item)
    consultation = item.group.consultation
    if day_index is not None and not 0 <= day_index < consultation.max_days:
        raise DomainError(
            _("The consultation has %(days)s meeting days."),
            code="bad_day",
            params={"days": consultation.max_days},
        )
    with transaction.atomic():
        if day_index is None:
            PlanPin.objects.filter(item=item).delete()
        else:
            PlanPin.objects.update_or_create(item=item, defaults={"day_index": day_index})
        audit.record("plan.item_pinned", actor=actor, target=item, data={"day": day_index})


def _frozen(
    consultation: Consultation, plan: planner.Plan, done_slots: list[dict]
) -> tuple[list, list]:
    labels = {
        item.pk: item.label
        for item in AgendaItem.objects.filter(group__consultation=consultation).select_related(
            "group"
        )
    }
    slots = done_slots + [
        {
            "item": slot.key,
            "label": labels[slot.key],
            "day": slot.day,
            "start": slot.start.isoformat(),
            "end": slot.end.isoformat(),
        }
        for slot in plan.slots
    ]
    slots.sort(key=lambda slot: slot["start"])
    unscheduled = [
        {
            "item": u.key,
            "label": labels[u.key],
            "group": u.group,
            "minutes": u.minutes,
            "reason": u.reason,
        }
        for u in plan.unscheduled
    ]
    return slots, unscheduled


def publish_plan(
    consultation: Consultation,
    *,
    actor,
    reason: str = "",
    plan: planner.Plan | None = None,
    done_slots=(),
) -> PlanVersion:
    """Publish the plan on the website (R8). A later version needs a reason."""
    reason = (reason or "").strip()
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
        last = consultation.plan_versions.aggregate(n=Max("number"))["n"] or 0
        if last and not reason:
            raise DomainError(
                _("A plan is already published: give the reason for the new version."),
                code="reason_required",
            )
        plan = plan or compute_plan(consultation)
        slots, unscheduled = _frozen(consultation, plan, list(done_slots))
        version = PlanVersion.objects.create(
            consultation=consultation,
            number=last + 1,
            published_at=timezone.now(),
            published_by=actor if getattr(actor, "pk", None) else None,
            reason=reason,
            slots=slots,
            unscheduled=unscheduled,
            missing_minutes=plan.missing_minutes(),
        )
        audit.record(
            "plan.published",
            actor=actor,
            target=consultation,
            data={
                "version": version.number,
                "reason": reason,
                "scheduled": len(slots),
                "unscheduled": len(unscheduled),
            },
        )
        # The meetings (and so the calendars and the join pages) follow the plan's days.
        sync_meetings(consultation)
    return version


def _concluded(item: AgendaItem) -> DomainError:
    return DomainError(
        _("The outcome of item %(label)s is recorded: it cannot be started again."),
        code="item_concluded",
        params={"label": item.label},
    )


def record_item_start(item: AgendaItem, *, at: datetime | None = None, actor) -> ItemProgress:
    """The item starts now (the planning desk's Start). Checks, in order: the item is
    schedulable; its outcome is not recorded (a refusal is audited)."""
    _schedulable(item)
    if ItemProgress.objects.filter(item=item, concluded=True).exists():
        # Refused before the transaction, so that the refusal stays recorded.
        audit.record("plan.refused", actor=actor, target=item, data={"why": "item_concluded"})
        raise _concluded(item)
    with transaction.atomic():
        progress = ItemProgress.objects.select_for_update().filter(item=item).first()
        if progress is not None and progress.concluded:
            raise _concluded(item)
        progress, _created = ItemProgress.objects.update_or_create(
            item=item, defaults={"started_at": at or timezone.now(), "ended_at": None}
        )
        audit.record(
            "plan.item_started", actor=actor, target=item, data={"at": progress.started_at}
        )
    return progress


def item_taken_up(item: AgendaItem, *, at: datetime | None = None, actor) -> ItemProgress:
    """The chair took the item up on the floor: it has started, unless it started before
    (an item taken up again keeps its first start)."""
    _schedulable(item)
    with transaction.atomic():
        progress, created = ItemProgress.objects.get_or_create(
            item=item, defaults={"started_at": at or timezone.now()}
        )
        if created:
            audit.record(
                "plan.item_started", actor=actor, target=item, data={"at": progress.started_at}
            )
    return progress


def conclude_item(item: AgendaItem, *, at: datetime | None = None, actor) -> PlanVersion | None:
    """The item's outcome is recorded (called by outcomes.services.record_outcome, in its
    transaction): the item has ended, is not started again, and once a plan is published
    the remaining items are re-planned from now and the new version published (R24)."""
    if item.group.kind == AgendaGroup.Kind.FOR_INFORMATION:
        return None  # noted for information: never in the plan
    at = at or timezone.now()
    consultation = item.group.consultation
    with transaction.atomic():
        progress = ItemProgress.objects.select_for_update().filter(item=item).first()
        if progress is None:
            progress = ItemProgress(item=item, started_at=at)
        if progress.ended_at is None:
            progress.ended_at = max(at, progress.started_at)
        progress.concluded = True
        progress.save()
        audit.record("plan.item_concluded", actor=actor, target=item, data={"at": at})
        if not consultation.plan_versions.exists():
            return None
        return replan(
            consultation,
            now=at,
            actor=actor,
            reason=str(
                _("Re-planned after the outcome of item %(label)s was recorded.")
                % {"label": item.label}
            ),
        )


def reopen_item(item: AgendaItem, *, actor) -> None:
    """The item's outcome is reopened: it may be started again from the planning desk."""
    with transaction.atomic():
        updated = ItemProgress.objects.filter(item=item, concluded=True).update(concluded=False)
        if updated:
            audit.record("plan.item_reopened", actor=actor, target=item, data={})


def record_item_end(item: AgendaItem, *, at: datetime | None = None, actor) -> PlanVersion:
    """The item is finished: the remaining items are re-planned from now and the new plan
    is published, saying what moved (R24: the actual length follows the meeting)."""
    if item.group.kind == AgendaGroup.Kind.FOR_INFORMATION:
        return None  # noted for information: never in the plan
    at = at or timezone.now()
    consultation = item.group.consultation
    with transaction.atomic():
        progress = ItemProgress.objects.select_for_update().filter(item=item).first()
        if progress is None:
            raise DomainError(_("This item has not been started."), code="not_started")
        if progress.ended_at is not None:
            raise DomainError(_("This item has already ended."), code="already_ended")
        if at < progress.started_at:
            raise DomainError(_("An item cannot end before it started."), code="bad_time")
        progress.ended_at = at
        progress.save(update_fields=["ended_at"])
        audit.record("plan.item_ended", actor=actor, target=item, data={"at": at})
        return replan(consultation, now=at, actor=actor, cause=item)


def replan(
    consultation: Consultation,
    *,
    now: datetime,
    actor,
    cause: AgendaItem | None = None,
    reason: str = "",
) -> PlanVersion:
    finished = ItemProgress.objects.filter(
        item__group__consultation=consultation, ended_at__isnull=False
    ).select_related("item__group")
    done_slots = []
    days = meeting_days(consultation)
    for progress in finished:
        day = next((d.index for d in days if d.start.date() == progress.started_at.date()), 0)
        done_slots.append(
            {
                "item": progress.item_id,
                "label": progress.item.label,
                "day": day,
                "start": progress.started_at.isoformat(),
                "end": progress.ended_at.isoformat(),
                "done": True,
            }
        )
    plan = compute_plan(consultation, not_before=now, done=[p.item_id for p in finished])
    if not reason and cause is not None:
        reason = str(_("Re-planned after item %(label)s ended.") % {"label": cause.label})
    elif not reason:
        reason = str(_("Re-planned."))
    return publish_plan(consultation, actor=actor, reason=reason, plan=plan, done_slots=done_slots)


def days_needed(consultation: Consultation) -> int:
    """How many meeting days the consultation holds: those its latest published plan uses
    (R24: "at most" five days), or all of them before a plan is published."""
    latest = consultation.plan_versions.order_by("-number").first()
    if latest is None or not latest.slots or latest.unscheduled:
        return consultation.max_days
    return min(consultation.max_days, max(slot["day"] for slot in latest.slots) + 1)


def sync_meetings(consultation: Consultation) -> int:
    """One meeting per day the plan needs and the rehearsal (R14), at the consultation's
    times. Returns how many were created, moved or removed; links already entered are kept,
    and a meeting that has begun is never removed."""
    changed = 0
    days = consultation.meeting_days()[: days_needed(consultation)]
    wanted = [
        (Meeting.Kind.MEETING, n, *consultation.window_on(day))
        for n, day in enumerate(days, start=1)
    ]
    if consultation.rehearsal_window:
        wanted.append((Meeting.Kind.REHEARSAL, 1, *consultation.rehearsal_window))
    keep = []
    for kind, number, starts_at, ends_at in wanted:
        meeting, created = Meeting.objects.get_or_create(
            consultation=consultation,
            kind=kind,
            number=number,
            defaults={"starts_at": starts_at, "ends_at": ends_at},
        )
        if not created and (meeting.starts_at, meeting.ends_at) != (starts_at, ends_at):
            meeting.starts_at, meeting.ends_at = starts_at, ends_at
            meeting.save(update_fields=["starts_at", "ends_at"])
            changed += 1
        changed += created
        keep.append(meeting.pk)
    stale = Meeting.objects.filter(consultation=consultation, starts_at__gt=timezone.now()).exclude(
        pk__in=keep
    )
    changed += stale.count()
    stale.delete()
    return changed
