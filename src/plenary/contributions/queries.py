"""Reads of written contributions shared by their pages and the API."""

from django.db.models import Q
from django.utils import timezone

from plenary.consultations.models import Appointment

from .models import Contribution
from .rules import BLOCKING, Standing, standing


def contributions_of(consultation):
    """The consultation's contributions, each with its item: one of another consultation is
    not found among them."""
    return Contribution.objects.select_related("item__group").filter(consultation=consultation)


def drafts_of(user, consultation):
    """The uploads `user` has still to confirm: another person's draft is not found."""
    return contributions_of(consultation).filter(created_by=user, status=Contribution.Status.DRAFT)


def uploads_of(user, consultation):
    """Whatever `user` created, submitted or not: the draft a person confirms is looked up
    here, so that a second submission of it is told "already submitted" by the service,
    which locks the row, rather than "not found"."""
    return contributions_of(consultation).filter(created_by=user)


def focal_points_of(consultation, states) -> dict[int, list]:
    """The focal points of each state in the consultation, {state id: [user, …]}: the only
    people who confirm or decline its co-submissions (R19). A state without one is absent."""
    appointments = (
        Appointment.objects.filter(
            role=Appointment.Role.FOCAL_POINT,
            state__in=list(states),
            user__is_active=True,
        )
        .filter(Q(consultation=consultation) | Q(consultation__isnull=True))
        .select_related("user")
        .order_by("user__email")
    )
    found: dict[int, list] = {}
    for appointment in appointments:
        users = found.setdefault(appointment.state_id, [])
        if appointment.user not in users:
            users.append(appointment.user)
    return found


def with_standings(contributions, *, now=None) -> list[Contribution]:
    """The contributions, each row of its submitting states given `standing` (rules.Standing)
    and `focal_points` (the users who answer for it); and each contribution `blocking`,
    the rows that hold its publication back. Two queries, whatever the number."""
    now = now or timezone.now()
    contributions = list(contributions.prefetch_related("states__state__official_names"))
    by_consultation: dict[int, list[Contribution]] = {}
    for contribution in contributions:
        by_consultation.setdefault(contribution.consultation_id, []).append(contribution)
    for group in by_consultation.values():
        consultation = group[0].consultation
        states = {row.state_id for c in group for row in c.states.all()}
        points = focal_points_of(consultation, states)
        for contribution in group:
            contribution.rows = list(contribution.states.all())
            for row in contribution.rows:
                row.focal_points = points.get(row.state_id, [])
                row.standing = standing(
                    lead=row.lead,
                    confirmed=row.confirmed_at is not None,
                    declined=row.declined_at is not None,
                    has_focal_point=bool(row.focal_points),
                    now=now,
                    deadline=consultation.contribution_deadline,
                )
            contribution.blocking = [r for r in contribution.rows if r.standing in BLOCKING]
    return contributions


def awaiting_answer_of(user, consultation, *, now=None) -> list[tuple[Contribution, object]]:
    """The co-submissions `user`, as a state's focal point, has still to confirm or decline:
    (contribution, row) pairs, oldest first."""
    if not user.is_authenticated:
        return []
    states = Appointment.objects.filter(
        user=user, role=Appointment.Role.FOCAL_POINT, state__isnull=False
    ).filter(Q(consultation=consultation) | Q(consultation__isnull=True))
    state_ids = set(states.values_list("state_id", flat=True))
    if not state_ids:
        return []
    pending = contributions_of(consultation).filter(
        status=Contribution.Status.SUBMITTED,
        states__state_id__in=state_ids,
        states__lead=False,
        states__confirmed_at__isnull=True,
        states__declined_at__isnull=True,
    )
    found = []
    for contribution in with_standings(pending.distinct().order_by("submitted_at"), now=now):
        for row in contribution.rows:
            if row.state_id in state_ids and row.standing is Standing.AWAITING:
                found.append((contribution, row))
    return found
