"""Reads for the secretariat's page of the people of a consultation: who holds each role,
who is invited, since when, and whose invitation expired."""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import Appointment
from plenary.registration.models import Delegation, FocalPoint

from .models import Invitation, VotingFocalPoint

Role = Invitation.Role
SECTIONS = [
    (_("Council Member States"), [Delegation.Category.COUNCIL]),
    (_("Observers"), [Delegation.Category.OBSERVER, Delegation.Category.PALESTINE]),
    (_("Sector Members"), [Delegation.Category.SECTOR_MEMBER]),
]


@dataclass
class Line:
    """One delegation and one role: who holds it, who is invited, and its status."""

    delegation: Delegation
    holders: list = field(default_factory=list)  # Appointment or VotingFocalPoint rows
    invitations: list = field(default_factory=list)  # not accepted, not withdrawn

    @property
    def status(self) -> str:
        if self.holders:
            return "appointed"
        if any(i.status == Invitation.Status.PENDING for i in self.invitations):
            return "invited"
        return "expired" if self.invitations else "none"


def _open_invitations(consultation):
    return list(
        Invitation.objects.filter(
            consultation=consultation, accepted_at__isnull=True, withdrawn_at__isnull=True
        )
        .select_related("state", "sector_member")
        .order_by("-created_at")
    )


def _key(state_id, sector_member_id):
    return ("state", state_id) if state_id else ("sm", sector_member_id)


def focal_points(consultation, invitations=None) -> list[tuple[str, list[Line]]]:
    """The delegations by section (Council Member States, observers, Sector Members), each
    with its focal points and open invitations."""
    invitations = _open_invitations(consultation) if invitations is None else invitations
    delegations = list(
        Delegation.objects.filter(consultation=consultation).select_related(
            "state", "sector_member"
        )
    )
    lines = {_key(d.state_id, d.sector_member_id): Line(d) for d in delegations}
    appointments = {
        (a.user_id, a.state_id): a
        for a in Appointment.objects.filter(
            consultation=consultation, role=Appointment.Role.FOCAL_POINT
        ).select_related("user")
    }
    for focal in FocalPoint.objects.filter(delegation__consultation=consultation).select_related(
        "user", "delegation"
    ):
        appointment = appointments.get((focal.user_id, focal.delegation.state_id))
        line = lines.get(_key(focal.delegation.state_id, focal.delegation.sector_member_id))
        if line is not None and appointment is not None:
            line.holders.append(appointment)
    for invitation in invitations:
        if invitation.role == Role.FOCAL_POINT:
            line = lines.get(_key(invitation.state_id, invitation.sector_member_id))
            if line is not None:
                line.invitations.append(invitation)
    return _sections(lines.values())


def _sections(lines) -> list[tuple[str, list[Line]]]:
    ordered = sorted(lines, key=lambda line: str(line.delegation).casefold())
    return [
        (label, [line for line in ordered if line.delegation.category in categories])
        for label, categories in SECTIONS
    ]


def voting_focal_points(consultation, invitations=None) -> list[Line]:
    """The Council Member States, each with its voting focal point and open invitations."""
    invitations = _open_invitations(consultation) if invitations is None else invitations
    delegations = Delegation.objects.filter(
        consultation=consultation, category=Delegation.Category.COUNCIL
    ).select_related("state")
    lines = {d.state_id: Line(d) for d in delegations}
    for voting in VotingFocalPoint.objects.filter(consultation=consultation).select_related("user"):
        if voting.state_id in lines:
            lines[voting.state_id].holders.append(voting)
    for invitation in invitations:
        if invitation.role == Role.VOTING_FOCAL_POINT and invitation.state_id in lines:
            lines[invitation.state_id].invitations.append(invitation)
    return sorted(lines.values(), key=lambda line: str(line.delegation).casefold())


def other_roles(consultation, invitations=None) -> dict:
    """Delegates, IT support, interpreters and presiding officers: appointments and open
    invitations."""
    invitations = _open_invitations(consultation) if invitations is None else invitations
    roles = [Role.DELEGATE, Role.IT_SUPPORT, Role.INTERPRETER, Role.PRESIDING_OFFICER]
    return {
        "appointments": Appointment.objects.filter(consultation=consultation, role__in=roles)
        .select_related("user", "state")
        .order_by("role", "user__email"),
        "invitations": [i for i in invitations if i.role in roles],
    }


def page(consultation) -> dict:
    invitations = _open_invitations(consultation)
    return {
        "sections": focal_points(consultation, invitations),
        "voting": voting_focal_points(consultation, invitations),
        "others": other_roles(consultation, invitations),
        "now": timezone.now(),
    }
