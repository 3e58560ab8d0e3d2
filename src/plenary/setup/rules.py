"""Who sets up consultations: the secretariat."""

import rules

from plenary.consultations.rules import is_secretariat

rules.add_perm("setup.create_consultation", is_secretariat)
rules.add_perm("setup.edit_settings", is_secretariat)
