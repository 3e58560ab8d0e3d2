"""Speaking time as pure functions: a speech's clock, stopped by a point of order and resumed
with its remaining time, and the totals per delegation and per category."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from plenary.floor import speaking
from plenary.floor.speaking import Clock, Spoken

T0 = datetime.datetime(2020, 11, 16, 11, 0, tzinfo=datetime.UTC)
DELEGATIONS = {1: "council", 2: "council", 3: "observer", 4: "palestine", 5: "sector_member"}

# One step of a meeting: time passes, then the chair gives the floor (a statement, or a point
# of order that interrupts the statement under way) or ends the speech under way.
steps = st.lists(
    st.tuples(
        st.integers(0, 400),  # seconds that pass first
        st.sampled_from(["speak", "point_of_order", "end", "end", "extend"]),
        st.sampled_from(sorted(DELEGATIONS)),
    ),
    max_size=60,
)


def run(meeting):
    """Play the steps as the floor's services do (give, interrupt, end and resume), with the
    speaking module's clocks; and, independently, who had the floor second by second."""
    now = T0
    clocks: list[tuple[int, Clock]] = []  # (delegation, clock) of every speech given
    speaking_now = interrupted = None  # indexes into clocks
    held = {d: 0.0 for d in DELEGATIONS}
    for seconds, action, delegation in meeting:
        if speaking_now is not None:
            held[clocks[speaking_now][0]] += seconds
        now += datetime.timedelta(seconds=seconds)
        if action == "end" and speaking_now is not None:
            d, clock = clocks[speaking_now]
            clocks[speaking_now] = (d, speaking.stop(clock, now))
            speaking_now, interrupted = interrupted, None
            if speaking_now is not None:
                d, clock = clocks[speaking_now]
                clocks[speaking_now] = (d, speaking.start(clock, now))
        elif action == "extend" and speaking_now is not None:
            d, clock = clocks[speaking_now]
            clocks[speaking_now] = (d, speaking.extend(clock, 60))
        elif action in ("speak", "point_of_order"):
            if speaking_now is not None:
                if action != "point_of_order" or interrupted is not None:
                    continue  # refused: end the current speech first
                d, clock = clocks[speaking_now]
                clocks[speaking_now] = (d, speaking.stop(clock, now))
                interrupted = speaking_now
            allowed = speaking.limit_for(
                DELEGATIONS[delegation],
                {"council": 180, "observer": 120, "palestine": 120, "sector_member": 120},
            )
            clocks.append((delegation, speaking.start(Clock(allowed), now)))
            speaking_now = len(clocks) - 1
    return now, clocks, held


@settings(max_examples=300, deadline=None, database=None)
@given(steps)
def test_the_totals_add_up_to_the_time_each_delegation_had_the_floor(meeting):
    now, clocks, held = run(meeting)
    totals = speaking.totals(
        Spoken(d, DELEGATIONS[d], speaking.used(clock, now)) for d, clock in clocks
    )
    for delegation, seconds in held.items():
        assert totals.by_delegation.get(delegation, 0.0) == seconds
    for category in set(DELEGATIONS.values()):
        expected = sum(s for d, s in held.items() if DELEGATIONS[d] == category)
        assert totals.by_category.get(category, 0.0) == expected
    assert totals.total == sum(held.values())
    assert sum(totals.by_category.values()) == sum(totals.by_delegation.values()) == totals.total
    assert sum(totals.speeches.values()) == len(clocks)


@settings(max_examples=300, deadline=None, database=None)
@given(steps)
def test_an_interrupted_speech_keeps_its_remaining_time(meeting):
    now, clocks, _held = run(meeting)
    for _d, clock in clocks:
        if not clock.running:
            before = speaking.left(clock, now)
            later = now + datetime.timedelta(seconds=500)
            assert speaking.left(clock, later) == before  # stopped: the time left waits
            resumed = speaking.start(clock, later)
            assert speaking.left(resumed, later + datetime.timedelta(seconds=7)) == before - 7
        assert speaking.left(clock, now) == clock.allowed + clock.extra - speaking.used(clock, now)


def test_the_limit_of_a_speech_is_its_categorys():
    limits = {"council": 180, "observer": 120, "palestine": 100, "sector_member": 90}
    assert [speaking.limit_for(c, limits) for c in limits] == [180, 120, 100, 90]
    assert speaking.limit_for("unknown", limits) == 90
