"""Who may read the statements for interpreters: the consultation's interpreters and the
secretariat (which meeting's, and until when, the services and queries decide)."""

import rules

from plenary.consultations.rules import is_secretariat
from plenary.remote.rules import is_interpreter

rules.add_perm("statements.read", is_secretariat | is_interpreter)
