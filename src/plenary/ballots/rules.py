"""Who may do what with a decision by correspondence (R27).

The secretariat runs a ballot: launches it, names the states' voting focal points, enters
the replies received by e-mail, closes it and sends the reminders. A launch needs the
approval of a presiding officer. Replying is for the state's voting focal point, an
elector of this ballot, which only ballots.services.cast can tell."""

import rules

from plenary.consultations.rules import is_presiding_officer, is_secretariat

rules.add_perm("ballots.manage", is_secretariat)
rules.add_perm("ballots.approve", is_presiding_officer)
