"""Who may do what with remote participation."""

import rules

from plenary.consultations.rules import (
    is_delegate,
    is_it_support,
    is_presiding_officer,
    is_secretariat,
)

from .models import SupportRequest


@rules.predicate
def is_interpreter(user, consultation=None) -> bool:
    if not user.is_authenticated:
        return False
    booths = user.interpreter_of.filter(active=True)
    if consultation is not None:
        booths = booths.filter(consultation=consultation)
    return booths.exists()


rules.add_perm("remote.manage", is_secretariat)
rules.add_perm("remote.support", is_it_support | is_secretariat)
rules.add_perm("remote.interpret", is_interpreter)
rules.add_perm(
    "remote.watch",
    is_secretariat | is_presiding_officer | is_it_support | is_delegate | is_interpreter,
)


def owns(support_request: SupportRequest, *, participant=None, user=None, remembered=()) -> bool:
    """Whether the person asking is the one who opened the request: its participant, its
    signed-in account, or the browser session that opened it (`remembered` ids)."""
    if participant is not None and support_request.participant_id == participant.pk:
        return True
    if user is not None and user.is_authenticated and support_request.user_id == user.pk:
        return True
    return support_request.pk in remembered
