"""Reads for the registration pages, the dashboard and the exports."""

from django.db.models import Count, Q

from plenary.directory.models import State
from plenary.directory.names import state_name

from .models import Capacity, Delegation, ExtraSpeakerRequest, FocalPoint, Participant


def delegation_choices(consultation, language: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The delegations a person may register in, grouped: Council Member States, other
    Member States (observers), the State of Palestine, Sector Members (R3)."""
    council = set(
        State.objects.filter(council_seats__term=consultation.council_term).values_list(
            "pk", flat=True
        )
    )
    members = State.objects.filter(status=State.Status.MEMBER).prefetch_related("official_names")
    members = [state for state in members if state.is_member_on(consultation.starts_on)]

    def named(states):
        return sorted(
            ((f"state:{s.iso2}", state_name(s, language)) for s in states),
            key=lambda c: c[1].casefold(),
        )

    from django.utils.translation import gettext as _

    groups = [
        (_("Council Member States"), named(s for s in members if s.pk in council)),
        (_("Observer Member States"), named(s for s in members if s.pk not in council)),
        (
            _("Observer"),
            named(
                State.objects.filter(status=State.Status.OBSERVER).prefetch_related(
                    "official_names"
                )
            ),
        ),
        (
            _("Sector Members"),
            [
                (f"sm:{d.sector_member_id}", str(d.sector_member))
                for d in consultation.delegations.filter(
                    category=Delegation.Category.SECTOR_MEMBER
                ).select_related("sector_member")
            ],
        ),
    ]
    return [(label, choices) for label, choices in groups if choices]


def dashboard(consultation) -> dict:
    capacity = Capacity.objects.filter(consultation=consultation).first()
    participants = Participant.objects.filter(consultation=consultation)
    approved = participants.filter(status=Participant.Status.APPROVED)
    by_category = (
        approved.values("delegation__category")
        .annotate(
            speakers=Count("pk", filter=Q(role=Participant.Role.SPEAKER)),
            viewers=Count("pk", filter=Q(role=Participant.Role.VIEWER)),
        )
        .order_by("delegation__category")
    )
    by_region = (
        approved.values("delegation__state__region__code")
        .annotate(
            speakers=Count("pk", filter=Q(role=Participant.Role.SPEAKER)),
            viewers=Count("pk", filter=Q(role=Participant.Role.VIEWER)),
        )
        .order_by("delegation__state__region__code")
    )
    categories = dict(Delegation.Category.choices)
    without_focal_point = (
        Delegation.objects.filter(consultation=consultation)
        .annotate(n=Count("focal_points"))
        .filter(n=0)
        .select_related("state", "sector_member")
    )
    return {
        "capacity": capacity,
        "pending": participants.filter(status=Participant.Status.PENDING).count(),
        "approved": approved.count(),
        "by_category": [
            {**row, "label": categories.get(row["delegation__category"], "")} for row in by_category
        ],
        "by_region": list(by_region),
        "requests": ExtraSpeakerRequest.objects.filter(delegation__consultation=consultation)
        .select_related(
            "participant",
            "delegation__state",
            "delegation__sector_member",
            "meeting",
            "item__group",
        )
        .order_by("status", "-requested_at")[:100],
        "without_focal_point": list(without_focal_point),
        "delegations": Delegation.objects.filter(consultation=consultation).count(),
    }


def delegations_of_focal_point(user, consultation):
    return Delegation.objects.filter(
        consultation=consultation, focal_points__user=user
    ).select_related("state", "sector_member")


def participant_rows(consultation):
    return (
        Participant.objects.filter(consultation=consultation)
        .select_related("delegation__state__region", "delegation__sector_member")
        .order_by("delegation__category", "delegation__state__iso2", "name")
    )


def focal_point_list(consultation):
    return (
        FocalPoint.objects.filter(delegation__consultation=consultation)
        .select_related("user", "delegation__state", "delegation__sector_member")
        .order_by("delegation__category", "delegation__state__iso2")
    )
