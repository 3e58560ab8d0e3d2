import rules

from plenary.consultations.rules import is_focal_point, is_presiding_officer, is_secretariat

rules.add_perm("planning.view_plan", rules.always_allow)
rules.add_perm("planning.manage_plan", is_secretariat)
rules.add_perm("planning.record_progress", is_secretariat | is_presiding_officer)
rules.add_perm("planning.reply_on_items", is_focal_point)
rules.add_perm("planning.view_replies", is_secretariat | is_presiding_officer)
