"""The secretariat invites the people who staff a consultation: a state's focal point, its
voting focal point, delegates, IT support, interpreters, the presiding officer. An
invitation is one mail in the invitee's language with a personal link; accepting it makes
the account (if needed) and the appointment in one step, through the registration and
ballot services. Each function is transactional and audited; a refusal changes nothing."""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.ballots import services as ballots
from plenary.ballots.models import Ballot, Elector
from plenary.consultations.models import Appointment, Consultation
from plenary.core import audit
from plenary.core.errors import DomainError
from plenary.core.mail import mail_in_language
from plenary.core.tokens import token_hash
from plenary.directory.models import SectorMember, State
from plenary.registration import services as registration
from plenary.registration.models import Delegation, FocalPoint

from . import importing
from .models import Invitation, VotingFocalPoint

Role = Invitation.Role
# The roles held on behalf of a state (or, for a focal point, of a Sector Member).
STATE_ROLES = {Role.FOCAL_POINT, Role.VOTING_FOCAL_POINT, Role.DELEGATE}
DUTIES = {
    Role.FOCAL_POINT: _(
        "The focal point approves the registrations of the delegation, names its speakers "
        "and asks for extra speakers."
    ),
    Role.VOTING_FOCAL_POINT: _(
        "The voting focal point replies for the state to the decisions by correspondence "
        "of the consultation."
    ),
    Role.DELEGATE: _("A delegate represents the state and may submit its contributions."),
    Role.IT_SUPPORT: _("IT support answers the participants' requests for technical help."),
    Role.INTERPRETER: _("An interpreter interprets the meetings from a booth."),
    Role.PRESIDING_OFFICER: _(
        "The presiding officer chairs the meetings and approves the decisions by correspondence."
    ),
}
MAX_TOKEN = 100


@dataclass
class Invitee:
    """What an invitation says, checked (`check`)."""

    email: str
    name: str
    language: str
    role: str
    state: State | None = None
    sector_member: SectorMember | None = None
    has_account: bool = False


def _may_manage(actor, consultation: Consultation) -> None:
    if not (actor and actor.has_perm("people.manage", consultation)):
        raise DomainError(
            _("Only the secretariat invites the people of a consultation."), code="not_secretariat"
        )


def accept_url(language: str, token: str) -> str:
    return f"{settings.PLENARY_BASE_URL}/{language}/invitation/{token}/"


def _default_language(consultation: Consultation) -> str:
    languages = consultation.languages or []
    return "en" if "en" in languages or not languages else languages[0]


def check(consultation, *, email, name="", language="", role="", state=None, sector_member=None):
    """The refusals of an invitation, in order: the address, the role, the language, the
    state the role needs, an appointment already held, an invitation already pending."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            _("E-mail address: “%(email)s” is not a valid address."),
            code="bad_email",
            params={"email": email[:100]},
        ) from None
    role = role or Role.FOCAL_POINT
    if role not in Role.values:
        raise DomainError(
            _("Role: “%(role)s” is not a role one can be invited to."),
            code="unknown_role",
            params={"role": str(role)[:50]},
        )
    language = language or _default_language(consultation)
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise DomainError(
            _("Language: “%(language)s” is not one of the six languages."),
            code="unknown_language",
            params={"language": str(language)[:20]},
        )
    invitee = Invitee(email, (name or "").strip()[:200], language, role)
    _check_delegation(consultation, invitee, state, sector_member)
    _check_not_held(consultation, invitee)
    return invitee


def _check_delegation(consultation, invitee: Invitee, state, sector_member) -> None:
    if invitee.role not in STATE_ROLES:
        return
    if sector_member is not None and invitee.role == Role.FOCAL_POINT:
        if not consultation.sector_members.filter(pk=sector_member.pk).exists():
            raise DomainError(
                _("Delegation: this Sector Member is not invited to the consultation."),
                code="wrong_delegation",
            )
        invitee.sector_member = sector_member
        return
    if state is None:
        raise DomainError(
            _("State: the role “%(role)s” is held for a state; choose one."),
            code="state_required",
            params={"role": Role(invitee.role).label},
        )
    if not state.is_member_on(consultation.starts_on) and state.status != State.Status.OBSERVER:
        raise DomainError(
            _("State: %(state)s is not a Member State on the dates of the consultation."),
            code="not_member",
            params={"state": str(state)},
        )
    if invitee.role == Role.VOTING_FOCAL_POINT and not state.council_seats.filter(
        term=consultation.council_term
    ):
        raise DomainError(
            _("State: %(state)s is not a Council Member State; only they vote by correspondence."),
            code="not_council_member",
            params={"state": str(state)},
        )
    invitee.state = state


def _holds(consultation, invitee: Invitee, user) -> bool:
    if invitee.role == Role.VOTING_FOCAL_POINT:
        return VotingFocalPoint.objects.filter(
            consultation=consultation, state=invitee.state, user=user
        ).exists()
    if invitee.sector_member is not None:
        return FocalPoint.objects.filter(
            user=user,
            delegation__consultation=consultation,
            delegation__sector_member=invitee.sector_member,
        ).exists()
    return Appointment.objects.filter(
        user=user, role=invitee.role, consultation=consultation, state=invitee.state
    ).exists()


def _check_not_held(consultation, invitee: Invitee) -> None:
    user = get_user_model().objects.filter(email__iexact=invitee.email).first()
    invitee.has_account = user is not None
    if user is not None and _holds(consultation, invitee, user):
        raise DomainError(
            _("E-mail address: %(email)s already holds this appointment."),
            code="already_appointed",
            params={"email": invitee.email},
        )
    if (
        pending(consultation)
        .filter(
            email=invitee.email,
            role=invitee.role,
            state=invitee.state,
            sector_member=invitee.sector_member,
        )
        .exists()
    ):
        raise DomainError(
            _("E-mail address: %(email)s has already been invited to this role."),
            code="already_invited",
            params={"email": invitee.email},
        )


def pending(consultation):
    """The consultation's invitations that can still be accepted."""
    return Invitation.objects.filter(
        consultation=consultation,
        accepted_at__isnull=True,
        withdrawn_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


# --- inviting ---------------------------------------------------------------------------------


def invite(consultation: Consultation, *, actor, **fields) -> Invitation:
    """Invite one person (fields: email, name, language, role, state, sector_member): the
    invitation and its one mail, in one transaction."""
    _may_manage(actor, consultation)
    with transaction.atomic():
        # One invitation at a time per consultation: the duplicate check holds.
        Consultation.objects.select_for_update().filter(pk=consultation.pk).first()
        invitee = check(consultation, **fields)
        now = timezone.now()
        token = secrets.token_urlsafe(32)  # 256 bits; only its hash is kept
        invitation = Invitation.objects.create(
            consultation=consultation,
            email=invitee.email,
            name=invitee.name,
            language=invitee.language,
            role=invitee.role,
            state=invitee.state,
            sector_member=invitee.sector_member,
            token_hash=token_hash(token),
            created_by=actor,
            created_at=now,
            sent_at=now,
            expires_at=now + timedelta(days=settings.PLENARY_INVITATION_DAYS),
        )
        audit.record(
            "people.invited",
            actor=actor,
            target=invitation,
            data={"email": invitee.email, "role": invitee.role, "for": invitation.delegation_label},
        )
        _mail(invitation, token)
    return invitation


def _mail(invitation: Invitation, token: str) -> None:
    consultation = invitation.consultation
    mail_in_language(
        to=invitation.email,
        language=invitation.language,
        subject=_("Invitation: %(role)s for %(consultation)s"),
        params={"role": Role(invitation.role).label, "consultation": consultation.acronym},
        template="people/email/invitation.txt",
        context={
            "invitation": invitation,
            "consultation": consultation,
            "url": accept_url(invitation.language, token),
            "role": Role(invitation.role).label,
            "duties": DUTIES[invitation.role],
            "inviter": invitation.created_by,
        },
    )


def resend(invitation: Invitation, *, actor) -> Invitation:
    """A new link, valid for the full period again; the previous one stops working."""
    _may_manage(actor, invitation.consultation)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status in (Invitation.Status.ACCEPTED, Invitation.Status.WITHDRAWN):
            raise DomainError(
                _("This invitation has been accepted or withdrawn: it cannot be sent again."),
                code="not_pending",
            )
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation.token_hash = token_hash(token)
        invitation.sent_at = now
        invitation.expires_at = now + timedelta(days=settings.PLENARY_INVITATION_DAYS)
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
        audit.record("people.invitation_resent", actor=actor, target=invitation)
        _mail(invitation, token)
    return invitation


def withdraw_invitation(invitation: Invitation, *, actor) -> Invitation:
    _may_manage(actor, invitation.consultation)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status in (Invitation.Status.ACCEPTED, Invitation.Status.WITHDRAWN):
            raise DomainError(
                _("This invitation has been accepted or withdrawn already."), code="not_pending"
            )
        invitation.withdrawn_at = timezone.now()
        invitation.save(update_fields=["withdrawn_at"])
        audit.record(
            "people.invitation_withdrawn",
            actor=actor,
            target=invitation,
            data={"email": invitation.email},
        )
    return invitation


def withdraw_appointment(appointment: Appointment, *, actor) -> None:
    """The role ends (registration.withdraw_role: a focal point's delegation record with it)."""
    _may_manage(actor, appointment.consultation)
    registration.withdraw_role(appointment, actor=actor)


def withdraw_voting_focal_point(voting: VotingFocalPoint, *, actor) -> None:
    """The state has no voting focal point any more: on its open ballots neither."""
    _may_manage(actor, voting.consultation)
    with transaction.atomic():
        cleared = Elector.objects.filter(
            ballot__consultation=voting.consultation,
            ballot__status=Ballot.Status.OPEN,
            state=voting.state,
            focal_point=voting.user,
        ).update(focal_point=None)
        audit.record(
            "people.voting_focal_point_withdrawn",
            actor=actor,
            target=voting.consultation,
            data={"state": voting.state.iso2, "user": voting.user.email, "ballots": cleared},
        )
        voting.delete()


# --- accepting --------------------------------------------------------------------------------


def resolve(token: str) -> Invitation:
    """The invitation behind a token, if it can still be accepted."""
    if not token or len(token) > MAX_TOKEN or not token.replace("-", "").replace("_", "").isalnum():
        raise DomainError(_("This invitation link is not valid."), code="bad_invitation")
    invitation = (
        Invitation.objects.select_related("consultation", "state", "sector_member", "created_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        audit.record("people.invitation_refused", data={"why": "unknown"})
        raise DomainError(_("This invitation link is not valid."), code="bad_invitation")
    if invitation.withdrawn_at is not None:
        raise DomainError(
            _("This invitation has been withdrawn by the secretariat."),
            code="invitation_withdrawn",
        )
    if invitation.accepted_at is not None:
        raise DomainError(
            _("This invitation has already been accepted. Sign in to continue."),
            code="invitation_used",
        )
    if invitation.expires_at <= timezone.now():
        raise DomainError(
            _("This invitation has expired. Ask the secretariat (%(mailbox)s) for a new one."),
            code="invitation_expired",
            params={"mailbox": invitation.consultation.registration_email},
        )
    return invitation


def account_for(invitation: Invitation):
    return get_user_model().objects.filter(email__iexact=invitation.email).first()


def accept(token: str, *, user=None, name: str = "", password: str = ""):
    """Accept an invitation: as the signed-in account of the invited address, or, for an
    address without an account, with a new account (name and password). The appointment
    is made in the same transaction. Returns the account."""
    with transaction.atomic():
        invitation = resolve(token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        resolve(token)  # again, now that the row is locked: a second click finds it used
        if user is not None and user.is_authenticated:
            if user.email.lower() != invitation.email:
                audit.record(
                    "people.invitation_refused",
                    actor=user,
                    target=invitation,
                    data={"why": "wrong_account"},
                )
                raise DomainError(
                    _("This invitation is for %(email)s; you are signed in with another account."),
                    code="wrong_account",
                    params={"email": invitation.email},
                )
        else:
            user = _new_account(invitation, name, password)
        _appoint(invitation, user)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            "people.invitation_accepted",
            actor=user,
            target=invitation,
            data={"role": invitation.role, "for": invitation.delegation_label},
        )
    return user


def _new_account(invitation: Invitation, name: str, password: str):
    # allauth's address record: the invitation proved the address.
    from allauth.account.models import EmailAddress

    if account_for(invitation) is not None:
        raise DomainError(
            _("An account exists for %(email)s: sign in to accept."),
            code="account_exists",
            params={"email": invitation.email},
        )
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise DomainError(_("Name: give your name (at most 200 characters)."), code="no_name")
    User = get_user_model()
    user = User(email=invitation.email, full_name=name, language=invitation.language)
    try:
        password_validation.validate_password(password or "", user)
    except ValidationError as error:
        raise DomainError(
            _("Password: %(problems)s"),
            code="bad_password",
            params={"problems": " ".join(error.messages)},
        ) from None
    user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    audit.record("people.account_created", actor=user, target=invitation)
    return user


def _appoint(invitation: Invitation, user) -> None:
    """The appointment the invitation is for, decided by whoever invited."""
    consultation, actor = invitation.consultation, invitation.created_by
    if invitation.role == Role.VOTING_FOCAL_POINT:
        appoint_voting_focal_point(consultation, invitation.state, user, actor=actor)
    elif invitation.sector_member_id is not None:
        delegation = Delegation.objects.get(
            consultation=consultation, sector_member=invitation.sector_member
        )
        registration.appoint_focal_point(delegation, user, actor=actor)
    else:
        registration.grant_role(
            user,
            invitation.role,
            consultation=consultation,
            state=invitation.state if invitation.role in STATE_ROLES else None,
            actor=actor,
        )


def appoint_voting_focal_point(consultation, state: State, user, *, actor) -> VotingFocalPoint:
    """The state's voting focal point for the consultation: named on each open ballot now,
    and on each ballot launched later (`name_on_new_ballot`)."""
    with transaction.atomic():
        voting, _created = VotingFocalPoint.objects.update_or_create(
            consultation=consultation, state=state, defaults={"user": user}
        )
        audit.record(
            "people.voting_focal_point_appointed",
            actor=actor,
            target=voting,
            data={"state": state.iso2, "user": user.email},
        )
        for ballot in consultation.ballots.filter(status=Ballot.Status.OPEN):
            if ballot.electors.filter(state=state).exists():
                ballots.appoint_voting_focal_point(ballot, state, user, actor=actor)
    return voting


def name_on_new_ballot(elector: Elector) -> None:
    """A ballot's new elector gets the state's standing voting focal point, if it has one,
    with the ballot's invitation; decided by whoever launched the ballot."""
    ballot = elector.ballot
    voting = VotingFocalPoint.objects.filter(
        consultation_id=ballot.consultation_id, state_id=elector.state_id
    ).first()
    if voting is not None and elector.focal_point_id is None:
        ballots.appoint_voting_focal_point(
            ballot, elector.state, voting.user, actor=ballot.launched_by
        )


# --- many at once, from a file ------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What a file will do, row by row; `applied` once the invitations are sent."""

    rows: list[dict] = field(default_factory=list)
    applied: bool = False


def import_invitations(
    consultation: Consultation, rows: list[importing.CsvRow], *, actor, apply: bool = False
) -> ImportPlan:
    """Check every row (every problem named by its line, all of them at once); with
    `apply`, send all the invitations in one transaction: all or none."""
    _may_manage(actor, consultation)
    plan, problems = _plan(consultation, rows)
    if problems:
        raise _refusal(problems[0][1], [text for text, _refused in problems])
    if not apply:
        return plan
    with transaction.atomic():
        for row in plan.rows:
            invite(consultation, actor=actor, **row["fields"])
        audit.record(
            "people.invitations_imported",
            actor=actor,
            target=consultation,
            data={"invitations": len(plan.rows)},
        )
    plan.applied = True
    return plan


def _refusal(first: DomainError, problems: list[str]) -> DomainError:
    """One refusal for all the problems of a file (its code the first one's); `problems`
    and `details` keep them one by one for the page and the API to list."""
    error = DomainError(
        _("%(count)s problems: %(problems)s") if len(problems) > 1 else _("%(problems)s"),
        code=first.code,
        params={"count": len(problems), "problems": "; ".join(problems)},
        details=problems,
    )
    error.problems = problems
    return error


def _plan(consultation, rows: list[importing.CsvRow]) -> tuple[ImportPlan, list[tuple]]:
    """Each row checked as `invite` will check it, plus what only a list can get wrong: a
    state or a role not recognised, a row given twice."""
    states, roles = importing.StateIndex(), importing.choice_index(Role.choices)
    languages = importing.language_index()
    plan, problems, seen = ImportPlan(), [], {}
    for row in rows:
        where = importing.line(row.line)
        try:
            state = states.find(row.state) if row.state else None
            if row.state and state is None:
                raise DomainError(
                    _("State: “%(state)s” is not a state (give its ISO code or its name)."),
                    code="unknown_state",
                    params={"state": row.state[:100]},
                )
            role = roles.get(importing.normalize(row.role), row.role) if row.role else ""
            language = (
                languages.get(importing.normalize(row.language), row.language)
                if row.language
                else ""
            )
            invitee = check(
                consultation,
                email=row.email,
                name=row.name,
                language=language,
                role=role,
                state=state,
            )
            key = (invitee.role, invitee.state.pk if invitee.state else None)
            if invitee.role != Role.VOTING_FOCAL_POINT:
                key += (invitee.email,)
            if key in seen:
                raise DomainError(
                    _("repeats %(other)s."), code="listed_twice", params={"other": seen[key]}
                )
            seen[key] = where
        except DomainError as refused:
            problems.append((f"{where}: {refused.user_message()}", refused))
            continue
        plan.rows.append(_planned(row, invitee))
    return plan, problems


def _planned(row: importing.CsvRow, invitee: Invitee) -> dict:
    return {
        "line": row.line,
        "state": str(invitee.state) if invitee.state else "",
        "email": invitee.email,
        "name": invitee.name,
        "language": invitee.language,
        "role": invitee.role,
        "role_label": str(Role(invitee.role).label),
        "has_account": invitee.has_account,
        "fields": {
            "email": invitee.email,
            "name": invitee.name,
            "language": invitee.language,
            "role": invitee.role,
            "state": invitee.state,
        },
    }
