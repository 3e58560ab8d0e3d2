"""The people of a consultation (people.services, the rule people.manage): who holds each
role and who is invited; invite one person or many from a CSV file, send an invitation
again, withdraw an invitation or an appointment. Accepting stays a page: the invitee's
link."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from plenary.consultations.models import Appointment
from plenary.core.errors import DomainError
from plenary.directory.models import SectorMember
from plenary.people import importing, services
from plenary.people.models import Invitation, VotingFocalPoint

from .base import AUTH, Id, actor, consultation_for, get_or_404, responses

router = Router(tags=["people"])
MANAGE = "people.manage"


class InvitationOut(Schema):
    id: int
    email: str
    name: str
    language: str
    role: str
    state: str | None
    sector_member: int | None
    status: str
    created_at: datetime
    sent_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    withdrawn_at: datetime | None

    @staticmethod
    def resolve_state(invitation):
        return invitation.state.iso2 if invitation.state_id else None

    @staticmethod
    def resolve_sector_member(invitation):
        return invitation.sector_member_id


class AppointmentOut(Schema):
    id: int
    role: str
    email: str
    state: str | None

    @staticmethod
    def resolve_email(row):
        return row.user.email

    @staticmethod
    def resolve_state(row):
        return row.state.iso2 if row.state_id else None


class VotingOut(Schema):
    id: int
    email: str
    state: str

    @staticmethod
    def resolve_email(row):
        return row.user.email

    @staticmethod
    def resolve_state(row):
        return row.state.iso2


class PeopleOut(Schema):
    invitations: list[InvitationOut]
    appointments: list[AppointmentOut]
    voting_focal_points: list[VotingOut]


class InviteIn(Schema):
    email: str = Field(max_length=254)
    name: str = Field("", max_length=200)
    language: str = Field("", max_length=10, description="empty: the consultation's")
    role: str = Field(Invitation.Role.FOCAL_POINT, max_length=30)
    state: str | None = Field(None, max_length=100, description="ISO code or name")
    sector_member: Id | None = None


class WithdrawnOut(Schema):
    withdrawn: bool


class ImportRowOut(Schema):
    line: int
    state: str
    email: str
    name: str
    language: str
    role: str
    has_account: bool


class ImportOut(Schema):
    applied: bool
    rows: list[ImportRowOut]


@router.get("/{slug}/people", response=responses(PeopleOut), auth=AUTH)
def list_people(request, slug: str):
    consultation = consultation_for(request, slug, MANAGE)
    appointments = Appointment.objects.filter(consultation=consultation).exclude(
        role=Appointment.Role.SECRETARIAT
    )
    voting = VotingFocalPoint.objects.filter(consultation=consultation)
    return {
        "invitations": consultation.invitations.select_related("state"),
        "appointments": appointments.select_related("user", "state"),
        "voting_focal_points": voting.select_related("user", "state"),
    }


@router.post("/{slug}/invitations", response=responses(InvitationOut, 201), auth=AUTH)
def invite(request, slug: str, body: InviteIn):
    consultation = consultation_for(request, slug, MANAGE)
    state = None
    if body.state:
        state = importing.StateIndex().find(body.state)
        if state is None:
            raise DomainError(
                _("State: “%(state)s” is not a state (give its ISO code or its name).")
                % {"state": body.state[:100]},
                code="unknown_state",
            )
    sector_member = (
        get_or_404(SectorMember.objects, pk=body.sector_member) if body.sector_member else None
    )
    fields = body.dict(exclude={"state", "sector_member"})
    invitation = services.invite(
        consultation, actor=actor(request), state=state, sector_member=sector_member, **fields
    )
    return Status(201, invitation)


@router.post("/{slug}/invitations/import", response=responses(ImportOut), auth=AUTH)
def import_invitations(request, slug: str, file: File[UploadedFile], dry_run: Form[bool] = True):
    """A CSV file (state, email, name, language, role): every row checked, every problem
    named by its line; the invitations sent, all in one transaction, when `dry_run` is false."""
    consultation = consultation_for(request, slug, MANAGE)
    rows = importing.read(file.read(importing.MAX_BYTES + 1))
    plan = services.import_invitations(consultation, rows, actor=actor(request), apply=not dry_run)
    return {"applied": plan.applied, "rows": plan.rows}


@router.post(
    "/{slug}/invitations/{invitation_id}/resend", response=responses(InvitationOut), auth=AUTH
)
def resend(request, slug: str, invitation_id: Id):
    consultation = consultation_for(request, slug, MANAGE)
    invitation = get_or_404(consultation.invitations, pk=invitation_id)
    return services.resend(invitation, actor=actor(request))


@router.post(
    "/{slug}/invitations/{invitation_id}/withdraw", response=responses(InvitationOut), auth=AUTH
)
def withdraw_invitation(request, slug: str, invitation_id: Id):
    consultation = consultation_for(request, slug, MANAGE)
    invitation = get_or_404(consultation.invitations, pk=invitation_id)
    return services.withdraw_invitation(invitation, actor=actor(request))


@router.post(
    "/{slug}/appointments/{appointment_id}/withdraw", response=responses(WithdrawnOut), auth=AUTH
)
def withdraw_appointment(request, slug: str, appointment_id: Id):
    consultation = consultation_for(request, slug, MANAGE)
    appointment = get_or_404(consultation.appointments, pk=appointment_id)
    services.withdraw_appointment(appointment, actor=actor(request))
    return {"withdrawn": True}


@router.post(
    "/{slug}/voting-focal-points/{voting_id}/withdraw", response=responses(WithdrawnOut), auth=AUTH
)
def withdraw_voting_focal_point(request, slug: str, voting_id: Id):
    consultation = consultation_for(request, slug, MANAGE)
    voting = get_or_404(consultation.voting_focal_points, pk=voting_id)
    services.withdraw_voting_focal_point(voting, actor=actor(request))
    return {"withdrawn": True}
