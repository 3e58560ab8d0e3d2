"""Who may do what with a consultation. Predicates take the user and, where it matters,
the consultation."""

import rules
from django.db.models import Q

from .models import Appointment

Role = Appointment.Role


def _holds(user, role, consultation=None) -> bool:
    if not user.is_authenticated:
        return False
    appointments = user.appointments.filter(role=role)
    if consultation is not None:
        appointments = appointments.filter(
            Q(consultation=consultation) | Q(consultation__isnull=True)
        )
    return appointments.exists()


@rules.predicate
def is_secretariat(user, consultation=None) -> bool:
    return bool(user.is_authenticated and user.is_superuser) or _holds(
        user, Role.SECRETARIAT, consultation
    )


@rules.predicate
def is_presiding_officer(user, consultation=None) -> bool:
    return _holds(user, Role.PRESIDING_OFFICER, consultation)


@rules.predicate
def is_focal_point(user, consultation=None) -> bool:
    return _holds(user, Role.FOCAL_POINT, consultation)


@rules.predicate
def is_delegate(user, consultation=None) -> bool:
    return _holds(user, Role.DELEGATE, consultation) or _holds(user, Role.FOCAL_POINT, consultation)


@rules.predicate
def is_it_support(user, consultation=None) -> bool:
    return _holds(user, Role.IT_SUPPORT, consultation)


rules.add_perm("consultations.view_consultation", rules.always_allow)
rules.add_perm("consultations.edit_agenda", is_secretariat)
rules.add_perm("consultations.confirm_agenda", is_presiding_officer | is_secretariat)
rules.add_perm("consultations.chair_meeting", is_presiding_officer | is_secretariat)
# The console opens today's meetings and the rehearsal; another day's only on the
# secretariat's say (a meeting moved, a test of the room).
rules.add_perm("consultations.open_any_meeting", is_secretariat)
rules.add_perm("consultations.represent_state", is_focal_point | is_delegate)
rules.add_perm("consultations.give_support", is_it_support | is_secretariat)
rules.add_perm("core.use_admin", is_secretariat)
