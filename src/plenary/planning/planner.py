"""The time management plan as a pure function (R8, R24).

Items are laid into the meeting days' windows in agenda order: every Group 1 item first,
then Group 2 items as time allows. An item pinned to a day by the secretariat opens that
day. Nothing runs past a day's window or past the last day; what does not fit is returned
as unscheduled, with the reason, so that a shortfall is reported instead of hidden; while
Group 1 is short of time, no Group 2 item is scheduled.

No database, no clock: the same input always gives the same plan.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

TOO_LONG = "too_long"  # longer than any meeting day's window
NO_TIME = "no_time"  # no room left in the days available
PINNED_OUTSIDE = "pinned_outside"  # pinned to a day the consultation does not have
PINNED_DAY_FULL = "pinned_day_full"  # the items pinned to that day do not fit in it


@dataclass(frozen=True)
class Day:
    index: int
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class PlanItem:
    key: int
    group: int
    order: int  # position in the agenda; lower comes first
    minutes: int
    pinned_day: int | None = None


@dataclass(frozen=True)
class Slot:
    key: int
    day: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Unscheduled:
    key: int
    group: int
    minutes: int
    reason: str


@dataclass(frozen=True)
class Plan:
    slots: tuple[Slot, ...]
    unscheduled: tuple[Unscheduled, ...]
    required_groups: frozenset[int] = field(default=frozenset({1}))

    def missing_minutes(self) -> int:
        """Time lacking for the required groups (Group 1): the sum of what did not fit."""
        return sum(u.minutes for u in self.unscheduled if u.group in self.required_groups)

    def slot_of(self, key: int) -> Slot | None:
        return next((slot for slot in self.slots if slot.key == key), None)


def _place_pinned(
    ordered_days: list[Day], items: list[PlanItem]
) -> tuple[list[Slot], list[Unscheduled], list[datetime]]:
    """1. Pinned items open their day, in agenda order. Returns their slots, the pinned items
    that found no place, and where each day is free from."""
    position = {day.index: n for n, day in enumerate(ordered_days)}
    slots: list[Slot] = []
    unscheduled: list[Unscheduled] = []
    free_from = [day.start for day in ordered_days]
    for item in sorted((i for i in items if i.pinned_day is not None), key=_agenda_order):
        if item.pinned_day not in position:
            unscheduled.append(_unscheduled(item, PINNED_OUTSIDE))
            continue
        n = position[item.pinned_day]
        end = free_from[n] + timedelta(minutes=item.minutes)
        if end > ordered_days[n].end:
            unscheduled.append(_unscheduled(item, PINNED_DAY_FULL))
            continue
        slots.append(Slot(item.key, item.pinned_day, free_from[n], end))
        free_from[n] = end
    return slots, unscheduled, free_from


def plan_items(
    days: list[Day],
    items: list[PlanItem],
    *,
    not_before: datetime | None = None,
    required_groups: frozenset[int] = frozenset({1}),
) -> Plan:
    """Lay `items` into `days`. `not_before` (re-planning during the meeting) keeps every
    slot at or after that instant."""
    ordered_days = sorted(days, key=lambda day: day.start)
    # "Too long" compares with a whole window, even when re-planning has used part of it.
    longest = max((day.minutes for day in ordered_days), default=0)
    if not_before is not None:
        not_before = not_before.astimezone(UTC)
        ordered_days = [
            Day(day.index, max(day.start, min(not_before, day.end)), day.end)
            for day in ordered_days
        ]
    slots, unscheduled, free_from = _place_pinned(ordered_days, items)

    # 2. The others in agenda order, never going back in time: Group 1 before Group 2.
    # Once a required item (Group 1) finds no time, later groups get none either: the
    # time that remains is not "time allowing" while Group 1 is short.
    cursor_day, cursor_time = 0, None
    required_short = False
    for item in sorted((i for i in items if i.pinned_day is None), key=_agenda_order):
        if item.minutes > longest:
            unscheduled.append(_unscheduled(item, TOO_LONG))
            continue
        if required_short and item.group not in required_groups:
            unscheduled.append(_unscheduled(item, NO_TIME))
            continue
        placed = False
        for n in range(cursor_day, len(ordered_days)):
            start = free_from[n]
            if n == cursor_day and cursor_time is not None:
                start = max(start, cursor_time)
            end = start + timedelta(minutes=item.minutes)
            if end <= ordered_days[n].end:
                slots.append(Slot(item.key, ordered_days[n].index, start, end))
                cursor_day, cursor_time = n, end
                placed = True
                break
        if not placed:
            unscheduled.append(_unscheduled(item, NO_TIME))
            required_short = required_short or item.group in required_groups

    slots.sort(key=lambda slot: (slot.start, slot.key))
    return Plan(tuple(slots), tuple(unscheduled), frozenset(required_groups))


def _agenda_order(item: PlanItem):
    return (item.group, item.order, item.key)


def _unscheduled(item: PlanItem, reason: str) -> Unscheduled:
    return Unscheduled(item.key, item.group, item.minutes, reason)
