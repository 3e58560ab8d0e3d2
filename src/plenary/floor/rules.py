import rules

from plenary.consultations.rules import is_presiding_officer, is_secretariat

rules.add_perm("floor.chair", is_presiding_officer | is_secretariat)
