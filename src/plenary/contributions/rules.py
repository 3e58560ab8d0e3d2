import rules

from plenary.consultations.rules import is_delegate, is_focal_point, is_secretariat

rules.add_perm("contributions.submit", is_focal_point | is_delegate | is_secretariat)
rules.add_perm("contributions.review", is_secretariat)
rules.add_perm("contributions.view", rules.always_allow)
