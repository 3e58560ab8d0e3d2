"""The Council and its Member States as the secretariat enters them: Council terms and their
seats, the right to vote lost and restored, Sector Members and those a consultation invites.

Each function checks in order, changes everything in one transaction and records it in the
audit trail; a refusal is a DomainError naming the field or the line, and changes nothing.
A term's seats decide the category of the delegations of every consultation of that term,
so a change of seats is followed by registration.services.setup_delegations."""

import datetime
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plenary.consultations.models import Consultation
from plenary.core import audit
from plenary.core.errors import DomainError
from plenary.directory import services as directory
from plenary.directory.models import (
    CouncilSeat,
    CouncilTerm,
    Region,
    SectorMember,
    State,
    VotingRightSuspension,
)
from plenary.registration.models import Delegation
from plenary.registration.services import setup_delegations

from . import importing
from .importing import Problem, SeatRow

MAX_SEATS = 500
NAME_LENGTH = CouncilTerm._meta.get_field("name").max_length


def _problem(where: str, message, code: str, **params) -> Problem:
    return Problem(where, DomainError(message, code=code, params=params))


def _may_manage(actor, consultation=None) -> None:
    if actor is None or not actor.has_perm("membership.manage", consultation):
        raise DomainError(
            _("Only the secretariat enters the Council's membership."), code="not_secretariat"
        )


# --- Council terms ---------------------------------------------------------------------------


@dataclass
class Preview:
    """A term as it would be saved: its seats (region, state, where written) and what is wrong."""

    name: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    seat_count: int
    seats: list[tuple[Region, State, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def by_region(self) -> list[tuple[Region, list[State]]]:
        regions: dict[str, tuple[Region, list[State]]] = {}
        for region, state, _where in self.seats:
            regions.setdefault(region.code, (region, []))[1].append(state)
        return [
            (region, sorted(states, key=lambda s: str(s).casefold()))
            for _code, (region, states) in sorted(regions.items())
        ]

    def refusal(self) -> DomainError:
        return importing.refusal(self.problems[0].refusal, self.problems)


def as_rows(seats) -> list[SeatRow]:
    """Seats as the API and the services take them — (region, state) pairs, or mappings
    with `region` and `state` — as rows named "seat 1", "seat 2"…"""
    rows = []
    for number, seat in enumerate(seats, start=1):
        region, state = (seat["region"], seat["state"]) if isinstance(seat, dict) else seat
        rows.append(SeatRow(_("seat %(n)s") % {"n": number}, str(region), str(state)))
    return rows


def check_term(name, starts_on, ends_on, rows, *, seat_count=48, term=None) -> Preview:
    """Everything wrong with a term and its seats, nothing written: its name, its dates,
    then each seat (region, state, membership on the first day, listed twice), then their
    number."""
    name = (name or "").strip()
    preview = Preview(name, starts_on, ends_on, seat_count)
    problems = preview.problems
    if not name:
        problems.append(
            _problem(_("name"), gettext_lazy("a name is needed, e.g. 2023-2026"), "invalid")
        )
    elif len(name) > NAME_LENGTH:
        problems.append(
            _problem(_("name"), gettext_lazy("at most %(n)s characters"), "invalid", n=NAME_LENGTH)
        )
    elif CouncilTerm.objects.filter(name=name).exclude(pk=getattr(term, "pk", None)).exists():
        problems.append(
            _problem(
                _("name"),
                gettext_lazy("a term named “%(name)s” already exists"),
                "name_taken",
                name=name,
            )
        )
    if starts_on is None or ends_on is None:
        problems.append(
            _problem(_("dates"), gettext_lazy("the first and the last day are needed"), "bad_dates")
        )
    elif ends_on <= starts_on:
        problems.append(
            _problem(
                _("dates"),
                gettext_lazy("the term ends (%(end)s) before it starts (%(start)s)"),
                "bad_dates",
                end=ends_on.isoformat(),
                start=starts_on.isoformat(),
            )
        )
    if not 1 <= seat_count <= MAX_SEATS:
        problems.append(
            _problem(
                _("seats on the Council"),
                gettext_lazy("between 1 and %(n)s"),
                "seat_count",
                n=MAX_SEATS,
            )
        )
    _check_seats(preview, rows)
    if len(rows) != seat_count:
        problems.append(
            _problem(
                "",
                gettext_lazy("%(listed)s seats listed; the term has %(count)s"),
                "seat_count",
                listed=len(rows),
                count=seat_count,
            )
        )
    return preview


def _check_seats(preview: Preview, rows: list[SeatRow]) -> None:
    """Each row's region and state, the state a Member State on the term's first day, in
    the region it is listed under, and listed once."""
    regions = list(Region.objects.all())
    states = importing.StateIndex()
    first_day = preview.starts_on or datetime.date.today()
    listed: dict[int, str] = {}
    for row in rows:
        region = importing.find_region(row.region, regions)
        state, ambiguous = states.find(row.state)
        if region is None:
            preview.problems.append(
                _problem(
                    row.where,
                    gettext_lazy("unknown region “%(region)s” (A to E)"),
                    "unknown_region",
                    region=row.region[:50],
                )
            )
        if state is None:
            message = (
                gettext_lazy("“%(state)s” names more than one state; give its ISO code")
                if ambiguous
                else gettext_lazy("unknown state “%(state)s”")
            )
            preview.problems.append(
                _problem(row.where, message, "unknown_state", state=row.state[:100])
            )
            continue
        if not state.is_member_on(first_day):
            preview.problems.append(
                _problem(
                    row.where,
                    gettext_lazy(
                        "%(state)s is not a Member State on %(day)s, the term's first day"
                    ),
                    "not_member",
                    state=str(state),
                    day=first_day.isoformat(),
                )
            )
        elif region is not None and state.region_id != region.pk:
            preview.problems.append(
                _problem(
                    row.where,
                    gettext_lazy("%(state)s is in region %(right)s, not %(wrong)s"),
                    "wrong_region",
                    state=str(state),
                    right=state.region.code if state.region else "?",
                    wrong=region.code,
                )
            )
        if state.pk in listed:
            preview.problems.append(
                _problem(
                    row.where,
                    gettext_lazy("%(state)s is listed twice (also %(other)s)"),
                    "listed_twice",
                    state=str(state),
                    other=listed[state.pk],
                )
            )
            continue
        listed[state.pk] = row.where
        if region is not None:
            preview.seats.append((region, state, row.where))


def enter_term(name, starts_on, ends_on, seats, *, actor, seat_count=48, source="") -> CouncilTerm:
    """A new Council term with all its seats, or nothing (DomainError listing every problem)."""
    _may_manage(actor)
    rows = seats if all(isinstance(seat, SeatRow) for seat in seats) else as_rows(seats)
    preview = check_term(name, starts_on, ends_on, rows, seat_count=seat_count)
    return _save(preview, actor=actor, source=source)


def _save(preview: Preview, *, actor, source="") -> CouncilTerm:
    """A checked term written with its seats, in one transaction, audited."""
    if not preview.ok:
        raise preview.refusal()
    try:
        with transaction.atomic():
            term = CouncilTerm.objects.create(
                name=preview.name,
                starts_on=preview.starts_on,
                ends_on=preview.ends_on,
                seat_count=preview.seat_count,
                source=source[:300],
            )
            _store_seats(term, preview)
            audit.record(
                "membership.term_entered",
                actor=actor,
                target=term,
                data={
                    "name": term.name,
                    "starts_on": term.starts_on,
                    "ends_on": term.ends_on,
                    "seats": _codes(preview),
                },
            )
    except IntegrityError:
        # Another secretary saved a term of the same name meanwhile.
        raise DomainError(
            _("A term named “%(name)s” already exists."),
            code="name_taken",
            params={"name": preview.name},
        ) from None
    return term


def _store_seats(term: CouncilTerm, preview: Preview) -> None:
    CouncilSeat.objects.bulk_create(
        CouncilSeat(term=term, state=state, region=region)
        for region, state, _where in preview.seats
    )


def _codes(preview: Preview) -> dict[str, list[str]]:
    return {region.code: sorted(s.iso2 for s in states) for region, states in preview.by_region()}


def _follow(term: CouncilTerm) -> int:
    """The delegations of every consultation of the term follow its seats (a state that
    gained a seat is a Council Member State there, one that lost it an observer)."""
    consultations = Consultation.objects.filter(council_term=term)
    for consultation in consultations:
        setup_delegations(consultation)
    return len(consultations)


def replace_seats(term: CouncilTerm, seats, *, actor) -> CouncilTerm:
    """The term's seats replaced by a new list (all or nothing), and its consultations'
    delegations following them."""
    _may_manage(actor)
    rows = seats if all(isinstance(seat, SeatRow) for seat in seats) else as_rows(seats)
    with transaction.atomic():
        term = CouncilTerm.objects.select_for_update().get(pk=term.pk)
        preview = check_term(
            term.name, term.starts_on, term.ends_on, rows, seat_count=term.seat_count, term=term
        )
        if not preview.ok:
            raise preview.refusal()
        before = set(term.seats.values_list("state__iso2", flat=True))
        after = {state.iso2 for _region, state, _where in preview.seats}
        term.seats.all().delete()
        _store_seats(term, preview)
        followed = _follow(term)
        audit.record(
            "membership.seats_replaced",
            actor=actor,
            target=term,
            data={
                "added": sorted(after - before),
                "removed": sorted(before - after),
                "consultations": followed,
            },
        )
    return term


def update_term(term: CouncilTerm, *, actor, **changes) -> CouncilTerm:
    """A term's name, dates or number of seats changed; its seats must still fit (as many as
    the term has, each a Member State on the new first day)."""
    _may_manage(actor)
    unknown = set(changes) - {"name", "starts_on", "ends_on", "seat_count"}
    if unknown:
        raise DomainError(
            _("Unknown field “%(field)s”."), code="invalid", params={"field": sorted(unknown)[0]}
        )
    with transaction.atomic():
        term = CouncilTerm.objects.select_for_update().get(pk=term.pk)
        values = {
            key: changes.get(key, getattr(term, key))
            for key in ("name", "starts_on", "ends_on", "seat_count")
        }
        rows = [
            SeatRow(f"{seat.region.code} {seat.state.iso2}", seat.region.code, seat.state.iso2)
            for seat in term.seats.select_related("state", "region")
        ]
        preview = check_term(
            values["name"],
            values["starts_on"],
            values["ends_on"],
            rows,
            seat_count=values["seat_count"],
            term=term,
        )
        if not preview.ok:
            raise preview.refusal()
        values["name"] = preview.name
        changed = {key: value for key, value in values.items() if getattr(term, key) != value}
        for key, value in changed.items():
            setattr(term, key, value)
        if changed:
            term.save(update_fields=list(changed))
            audit.record("membership.term_changed", actor=actor, target=term, data=changed)
    return term


def import_term(
    data: bytes,
    filename: str,
    *,
    actor,
    name="",
    starts_on=None,
    ends_on=None,
    seat_count=48,
    dry_run=False,
):
    """A term from a CSV, XLSX or YAML file: its Preview when `dry_run` (problems included,
    nothing written), else the saved term or a refusal listing every problem."""
    _may_manage(actor)
    seat_list = importing.read(data, filename)
    return _from_list(
        seat_list,
        actor=actor,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        seat_count=seat_count,
        dry_run=dry_run,
    )


def import_text(
    text: str, *, actor, name="", starts_on=None, ends_on=None, seat_count=48, dry_run=False
):
    """As import_term, for a list pasted in the page's text box."""
    _may_manage(actor)
    seat_list = importing.read_text(text)
    return _from_list(
        seat_list,
        actor=actor,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        seat_count=seat_count,
        dry_run=dry_run,
    )


def _from_list(seat_list, *, actor, name, starts_on, ends_on, seat_count, dry_run):
    name = name or seat_list.name
    starts_on = starts_on or seat_list.starts_on
    ends_on = ends_on or seat_list.ends_on
    years = re.fullmatch(r"(\d{4})-(\d{4})", seat_list.name or "")
    if years and seat_list.name == name:
        # As directory.services.load_council_term: a file naming 2019-2022 covers those years.
        starts_on = starts_on or datetime.date(int(years[1]), 1, 1)
        ends_on = ends_on or datetime.date(int(years[2]), 12, 31)
    preview = check_term(name, starts_on, ends_on, seat_list.rows, seat_count=seat_count)
    preview.problems[:0] = seat_list.problems
    if dry_run:
        return preview
    return _save(preview, actor=actor)


# --- the right to vote ---------------------------------------------------------------------


def suspend_voting_right(
    state: State, *, since, reason=VotingRightSuspension.Reason.ARREARS, note="", actor
) -> VotingRightSuspension:
    """A Member State loses its vote from `since` (directory.services records it)."""
    _may_manage(actor)
    if reason not in VotingRightSuspension.Reason.values:
        raise DomainError(
            _("Unknown reason “%(reason)s”."), code="invalid", params={"reason": str(reason)[:30]}
        )
    if state.status != State.Status.MEMBER or not state.is_member_on(since):
        raise DomainError(
            _("%(state)s is not a Member State on %(day)s."),
            code="not_member",
            params={"state": str(state), "day": since.isoformat()},
        )
    return directory.suspend_voting_right(
        state, since=since, reason=reason, note=note.strip()[:300], actor=actor
    )


def restore_voting_right(
    suspension: VotingRightSuspension, *, until, actor
) -> VotingRightSuspension:
    """The vote is back from `until` (not before the day it was lost)."""
    _may_manage(actor)
    return directory.restore_voting_right(suspension, until=until, actor=actor)


# --- Sector Members ------------------------------------------------------------------------


def sector_label(sector: str) -> str:
    return f"ITU-{sector}"


def create_sector_member(
    name: str, sector: str, state: State | None = None, *, actor
) -> SectorMember:
    """A Sector Member of one Sector (R, T or D), optionally with its state."""
    _may_manage(actor)
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("The name of the Sector Member is needed."), code="no_name")
    if len(name) > SectorMember._meta.get_field("name").max_length:
        raise DomainError(_("The name has at most 200 characters."), code="invalid")
    if sector not in SectorMember.Sector.values:
        raise DomainError(
            _("Unknown Sector “%(sector)s”: R, T or D."),
            code="unknown_sector",
            params={"sector": str(sector)[:10]},
        )
    with transaction.atomic():
        if SectorMember.objects.filter(name__iexact=name, sector=sector).exists():
            raise DomainError(
                _("%(sector)s already has a Sector Member named “%(name)s”."),
                code="name_taken",
                params={"sector": sector_label(sector), "name": name},
            )
        member = SectorMember.objects.create(name=name, sector=sector, state=state)
        audit.record(
            "membership.sector_member_created",
            actor=actor,
            target=member,
            data={"name": name, "sector": sector, "state": state.iso2 if state else None},
        )
    return member


def invite_sector_member(consultation: Consultation, member: SectorMember, *, actor) -> Delegation:
    """The consultation invites a Sector Member, within its number per Sector; the Sector
    Member's delegation is made at once."""
    _may_manage(actor, consultation)
    with transaction.atomic():
        # The consultation's row is locked: two invitations at once cannot pass the limit.
        consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if consultation.sector_members.filter(pk=member.pk).exists():
            raise DomainError(
                _("%(name)s is already invited."),
                code="already_invited",
                params={"name": str(member)},
            )
        invited = consultation.sector_members.filter(sector=member.sector).count()
        limit = consultation.sector_members_per_sector
        if invited >= limit:
            raise DomainError(
                _(
                    "%(sector)s already has %(n)s Sector Members invited, the most this consultation allows."
                ),
                code="sector_limit",
                params={"sector": sector_label(member.sector), "n": invited},
            )
        consultation.sector_members.add(member)
        delegation, _created = Delegation.objects.get_or_create(
            consultation=consultation,
            sector_member=member,
            defaults={
                "category": Delegation.Category.SECTOR_MEMBER,
                "speaker_limit": consultation.speakers_per_delegation_max,
            },
        )
        audit.record(
            "membership.sector_member_invited",
            actor=actor,
            target=consultation,
            data={"sector_member": member.pk, "name": member.name, "sector": member.sector},
        )
    return delegation


def uninvite_sector_member(consultation: Consultation, member: SectorMember, *, actor) -> None:
    """The invitation withdrawn, with the Sector Member's delegation; refused while anyone
    is registered in that delegation (registrations are kept, never deleted)."""
    _may_manage(actor, consultation)
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if not consultation.sector_members.filter(pk=member.pk).exists():
            raise DomainError(
                _("%(name)s is not invited."), code="not_invited", params={"name": str(member)}
            )
        delegation = Delegation.objects.filter(
            consultation=consultation, sector_member=member
        ).first()
        registered = delegation.participants.count() if delegation else 0
        if registered:
            raise DomainError(
                _(
                    "%(name)s has %(n)s registered participants in this consultation; the invitation stays."
                ),
                code="has_participants",
                params={"name": str(member), "n": registered},
            )
        try:
            if delegation is not None:
                delegation.delete()
        except ProtectedError:
            raise DomainError(
                _("%(name)s has already taken part in this consultation; the invitation stays."),
                code="has_participants",
                params={"name": str(member)},
            ) from None
        consultation.sector_members.remove(member)
        audit.record(
            "membership.sector_member_uninvited",
            actor=actor,
            target=consultation,
            data={"sector_member": member.pk, "name": member.name, "sector": member.sector},
        )
