"""Who may act on contributions, and where a co-submitter stands (R19): a pure rule, read
by the pages, the API, the mails and the publication check alike."""

import enum
from datetime import datetime

import rules

from plenary.consultations.rules import is_delegate, is_focal_point, is_secretariat

rules.add_perm("contributions.submit", is_focal_point | is_delegate | is_secretariat)
rules.add_perm("contributions.review", is_secretariat)
rules.add_perm("contributions.view", rules.always_allow)


class Standing(enum.StrEnum):
    """Where a submitting Member State stands on a contribution."""

    LEAD = "lead"  # the first submitter: its submission is its confirmation
    CONFIRMED = "confirmed"  # its focal point confirmed (or the secretariat, as it wrote)
    DECLINED = "declined"  # its focal point declined: not a submitter
    AWAITING = "awaiting"  # its focal point has not answered yet; the deadline is ahead
    NO_FOCAL_POINT = "no_focal_point"  # nobody can answer for it: the secretariat must invite
    LAPSED = "lapsed"  # not answered by the deadline: not a submitter


# Standings that hold the publication back: someone must still answer, or be invited to.
BLOCKING = frozenset({Standing.AWAITING, Standing.NO_FOCAL_POINT})
# Standings whose state is named among the submitters of the published document.
SUBMITTING = frozenset({Standing.LEAD, Standing.CONFIRMED})


def standing(
    *,
    lead: bool,
    confirmed: bool,
    declined: bool,
    has_focal_point: bool,
    now: datetime,
    deadline: datetime,
) -> Standing:
    """A submitting state's standing. An answer given stays whatever the time; without one,
    the deadline (the consultation's contribution deadline) ends the wait."""
    if lead:
        return Standing.LEAD
    if confirmed:
        return Standing.CONFIRMED
    if declined:
        return Standing.DECLINED
    if now > deadline:
        return Standing.LAPSED
    if not has_focal_point:
        return Standing.NO_FOCAL_POINT
    return Standing.AWAITING


def may_answer(current: Standing, *, now: datetime, deadline: datetime) -> bool:
    """An answer (confirm or decline) is taken only from a co-submitter still awaited,
    before the deadline."""
    return current is Standing.AWAITING and now <= deadline
