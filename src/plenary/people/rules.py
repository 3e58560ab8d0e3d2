"""Who invites the people who staff a consultation: the secretariat."""

import rules

from plenary.consultations.rules import is_secretariat

rules.add_perm("people.manage", is_secretariat)
