"""Who may do what with remote participation."""

import rules

from plenary.consultations.rules import (
    is_delegate,
    is_it_support,
    is_presiding_officer,
    is_secretariat,
)


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
