"""Who may enter the Council's membership: the secretariat (for a consultation's invited
Sector Members, the secretariat of that consultation)."""

import rules

from plenary.consultations.rules import is_secretariat

rules.add_perm("membership.manage", is_secretariat)
