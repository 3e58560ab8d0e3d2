"""Reads of the directory shared by pages, the API and exports."""

import datetime

from django.db.models import Prefetch, Q

from .models import CouncilSeat, CouncilTerm, OfficialName, State, VotingRightSuspension
from .names import state_name


def member_states_on(day: datetime.date):
    return (
        State.objects.filter(status=State.Status.MEMBER)
        .filter(Q(joined_on__isnull=True) | Q(joined_on__lte=day))
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=day))
    )


def term_on(day: datetime.date) -> CouncilTerm | None:
    return CouncilTerm.objects.filter(starts_on__lte=day, ends_on__gte=day).first()


def council_members(term: CouncilTerm):
    return State.objects.filter(council_seats__term=term)


def states_without_vote_on(day: datetime.date) -> dict[int, VotingRightSuspension]:
    suspensions = VotingRightSuspension.objects.filter(
        Q(until__isnull=True) | Q(until__gt=day), since__lte=day, schedule_kept=False
    ).select_related("state")
    return {suspension.state_id: suspension for suspension in suspensions}


def has_right_to_vote(state: State, day: datetime.date) -> bool:
    return state.is_member_on(day) and not any(
        suspension.applies_on(day) for suspension in state.vote_suspensions.all()
    )


def directory_rows(day: datetime.date, language: str, region: str | None = None) -> list[dict]:
    """Every state of the directory on a day, with its name in the language, its region,
    its Council seat in the term of that day and its right to vote; sorted by name."""
    term = term_on(day)
    seated = (
        set(CouncilSeat.objects.filter(term=term).values_list("state_id", flat=True))
        if term
        else set()
    )
    without_vote = states_without_vote_on(day)
    states = (
        State.objects.filter(Q(pk__in=member_states_on(day)) | Q(status=State.Status.OBSERVER))
        .select_related("region")
        .prefetch_related(Prefetch("official_names", queryset=OfficialName.objects.all()))
    )
    if region:
        states = states.filter(region__code=region)
    rows = [
        {
            "state": state,
            "name": state_name(state, language),
            "iso2": state.iso2,
            "iso3": state.iso3,
            "region": state.region,
            "observer": state.status == State.Status.OBSERVER,
            "council": state.pk in seated,
            "without_vote": without_vote.get(state.pk),
        }
        for state in states
    ]
    rows.sort(key=lambda row: row["name"].casefold())
    return rows
