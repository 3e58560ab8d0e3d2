"""Who may do what with the outcome of an item (R22, R23, R26).

Everything on the console's outcome panel (the proposed conclusion, objections on a
delegation's behalf, recording and reopening the outcome) is the chair's, under the one
rule of chairing a meeting, `consultations.chair_meeting`, which the console, the live
floor and outcomes.services check: a second name for it here could drift from the first.

A delegation's own objection comes from one of its speakers, who may hold no account (a
personal-link participant), so it is a predicate over the participant, not a permission."""

import rules


@rules.predicate
def speaks_for(participant, delegation) -> bool:
    """An approved speaker of this delegation."""
    return participant.delegation_id == delegation.pk and participant.is_speaker
