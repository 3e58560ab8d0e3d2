"""The speakers' queue order is a pure function of its entries (R21)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from plenary.floor.queue import (
    POINT_OF_ORDER,
    REPLY,
    SPEAK,
    Entry,
    may_ask,
    may_interrupt,
    queue_order,
)

CATEGORIES = ["council", "observer", "palestine", "sector_member"]
RANK = {"council": 0, "observer": 1, "palestine": 1, "sector_member": 2}

entries = st.lists(
    st.builds(
        Entry,
        key=st.integers(1, 10_000),
        category=st.sampled_from(CATEGORIES),
        kind=st.sampled_from([SPEAK, SPEAK, SPEAK, POINT_OF_ORDER]),
        sequence=st.integers(1, 10_000),
    ),
    max_size=40,
    unique_by=lambda e: e.key,
)


@settings(max_examples=300, deadline=None, database=None)
@given(entries)
def test_points_of_order_come_first(queue):
    ordered = queue_order(queue)
    kinds = [e.kind for e in ordered]
    assert kinds == sorted(kinds, key=lambda k: k != POINT_OF_ORDER)


@settings(max_examples=300, deadline=None, database=None)
@given(entries)
def test_council_member_states_speak_before_observers_and_observers_before_sector_members(queue):
    speakers = [e for e in queue_order(queue) if e.kind == SPEAK]
    ranks = [RANK[e.category] for e in speakers]
    assert ranks == sorted(ranks)


@settings(max_examples=300, deadline=None, database=None)
@given(entries)
def test_first_come_first_served_within_a_class(queue):
    ordered = queue_order(queue)
    for rank in (0, 1, 2):
        same = [e.sequence for e in ordered if e.kind == SPEAK and RANK[e.category] == rank]
        assert same == sorted(same)
    points = [e.sequence for e in ordered if e.kind == POINT_OF_ORDER]
    assert points == sorted(points)


@settings(max_examples=300, deadline=None, database=None)
@given(entries, st.randoms())
def test_order_depends_on_the_entries_not_on_their_arrival_in_the_list(queue, random):
    shuffled = list(queue)
    random.shuffle(shuffled)
    assert queue_order(shuffled) == queue_order(queue)
    assert sorted(queue_order(queue), key=lambda e: e.key) == sorted(queue, key=lambda e: e.key)


def test_observer_speaks_after_every_council_member_state():
    queue = [
        Entry(1, "observer", SPEAK, 1),
        Entry(2, "sector_member", SPEAK, 2),
        Entry(3, "council", SPEAK, 3),
        Entry(4, "palestine", SPEAK, 4),
        Entry(5, "council", SPEAK, 5),
        Entry(6, "observer", POINT_OF_ORDER, 6),
    ]
    assert [e.key for e in queue_order(queue)] == [6, 3, 5, 1, 4, 2]


def test_the_class_order_is_a_setting():
    queue = [Entry(1, "council", SPEAK, 2), Entry(2, "observer", SPEAK, 1)]
    equal = (("council", "observer", "palestine", "sector_member"),)
    assert [e.key for e in queue_order(queue, equal)] == [2, 1]


# --- points of order and the right of reply ------------------------------------------------

with_replies = st.lists(
    st.builds(
        Entry,
        key=st.integers(1, 10_000),
        category=st.sampled_from(CATEGORIES),
        kind=st.sampled_from([SPEAK, SPEAK, POINT_OF_ORDER, REPLY]),
        sequence=st.integers(1, 10_000),
        granted=st.booleans(),
    ),
    max_size=40,
    unique_by=lambda e: e.key,
)


@settings(max_examples=300, deadline=None, database=None)
@given(with_replies)
def test_granted_replies_come_after_the_whole_list_and_the_others_wait_for_the_chair(queue):
    ordered = queue_order(queue)
    steps = [{POINT_OF_ORDER: 0, SPEAK: 1, REPLY: 2}[e.kind] for e in ordered]
    assert steps == sorted(steps)
    assert {e.key for e in ordered} == {e.key for e in queue if e.kind != REPLY or e.granted}
    replies = [e.sequence for e in ordered if e.kind == REPLY]
    assert replies == sorted(replies)


@settings(max_examples=300, deadline=None, database=None)
@given(with_replies, st.sampled_from([SPEAK, POINT_OF_ORDER, REPLY]))
def test_a_delegation_waiting_may_still_raise_a_point_of_order(queue, kind):
    waiting = {e.kind for e in queue}
    assert may_ask(kind, waiting) == (kind not in waiting)
    if POINT_OF_ORDER not in waiting:
        assert may_ask(POINT_OF_ORDER, waiting)  # whatever else it waits for


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.sampled_from([None, SPEAK, POINT_OF_ORDER, REPLY]),
    st.booleans(),
    st.sampled_from([SPEAK, POINT_OF_ORDER, REPLY]),
)
def test_only_a_point_of_order_interrupts_and_only_a_statement_or_a_reply(speaking, held, kind):
    allowed = may_interrupt(speaking, held and speaking is not None, kind)
    if speaking is None:
        assert allowed
    else:
        assert allowed == (kind == POINT_OF_ORDER and speaking != POINT_OF_ORDER and not held)


@settings(max_examples=200, deadline=None, database=None)
@given(with_replies, st.data())
def test_a_point_of_order_raised_later_still_goes_before_every_statement(queue, data):
    late = Entry(
        10_001,
        data.draw(st.sampled_from(CATEGORIES)),
        POINT_OF_ORDER,
        max([e.sequence for e in queue], default=0) + 1,
    )
    ordered = queue_order([*queue, late])
    before = ordered[: ordered.index(late)]
    assert all(e.kind == POINT_OF_ORDER for e in before)
