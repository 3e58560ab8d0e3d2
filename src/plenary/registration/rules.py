import rules

from plenary.consultations.rules import is_focal_point, is_secretariat

from .models import Participant


@rules.predicate
def is_participant(user, consultation=None) -> bool:
    if not user.is_authenticated:
        return False
    participations = user.participations.filter(status=Participant.Status.APPROVED)
    if consultation is not None:
        participations = participations.filter(consultation=consultation)
    return participations.exists()


rules.add_perm("registration.register", rules.always_allow)
rules.add_perm("registration.manage", is_secretariat)
rules.add_perm("registration.manage_delegation", is_focal_point | is_secretariat)
rules.add_perm("registration.view_focal_points", is_focal_point | is_secretariat | is_participant)
