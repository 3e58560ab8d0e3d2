"""Property tests for the time management plan (R8, R24).

The planner is a pure function: no database, no clock. These tests need no fixtures.
Requirements: all Group 1 items first, Group 2 items as time allows, never past the window,
never past the last day; what does not fit is listed as not scheduled, with the reason.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from plenary.planning.planner import (
    NO_TIME,
    PINNED_DAY_FULL,
    PINNED_OUTSIDE,
    TOO_LONG,
    Day,
    Plan,
    PlanItem,
    plan_items,
)

# The settings every property runs with; no example database, so no .hypothesis/ folder.
properties = settings(max_examples=200, deadline=None, database=None)


# --- Strategies --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    days: list[Day]
    items: list[PlanItem]
    not_before: datetime | None


@st.composite
def meeting_days(draw, min_days=1, max_days=5):
    """1-5 meeting days on consecutive dates, each a window of 60-240 minutes (UTC), all
    opening at the same time of day; the windows have the same or different lengths. The
    list comes in any order: the planner orders days by their start."""
    count = draw(st.integers(min_days, max_days))
    first = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    opens = draw(st.integers(0, 20 * 60))  # minutes after midnight; window ends by 24:00
    if draw(st.booleans()):
        lengths = [draw(st.integers(60, 240))] * count
    else:
        lengths = draw(st.lists(st.integers(60, 240), min_size=count, max_size=count))
    days = []
    for n, length in enumerate(lengths):
        start = datetime.combine(first + timedelta(days=n), time(), tzinfo=UTC)
        start += timedelta(minutes=opens)
        days.append(Day(n + 1, start, start + timedelta(minutes=length)))
    return draw(st.permutations(days))


# How an item is pinned, one number per item: mostly not at all (shrinking goes there),
# sometimes to one of the days, sometimes to a day the consultation does not have.
PINNED_TO_A_DAY = range(13, 18)
PINNED_ELSEWHERE = range(18, 20)

# Item lengths: any of 1-300 minutes, but mostly the 5-60 of real agenda items (one draw,
# shrinking towards 5).
MINUTES = (*range(5, 61), *range(5, 61), *range(5, 61), *range(1, 301))


@st.composite
def agenda_items(draw, day_indexes, pinning=True, max_items=40):
    """0-40 items (keys 1, 2, 3...), group 1 or 2, agenda orders with many ties, 1-300
    minutes (mostly the 5-60 of real items); mostly unpinned, sometimes pinned to an existing
    day, sometimes to a day the consultation does not have. (Drawn as one list of tuples:
    much cheaper for hypothesis than one draw per field.)"""
    count = draw(st.one_of(st.integers(0, min(12, max_items)), st.integers(0, max_items)))
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from((1, 2)),
                st.integers(0, 30),
                st.sampled_from(MINUTES),
                st.integers(0, 19) if pinning else st.just(0),
            ),
            min_size=count,
            max_size=count,
        )
    )
    missing_days = [0, -1, max(day_indexes, default=0) + 1, 99]
    items = []
    for key, (group, order, minutes, pin) in enumerate(rows, start=1):
        pinned_day = None
        if pin in PINNED_TO_A_DAY and day_indexes:
            pinned_day = day_indexes[pin % len(day_indexes)]
        elif pin in PINNED_ELSEWHERE:
            pinned_day = missing_days[(pin + key) % len(missing_days)]
        items.append(PlanItem(key, group, order, minutes, pinned_day))
    return items


@st.composite
def scenarios(draw, replanning=None, max_items=40):
    """Days, items and not_before: always (replanning=True), never (False) or sometimes
    (None). not_before falls anywhere from an hour before the first day to an hour after the
    last one, to the second."""
    days = draw(meeting_days())
    items = draw(agenda_items(sorted(day.index for day in days), max_items=max_items))
    if replanning is None:
        replanning = draw(st.booleans())
    not_before = None
    if replanning:
        first = min(day.start for day in days)
        last = max(day.end for day in days)
        span = int((last - first).total_seconds())
        not_before = first + timedelta(seconds=draw(st.integers(-3600, span + 3600)))
    return Scenario(days, items, not_before)


def plan_for(scenario: Scenario) -> Plan:
    return plan_items(scenario.days, scenario.items, not_before=scenario.not_before)


# --- Helpers -----------------------------------------------------------------------------


def opening(day: Day, not_before: datetime | None) -> datetime:
    """When a day is open for the plan: its start, or not_before if that falls later."""
    if not_before is None:
        return day.start
    return max(day.start, min(not_before, day.end))


def agenda_key(item: PlanItem):
    return (item.group, item.order, item.key)


def reasons(plan: Plan) -> dict[int, str]:
    return {u.key: u.reason for u in plan.unscheduled}


def utc_days(first: date, count: int, opens: time, closes: time) -> list[Day]:
    days = []
    for n in range(count):
        on = first + timedelta(days=n)
        days.append(
            Day(
                n + 1,
                datetime.combine(on, opens, tzinfo=UTC),
                datetime.combine(on, closes, tzinfo=UTC),
            )
        )
    return days


def items_of(group: int, count: int, minutes: int, first_key: int) -> list[PlanItem]:
    return [PlanItem(first_key + n, group, n, minutes) for n in range(count)]


def vcc2_days() -> list[Day]:
    """VCC-2: 12:00-15:00 Geneva time, Monday 16 to Friday 20 November 2020 (UTC+1)."""
    return utc_days(date(2020, 11, 16), 5, time(11), time(14))


# --- Properties ----------------------------------------------------------------------------


@properties
@given(scenarios())
def test_no_two_items_overlap(scenario):
    slots = sorted(plan_for(scenario).slots, key=lambda slot: slot.start)
    for earlier, later in pairwise(slots):
        assert earlier.end <= later.start, (earlier, later)


@properties
@given(scenarios())
def test_every_slot_lies_inside_its_days_window(scenario):
    days = {day.index: day for day in scenario.days}
    for slot in plan_for(scenario).slots:
        day = days[slot.day]
        assert day.start <= slot.start < slot.end <= day.end, (slot, day)


@properties
@given(scenarios(replanning=True))
def test_no_slot_starts_before_not_before(scenario):
    for slot in plan_for(scenario).slots:
        assert slot.start >= scenario.not_before, slot


@properties
@given(scenarios())
def test_every_item_is_scheduled_or_listed_once(scenario):
    plan = plan_for(scenario)
    listed = Counter([slot.key for slot in plan.slots] + [u.key for u in plan.unscheduled])
    assert listed == Counter(item.key for item in scenario.items)


@properties
@given(scenarios())
def test_unscheduled_items_carry_their_group_and_minutes(scenario):
    items = {item.key: item for item in scenario.items}
    for u in plan_for(scenario).unscheduled:
        assert (u.group, u.minutes) == (items[u.key].group, items[u.key].minutes)
        assert u.reason in {TOO_LONG, NO_TIME, PINNED_OUTSIDE, PINNED_DAY_FULL}


@properties
@given(scenarios())
def test_slot_length_equals_item_minutes(scenario):
    items = {item.key: item for item in scenario.items}
    for slot in plan_for(scenario).slots:
        assert slot.end - slot.start == timedelta(minutes=items[slot.key].minutes)


@properties
@given(scenarios())
def test_unpinned_group_1_items_all_end_before_any_unpinned_group_2_item_starts(scenario):
    items = {item.key: item for item in scenario.items}
    unpinned = [slot for slot in plan_for(scenario).slots if items[slot.key].pinned_day is None]
    group_1_ends = [slot.end for slot in unpinned if items[slot.key].group == 1]
    group_2_starts = [slot.start for slot in unpinned if items[slot.key].group == 2]
    if group_1_ends and group_2_starts:
        assert max(group_1_ends) <= min(group_2_starts)


@properties
@given(scenarios())
def test_agenda_order_is_kept_within_a_group(scenario):
    """Unpinned items run in agenda order (order, then key); pinned items in agenda order
    within their day."""
    items = {item.key: item for item in scenario.items}
    plan = plan_for(scenario)
    runs = {}
    for slot in plan.slots:
        item = items[slot.key]
        run = ("pinned", slot.day) if item.pinned_day is not None else ("group", item.group)
        runs.setdefault(run, []).append(slot)
    for run in runs.values():
        by_agenda = sorted(run, key=lambda slot: agenda_key(items[slot.key]))
        assert by_agenda == sorted(run, key=lambda slot: slot.start)


@properties
@given(scenarios(), st.data())
def test_same_input_gives_the_same_plan(scenario, data):
    plan = plan_for(scenario)
    assert plan_for(scenario) == plan
    shuffled = Scenario(
        data.draw(st.permutations(scenario.days), label="days"),
        data.draw(st.permutations(scenario.items), label="items"),
        scenario.not_before,
    )
    assert plan_for(shuffled) == plan


@properties
@given(scenarios())
def test_missing_minutes_is_the_sum_of_unscheduled_group_1_items(scenario):
    plan = plan_for(scenario)
    scheduled = {slot.key for slot in plan.slots}
    unscheduled_group_1 = [
        item for item in scenario.items if item.group == 1 and item.key not in scheduled
    ]
    assert plan.missing_minutes() == sum(item.minutes for item in unscheduled_group_1)
    everything = plan_items(
        scenario.days,
        scenario.items,
        not_before=scenario.not_before,
        required_groups=frozenset({1, 2}),
    )
    scheduled_everything = {slot.key for slot in everything.slots}
    assert everything.missing_minutes() == sum(
        item.minutes for item in scenario.items if item.key not in scheduled_everything
    )


@properties
@given(scenarios())
def test_pinned_item_opens_its_day(scenario):
    """Scheduled pinned items sit on their day, back to back from its opening, before any
    unpinned item of that day."""
    items = {item.key: item for item in scenario.items}
    plan = plan_for(scenario)
    for day in scenario.days:
        on_day = sorted((s for s in plan.slots if s.day == day.index), key=lambda s: s.start)
        pinned = [slot for slot in on_day if items[slot.key].pinned_day is not None]
        assert on_day[: len(pinned)] == pinned  # pinned ones first
        free_from = opening(day, scenario.not_before)
        for slot in pinned:
            assert items[slot.key].pinned_day == day.index
            assert slot.start == free_from, slot
            free_from = slot.end


@properties
@given(scenarios())
def test_pinned_item_is_refused_only_when_its_day_is_full(scenario):
    items = {item.key: item for item in scenario.items}
    days = {day.index: day for day in scenario.days}
    plan = plan_for(scenario)
    for u in plan.unscheduled:
        if u.reason != PINNED_DAY_FULL:
            continue
        item = items[u.key]
        day = days[item.pinned_day]
        before_it = [
            items[slot.key].minutes
            for slot in plan.slots
            if items[slot.key].pinned_day == day.index
            and agenda_key(items[slot.key]) < agenda_key(item)
        ]
        free_from = opening(day, scenario.not_before) + timedelta(minutes=sum(before_it))
        assert free_from + timedelta(minutes=item.minutes) > day.end, item


@properties
@given(scenarios())
def test_pinned_to_a_missing_day_is_reported(scenario):
    day_indexes = {day.index for day in scenario.days}
    plan = plan_for(scenario)
    why = reasons(plan)
    for item in scenario.items:
        outside = item.pinned_day is not None and item.pinned_day not in day_indexes
        assert (why.get(item.key) == PINNED_OUTSIDE) == outside, item


@properties
@given(scenarios(replanning=False))
def test_item_longer_than_any_day_is_too_long(scenario):
    longest = max(day.minutes for day in scenario.days)
    why = reasons(plan_for(scenario))
    for item in scenario.items:
        if item.pinned_day is None:
            assert (why.get(item.key) == TOO_LONG) == (item.minutes > longest), item
        else:
            assert why.get(item.key) != TOO_LONG, item


@properties
@given(scenarios(replanning=True, max_items=10))  # few items: quick to shrink
def test_when_replanning_too_long_still_means_longer_than_any_days_window(scenario):
    """TOO_LONG means "longer than any meeting day's window". Re-planning late in the
    meeting leaves less room, which is NO_TIME; it does not make a 30-minute item too long
    for a 180-minute day."""
    longest = max(day.minutes for day in scenario.days)
    items = {item.key: item for item in scenario.items}
    for u in plan_for(scenario).unscheduled:
        if u.reason == TOO_LONG:
            assert items[u.key].minutes > longest, u


@properties
@given(scenarios())
def test_an_item_without_time_would_not_fit_in_the_room_left_at_the_end(scenario):
    """NO_TIME is never given while the room after the last unpinned item (on its day and
    on each later day, after that day's pinned items) could still take the item."""
    items = {item.key: item for item in scenario.items}
    plan = plan_for(scenario)
    ordered_days = sorted(scenario.days, key=lambda day: day.start)
    free_from = {}
    for day in ordered_days:
        pinned_ends = [
            s.end for s in plan.slots if s.day == day.index and items[s.key].pinned_day is not None
        ]
        free_from[day.index] = max([opening(day, scenario.not_before), *pinned_ends])
    unpinned = [slot for slot in plan.slots if items[slot.key].pinned_day is None]
    later_days = ordered_days
    if unpinned:
        last = max(unpinned, key=lambda slot: slot.end)
        free_from[last.day] = last.end
        later_days = [day for day in ordered_days if day.end >= last.end]
    rooms = [day.end - free_from[day.index] for day in later_days]
    longest = max(day.minutes for day in scenario.days)
    group_1_short = any(u.reason == NO_TIME and u.group == 1 for u in plan.unscheduled)
    for u in plan.unscheduled:
        if u.reason == NO_TIME and u.group != 1 and group_1_short:
            continue  # no Group 2 item is scheduled while Group 1 lacks time
        if u.reason == NO_TIME:
            assert items[u.key].pinned_day is None, u
            assert u.minutes <= longest, u
            assert all(timedelta(minutes=u.minutes) > room for room in rooms), (u, rooms)


@st.composite
def agendas_that_fit(draw):
    """Unpinned items whose total is at most the capacity less one longest item per day:
    filling the days in order wastes less than one item at the end of each day, so these
    provably all fit."""
    days = draw(meeting_days())
    capacity = sum(day.minutes for day in days)
    longest_item = draw(st.integers(1, capacity // (len(days) + 1)))
    budget = capacity - len(days) * longest_item
    items = draw(agenda_items([], pinning=False))
    kept, total = [], 0
    for item in items:
        minutes = min(item.minutes, longest_item)
        if total + minutes > budget:
            break
        kept.append(PlanItem(item.key, item.group, item.order, minutes))
        total += minutes
    return Scenario(days, kept, None)


@properties
@given(agendas_that_fit())
def test_when_everything_fits_nothing_is_unscheduled(scenario):
    plan = plan_for(scenario)
    assert plan.unscheduled == ()
    assert len(plan.slots) == len(scenario.items)
    assert plan.missing_minutes() == 0


# --- Examples: the VCC-2 shape -------------------------------------------------------------


def test_vcc2_thirty_items_of_thirty_minutes_fill_the_five_days():
    days = vcc2_days()
    items = items_of(1, 17, 30, first_key=100) + items_of(2, 17, 30, first_key=200)
    plan = plan_items(days, items)

    assert len(plan.slots) == 30  # 900 minutes / 30
    assert plan.missing_minutes() == 0
    assert {u.key for u in plan.unscheduled} == {213, 214, 215, 216}  # the last four
    assert {u.reason for u in plan.unscheduled} == {NO_TIME}
    assert [slot.key for slot in plan.slots] == [*range(100, 117), *range(200, 213)]
    assert plan.slots[0].start == datetime(2020, 11, 16, 11, 0, tzinfo=UTC)
    assert plan.slots[-1].end == datetime(2020, 11, 20, 14, 0, tzinfo=UTC)
    assert Counter(slot.day for slot in plan.slots) == {1: 6, 2: 6, 3: 6, 4: 6, 5: 6}
    # Group 1 takes 510 minutes: six items a day, so until Wednesday 13:30 UTC (14:30 in
    # Geneva); Group 2 follows at once.
    assert plan.slot_of(116).end == datetime(2020, 11, 18, 13, 30, tzinfo=UTC)
    assert plan.slot_of(200).start == datetime(2020, 11, 18, 13, 30, tzinfo=UTC)


def test_vcc2_overflow_group_1_alone_needs_more_than_the_five_days():
    days = vcc2_days()
    group_1 = items_of(1, 35, 30, first_key=100)  # 1050 minutes for 900
    group_2 = items_of(2, 17, 30, first_key=200)
    plan = plan_items(days, group_1 + group_2)

    assert [slot.key for slot in plan.slots] == list(range(100, 130))
    assert plan.missing_minutes() == 150  # five Group 1 items of 30 minutes
    assert {u.key for u in plan.unscheduled if u.group == 1} == set(range(130, 135))
    assert not any(slot.key >= 200 for slot in plan.slots)  # no Group 2 item scheduled
    assert {u.key for u in plan.unscheduled if u.group == 2} == set(range(200, 217))
    assert {u.reason for u in plan.unscheduled} == {NO_TIME}


def test_vcc2_realistic_mixed_lengths_respect_every_window():
    days = vcc2_days()
    lengths = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 45, 30, 20, 15, 10]
    group_1 = [PlanItem(100 + n, 1, n, minutes) for n, minutes in enumerate(lengths)]
    group_2 = [PlanItem(200 + n, 2, n, minutes) for n, minutes in enumerate(reversed(lengths))]
    plan = plan_items(days, group_1 + group_2)

    assert plan.missing_minutes() == 0  # 510 minutes of Group 1 in a 900-minute meeting
    for slot in plan.slots:
        assert time(11) <= slot.start.time() and slot.end.time() <= time(14)
    assert len(plan.slots) + len(plan.unscheduled) == 34


def test_replanning_during_the_meeting_starts_from_now():
    days = vcc2_days()
    items = items_of(1, 17, 30, first_key=100) + items_of(2, 17, 30, first_key=200)
    now = datetime(2020, 11, 18, 12, 10, tzinfo=UTC)  # Wednesday, 13:10 in Geneva
    plan = plan_items(days, items, not_before=now)

    assert plan.slots[0].start == now
    assert all(slot.day >= 3 for slot in plan.slots)
    # Wednesday 12:10-14:00 takes three items (20 minutes left over), Thursday and Friday
    # six each: 15 of the 17 Group 1 items.
    assert len(plan.slots) == 15
    assert plan.missing_minutes() == 60
    assert {u.reason for u in plan.unscheduled} == {NO_TIME}


def test_replanning_late_in_the_meeting_reports_no_time_rather_than_too_long():
    """On the last day at 14:45 Geneva time a 30-minute item does not fit in the 15 minutes
    left; that is a lack of time, not an item longer than a 180-minute day."""
    days = vcc2_days()
    items = items_of(1, 3, 30, first_key=100)
    plan = plan_items(days, items, not_before=datetime(2020, 11, 20, 13, 45, tzinfo=UTC))

    assert plan.slots == ()
    assert plan.missing_minutes() == 90
    assert {u.reason for u in plan.unscheduled} == {NO_TIME}


def test_item_pinned_to_a_day_opens_it_and_the_agenda_flows_around_it():
    days = vcc2_days()
    items = [
        *items_of(1, 17, 30, first_key=100),
        PlanItem(300, 2, 0, 45, pinned_day=3),  # e.g. a guest speaker on Wednesday
        PlanItem(301, 1, 0, 30, pinned_day=9),  # a day the consultation does not have
        PlanItem(302, 1, 99, 240),  # longer than the 180-minute days
    ]
    plan = plan_items(days, items)

    pinned = plan.slot_of(300)
    assert (pinned.day, pinned.start) == (3, datetime(2020, 11, 18, 11, 0, tzinfo=UTC))
    assert plan.slot_of(112).start == pinned.end  # Wednesday's first agenda item follows it
    assert reasons(plan) == {301: PINNED_OUTSIDE, 302: TOO_LONG}
    assert plan.missing_minutes() == 270


def test_items_pinned_beyond_their_days_window_are_reported_as_day_full():
    days = vcc2_days()
    items = [PlanItem(key, 1, key, 60, pinned_day=2) for key in range(1, 5)]
    plan = plan_items(days, items)

    assert [slot.key for slot in plan.slots] == [1, 2, 3]
    assert reasons(plan) == {4: PINNED_DAY_FULL}
    assert plan.missing_minutes() == 60


def test_without_days_nothing_is_scheduled():
    items = [PlanItem(1, 1, 0, 30), PlanItem(2, 1, 1, 30, pinned_day=1)]
    plan = plan_items([], items)

    assert plan.slots == ()
    assert reasons(plan) == {1: TOO_LONG, 2: PINNED_OUTSIDE}
    assert plan.missing_minutes() == 60


def test_days_follow_geneva_time_across_the_end_of_summer_time():
    """12:00-15:00 in Geneva is 10:00-13:00 UTC on Friday 23 October 2020 (UTC+2) and
    11:00-14:00 UTC on Monday 26 October 2020 (UTC+1)."""
    geneva = ZoneInfo("Europe/Zurich")
    days = [
        Day(
            n + 1,
            datetime.combine(on, time(12), tzinfo=geneva).astimezone(UTC),
            datetime.combine(on, time(15), tzinfo=geneva).astimezone(UTC),
        )
        for n, on in enumerate([date(2020, 10, 23), date(2020, 10, 26)])
    ]
    assert [day.minutes for day in days] == [180, 180]
    items = items_of(1, 12, 30, first_key=100)
    plan = plan_items(days, items)

    assert plan.unscheduled == ()
    friday = [slot for slot in plan.slots if slot.day == 1]
    monday = [slot for slot in plan.slots if slot.day == 2]
    assert len(friday) == len(monday) == 6
    assert friday[0].start == datetime(2020, 10, 23, 10, 0, tzinfo=UTC)
    assert friday[-1].end == datetime(2020, 10, 23, 13, 0, tzinfo=UTC)
    assert monday[0].start == datetime(2020, 10, 26, 11, 0, tzinfo=UTC)
    assert monday[-1].end == datetime(2020, 10, 26, 14, 0, tzinfo=UTC)
    assert all(time(12) <= slot.start.astimezone(geneva).time() < time(15) for slot in plan.slots)


def test_no_group_2_item_fills_a_gap_while_group_1_is_short():
    start = datetime(2020, 11, 16, 11, tzinfo=UTC)
    day = Day(0, start, start + timedelta(minutes=60))
    items = [PlanItem(1, 1, 0, 45), PlanItem(2, 1, 1, 45), PlanItem(3, 2, 2, 15)]
    plan = plan_items([day], items)
    assert [slot.key for slot in plan.slots] == [1]
    assert {(u.key, u.reason) for u in plan.unscheduled} == {(2, NO_TIME), (3, NO_TIME)}
    assert plan.missing_minutes() == 45
