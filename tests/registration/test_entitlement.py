"""Who may speak where, and how many speakers each meeting holds, are pure functions of ids
(R11, R12): property tests over any speakers, grants, meetings and items."""

from hypothesis import given, settings
from hypothesis import strategies as st

from plenary.registration.entitlement import (
    Grant,
    entitled_to_speak,
    meetings_over_capacity,
    speakers_per_meeting,
)

PEOPLE = st.integers(1, 30)
MEETINGS = st.integers(1, 6)
ITEMS = st.integers(100, 110)

grants = st.lists(
    st.one_of(
        st.builds(Grant, participant=PEOPLE, meeting=MEETINGS, item=st.none()),
        st.builds(Grant, participant=PEOPLE, meeting=st.none(), item=ITEMS),
    ),
    max_size=25,
)
designated = st.frozensets(PEOPLE, max_size=12)
# Each meeting with the items it may take up.
meetings = st.dictionaries(MEETINGS, st.frozensets(ITEMS, max_size=6), max_size=6)

SETTINGS = settings(max_examples=300, deadline=None, database=None)


@SETTINGS
@given(designated, grants, MEETINGS, st.frozensets(ITEMS, max_size=4), PEOPLE)
def test_a_named_speaker_speaks_at_every_meeting_and_on_every_item(
    named, given_grants, meeting, items, person
):
    named = named | {person}
    assert entitled_to_speak(
        person, designated=named, grants=given_grants, meeting=meeting, items=items
    )
    assert entitled_to_speak(person, designated=named, grants=(), meeting=None, items=())


@SETTINGS
@given(grants, MEETINGS, st.frozensets(ITEMS, max_size=4), PEOPLE)
def test_an_extra_speaker_speaks_only_where_one_of_their_grants_says(
    given_grants, meeting, items, person
):
    entitled = entitled_to_speak(
        person, designated=frozenset(), grants=given_grants, meeting=meeting, items=items
    )
    own = [g for g in given_grants if g.participant == person]
    covering = [g for g in own if g.meeting == meeting or (g.item is not None and g.item in items)]
    assert entitled == bool(covering)


@SETTINGS
@given(PEOPLE, MEETINGS, MEETINGS, ITEMS)
def test_a_meeting_grant_is_for_that_meeting_whatever_the_item_and_nowhere_else(
    person, granted_for, other, item
):
    grant = [Grant(person, meeting=granted_for)]
    assert entitled_to_speak(person, designated=(), grants=grant, meeting=granted_for, items={item})
    assert entitled_to_speak(person, designated=(), grants=grant, meeting=granted_for, items=())
    assert entitled_to_speak(person, designated=(), grants=grant, meeting=other, items={item}) == (
        other == granted_for
    )


@SETTINGS
@given(PEOPLE, ITEMS, ITEMS, MEETINGS)
def test_an_item_grant_is_for_that_item_only_and_not_for_a_meeting_without_it(
    person, granted_for, other, meeting
):
    grant = [Grant(person, item=granted_for)]
    assert entitled_to_speak(
        person, designated=(), grants=grant, meeting=meeting, items={granted_for}
    )
    # The rehearsal, or a meeting not taking the item up: no item, no grant.
    assert not entitled_to_speak(person, designated=(), grants=grant, meeting=meeting, items=())
    assert entitled_to_speak(
        person, designated=(), grants=grant, meeting=meeting, items={other}
    ) == (other == granted_for)


@SETTINGS
@given(designated, grants, meetings)
def test_each_meeting_counts_everyone_entitled_to_speak_at_it_once(
    named, given_grants, given_meetings
):
    counts = speakers_per_meeting(named, given_grants, given_meetings)
    assert set(counts) == set(given_meetings)
    everyone = named | {g.participant for g in given_grants}
    for meeting, items in given_meetings.items():
        entitled = {
            p
            for p in everyone
            if entitled_to_speak(
                p, designated=named, grants=given_grants, meeting=meeting, items=items
            )
        }
        assert counts[meeting] == len(entitled)
        assert len(named) <= counts[meeting] <= len(everyone)


@SETTINGS
@given(designated, grants, meetings, PEOPLE)
def test_naming_a_speaker_adds_at_most_one_to_every_meeting_and_one_to_a_meeting_they_were_not_entitled_to(
    named, given_grants, given_meetings, person
):
    before = speakers_per_meeting(named, given_grants, given_meetings)
    after = speakers_per_meeting(named | {person}, given_grants, given_meetings)
    for meeting, items in given_meetings.items():
        was = entitled_to_speak(
            person, designated=named, grants=given_grants, meeting=meeting, items=items
        )
        assert after[meeting] == before[meeting] + (0 if was else 1)


@SETTINGS
@given(designated, grants, meetings, grants)
def test_a_grant_given_never_lowers_a_count_and_raises_only_the_meetings_it_covers(
    named, given_grants, given_meetings, more
):
    before = speakers_per_meeting(named, given_grants, given_meetings)
    after = speakers_per_meeting(named, [*given_grants, *more], given_meetings)
    for meeting, items in given_meetings.items():
        assert after[meeting] >= before[meeting]
        covering = {
            g.participant
            for g in more
            if g.meeting == meeting or (g.item is not None and g.item in items)
        }
        assert after[meeting] - before[meeting] <= len(covering)


@SETTINGS
@given(designated, grants, meetings, st.integers(0, 40))
def test_the_meetings_over_capacity_are_exactly_those_past_the_limit_fullest_first(
    named, given_grants, given_meetings, limit
):
    counts = speakers_per_meeting(named, given_grants, given_meetings)
    over = meetings_over_capacity(counts, limit)
    assert set(over) == {m for m, n in counts.items() if n > limit}
    assert [counts[m] for m in over] == sorted((counts[m] for m in over), reverse=True)
    # Within the limit everywhere, nothing is over; one above it somewhere, that one is.
    if not over:
        assert all(n <= limit for n in counts.values())
