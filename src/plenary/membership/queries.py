"""Reads of the Council's membership for the secretariat's pages and the API."""

from itertools import groupby

from django.db.models import Count, Prefetch, Q

from plenary.directory.models import (
    CouncilSeat,
    CouncilTerm,
    OfficialName,
    Region,
    SectorMember,
    VotingRightSuspension,
)

NAMES = Prefetch("state__official_names", queryset=OfficialName.objects.all())


def terms():
    """Every term, latest first, with how many seats it holds."""
    return CouncilTerm.objects.annotate(seats_held=Count("seats")).order_by("-starts_on")


def seats(term: CouncilTerm) -> list[CouncilSeat]:
    return list(
        CouncilSeat.objects.filter(term=term)
        .select_related("state", "region")
        .prefetch_related(NAMES)
        .order_by("region__code", "state__iso2")
    )


def seats_by_region(seat_list) -> list[tuple[Region, list]]:
    """[(region, [its seats…])…] in the order of the regions (A–E); each seat has `.state`."""
    ordered = sorted(seat_list, key=lambda seat: seat.region.code)
    return [
        (region, sorted(group, key=lambda seat: str(seat.state).casefold()))
        for region, group in groupby(ordered, key=lambda seat: seat.region)
    ]


def current_losses(day):
    """The losses of the right to vote not restored by `day` (open, or restored later)."""
    return (
        VotingRightSuspension.objects.filter(Q(until__isnull=True) | Q(until__gt=day))
        .select_related("state")
        .prefetch_related(Prefetch("state__official_names", queryset=OfficialName.objects.all()))
        .order_by("since", "state__iso2")
    )


def sector_members():
    return SectorMember.objects.select_related("state").order_by("sector", "name")


def invited(consultation) -> list[SectorMember]:
    return list(consultation.sector_members.select_related("state").order_by("sector", "name"))


def by_sector(members) -> list[tuple[str, str, list]]:
    """[(code, label, [members…])…] for each Sector, R, T, D, even an empty one."""
    members = list(members)
    return [
        (code, label, [m for m in members if m.sector == code])
        for code, label in SectorMember.Sector.choices
    ]
