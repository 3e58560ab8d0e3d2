"""Who may do what with the outcome of an item (R22, R23, R26).

Everything on the console's outcome panel (the proposed conclusion, objections on a
delegation's behalf, recording and reopening the outcome) is the chair's, under the one
rule of chairing a meeting, `consultations.chair_meeting`, which the console, the live
floor and outcomes.services check: a second name for it here could drift from the first.
A speaker's own objection is decided from the participant, who may hold no account
(outcomes.services.record_objection)."""
