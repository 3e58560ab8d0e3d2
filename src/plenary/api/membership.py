"""The Council and its Member States (R3): Council terms and their seats, the right to vote,
Sector Members and those a consultation invites — membership.services, under the rule of
the secretariat's pages (membership.manage)."""

import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError

from plenary.core.errors import DomainError
from plenary.directory.models import CouncilTerm, SectorMember, State, VotingRightSuspension
from plenary.membership import queries, services
from plenary.membership.importing import MAX_BYTES

from .base import AUTH, Id, actor, consultation_for, get_or_404, responses

router = Router(tags=["membership"])
MANAGE = "membership.manage"


def _secretariat(request) -> None:
    """The secretariat only, as on its pages: 401 without a sign-in, 403 for anyone else."""
    if request.user.has_perm(MANAGE):
        return
    if request.user.is_authenticated or getattr(request, "api_participant", None):
        raise HttpError(403, _("You may not do this."))
    raise HttpError(401, _("Sign in or use an API token."))


def _state(code: str) -> State:
    """A state named by its ISO 3166 alpha-2 or alpha-3 code."""
    code = (code or "").strip().upper()
    state = State.objects.filter(iso2=code).first() or State.objects.filter(iso3=code).first()
    if state is None:
        raise DomainError(
            _("state: unknown state “%(code)s”."), code="unknown_state", params={"code": code[:10]}
        )
    return state


# --- schemas -------------------------------------------------------------------------------


class SeatIn(Schema):
    region: str = Field(max_length=100, description="A to E, or the region's name")
    state: str = Field(max_length=200, description="ISO 3166 alpha-2 or alpha-3, or a name")


class TermIn(Schema):
    name: str = Field(max_length=50)
    starts_on: datetime.date
    ends_on: datetime.date
    seat_count: int = Field(48, ge=1, le=500)
    seats: list[SeatIn] = Field(max_length=services.MAX_SEATS + 1)


class TermPatch(Schema):
    name: str | None = Field(None, max_length=50)
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    seat_count: int | None = Field(None, ge=1, le=500)


class SeatsIn(Schema):
    seats: list[SeatIn] = Field(max_length=services.MAX_SEATS + 1)


class SeatOut(Schema):
    region: str
    state: str
    name: str


class TermOut(Schema):
    id: int
    name: str
    starts_on: datetime.date
    ends_on: datetime.date
    seat_count: int
    seats_held: int


class TermDetailOut(TermOut):
    source: str
    seats: list[SeatOut]


class PreviewOut(Schema):
    ok: bool
    name: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    seat_count: int
    seats: list[SeatOut]
    problems: list[str]


class LossIn(Schema):
    state: str = Field(max_length=3, description="ISO 3166 alpha-2 or alpha-3 code")
    since: datetime.date
    reason: Literal[tuple(VotingRightSuspension.Reason.values)] = (
        VotingRightSuspension.Reason.ARREARS.value
    )
    note: str = Field("", max_length=300)


class RestoreIn(Schema):
    until: datetime.date


class LossOut(Schema):
    id: int
    state: str
    name: str
    since: datetime.date
    until: datetime.date | None
    reason: str
    note: str
    schedule_kept: bool


class SectorMemberIn(Schema):
    name: str = Field(max_length=200)
    sector: Literal[tuple(SectorMember.Sector.values)]
    state: str | None = Field(None, max_length=3, description="ISO 3166 code, optional")


class SectorMemberOut(Schema):
    id: int
    name: str
    sector: str
    state: str | None


class InviteIn(Schema):
    sector_member: Id


class DoneOut(Schema):
    done: bool = True


def _term_out(term: CouncilTerm) -> dict:
    seats = queries.seats(term)
    return {
        "id": term.pk,
        "name": term.name,
        "starts_on": term.starts_on,
        "ends_on": term.ends_on,
        "seat_count": term.seat_count,
        "seats_held": len(seats),
        "source": term.source,
        "seats": [_seat(seat.region, seat.state) for seat in seats],
    }


def _seat(region, state) -> dict:
    return {"region": region.code, "state": state.iso2, "name": str(state)}


def _preview_out(preview) -> dict:
    return {
        "ok": preview.ok,
        "name": preview.name,
        "starts_on": preview.starts_on,
        "ends_on": preview.ends_on,
        "seat_count": preview.seat_count,
        "seats": [_seat(region, state) for region, state, _where in preview.seats],
        "problems": [str(problem) for problem in preview.problems],
    }


def _loss_out(loss: VotingRightSuspension) -> dict:
    return {
        "id": loss.pk,
        "state": loss.state.iso2,
        "name": str(loss.state),
        "since": loss.since,
        "until": loss.until,
        "reason": loss.reason,
        "note": loss.note,
        "schedule_kept": loss.schedule_kept,
    }


def _member_out(member: SectorMember) -> dict:
    return {
        "id": member.pk,
        "name": member.name,
        "sector": member.sector,
        "state": member.state.iso2 if member.state_id else None,
    }


# --- Council terms -------------------------------------------------------------------------


@router.get("/council/terms", response=responses(list[TermOut]), auth=AUTH)
def list_terms(request):
    _secretariat(request)
    return list(queries.terms())


@router.post("/council/terms", response=responses(TermDetailOut, 201), auth=AUTH)
def enter_term(request, body: TermIn):
    """A new term with all its seats (as many as `seat_count`), or a refusal listing every
    problem; nothing is saved then."""
    _secretariat(request)
    term = services.enter_term(
        body.name,
        body.starts_on,
        body.ends_on,
        [seat.dict() for seat in body.seats],
        actor=actor(request),
        seat_count=body.seat_count,
    )
    return Status(201, _term_out(term))


@router.post(
    "/council/terms/import",
    response={**responses(TermDetailOut, 201), 200: PreviewOut},
    auth=AUTH,
)
def import_term(
    request,
    upload: File[UploadedFile],
    name: Form[str] = "",
    starts_on: Form[datetime.date | None] = None,
    ends_on: Form[datetime.date | None] = None,
    seat_count: Form[int] = 48,
    dry_run: Form[bool] = False,
):
    """A term from a CSV, XLSX or YAML file (region and state columns, or the shipped
    council file's format). `dry_run`: the preview, problems included, nothing saved."""
    _secretariat(request)
    if not 1 <= seat_count <= services.MAX_SEATS:
        raise DomainError(
            _("seat_count: between 1 and %(n)s."),
            code="seat_count",
            params={"n": services.MAX_SEATS},
        )
    result = services.import_term(
        upload.read(MAX_BYTES + 1),
        upload.name or "",
        actor=actor(request),
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        seat_count=seat_count,
        dry_run=dry_run,
    )
    if dry_run:
        return Status(200, _preview_out(result))
    return Status(201, _term_out(result))


@router.get("/council/terms/{term_id}", response=responses(TermDetailOut), auth=AUTH)
def get_term(request, term_id: Id):
    _secretariat(request)
    return _term_out(get_or_404(CouncilTerm.objects, pk=term_id))


@router.patch("/council/terms/{term_id}", response=responses(TermDetailOut), auth=AUTH)
def update_term(request, term_id: Id, body: TermPatch):
    _secretariat(request)
    term = get_or_404(CouncilTerm.objects, pk=term_id)
    changes = {
        key: value for key, value in body.dict(exclude_unset=True).items() if value is not None
    }
    return _term_out(services.update_term(term, actor=actor(request), **changes))


@router.put("/council/terms/{term_id}/seats", response=responses(TermDetailOut), auth=AUTH)
def replace_seats(request, term_id: Id, body: SeatsIn):
    """The term's seats replaced by the list given (all of them); the delegations of its
    consultations follow."""
    _secretariat(request)
    term = get_or_404(CouncilTerm.objects, pk=term_id)
    seats = [seat.dict() for seat in body.seats]
    return _term_out(services.replace_seats(term, seats, actor=actor(request)))


# --- the right to vote ---------------------------------------------------------------------


@router.get("/voting-rights", response=responses(list[LossOut]), auth=AUTH)
def list_losses(request):
    """The losses of the right to vote not restored today."""
    _secretariat(request)
    return [_loss_out(loss) for loss in queries.current_losses(datetime.date.today())]


@router.post("/voting-rights", response=responses(LossOut, 201), auth=AUTH)
def suspend(request, body: LossIn):
    _secretariat(request)
    loss = services.suspend_voting_right(
        _state(body.state),
        since=body.since,
        reason=body.reason,
        note=body.note,
        actor=actor(request),
    )
    return Status(201, _loss_out(loss))


@router.post("/voting-rights/{loss_id}/restore", response=responses(LossOut), auth=AUTH)
def restore(request, loss_id: Id, body: RestoreIn):
    _secretariat(request)
    loss = get_or_404(VotingRightSuspension.objects.select_related("state"), pk=loss_id)
    return _loss_out(services.restore_voting_right(loss, until=body.until, actor=actor(request)))


# --- Sector Members ------------------------------------------------------------------------


@router.get("/sector-members", response=responses(list[SectorMemberOut]), auth=AUTH)
def list_sector_members(request):
    _secretariat(request)
    return [_member_out(member) for member in queries.sector_members()]


@router.post("/sector-members", response=responses(SectorMemberOut, 201), auth=AUTH)
def create_sector_member(request, body: SectorMemberIn):
    _secretariat(request)
    state = _state(body.state) if body.state else None
    member = services.create_sector_member(body.name, body.sector, state, actor=actor(request))
    return Status(201, _member_out(member))


@router.get(
    "/consultations/{slug}/sector-members", response=responses(list[SectorMemberOut]), auth=AUTH
)
def list_invited(request, slug: str):
    consultation = consultation_for(request, slug, MANAGE)
    return [_member_out(member) for member in queries.invited(consultation)]


@router.post(
    "/consultations/{slug}/sector-members", response=responses(SectorMemberOut, 201), auth=AUTH
)
def invite(request, slug: str, body: InviteIn):
    """Invite a Sector Member (within the consultation's number per Sector); its
    delegation is made at once."""
    consultation = consultation_for(request, slug, MANAGE)
    member = get_or_404(SectorMember.objects, pk=body.sector_member)
    services.invite_sector_member(consultation, member, actor=actor(request))
    return Status(201, _member_out(member))


@router.post(
    "/consultations/{slug}/sector-members/{member_id}/uninvite",
    response=responses(DoneOut),
    auth=AUTH,
)
def uninvite(request, slug: str, member_id: Id):
    """Withdraw the invitation; refused while anyone is registered in its delegation."""
    consultation = consultation_for(request, slug, MANAGE)
    member = get_or_404(SectorMember.objects, pk=member_id)
    services.uninvite_sector_member(consultation, member, actor=actor(request))
    return {"done": True}
