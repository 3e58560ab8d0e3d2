"""Reads for the registration pages, the dashboard, the secretariat's list and the exports."""

import unicodedata

from django.core.paginator import Paginator
from django.db.models import Count, Q

from plenary.core.models import AuditEvent
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
        .prefetch_related("state__official_names")
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
        "oldest_pending": list(
            _listed(participants.filter(status=Participant.Status.PENDING))[:OLDEST_PENDING]
        ),
        "stranded": stranded(consultation),
        "short_of_speakers": short_of_speakers_listed(consultation),
    }


# The audit action of the reminder to name speakers (reminders.remind_speakers).
REMINDED = "registration.speakers_reminded"


def short_of_speakers(consultation):
    """The delegations that have named fewer speakers than the consultation's fewest."""
    return Delegation.objects.filter(
        consultation=consultation, speakers__lt=consultation.speakers_per_delegation_min
    )


def reminded_delegations(consultation) -> dict:
    """When each delegation of the consultation was reminded, by delegation id."""
    events = AuditEvent.objects.filter(
        action=REMINDED,
        target_type=Delegation._meta.label,
        target_id__in=[str(pk) for pk in consultation.delegations.values_list("pk", flat=True)],
    ).values_list("target_id", "occurred_at")
    return {int(target): at for target, at in events}


def short_of_speakers_listed(consultation) -> list[Delegation]:
    """The dashboard's delegations short of speakers (R11), each with `focal` (how many focal
    points) and `reminded_at` (when its focal points were reminded, or None)."""
    reminded = reminded_delegations(consultation)
    delegations = list(
        short_of_speakers(consultation)
        .annotate(focal=Count("focal_points", distinct=True))
        .select_related("state", "sector_member")
        .prefetch_related("state__official_names")
    )
    for delegation in delegations:
        delegation.reminded_at = reminded.get(delegation.pk)
    return delegations


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


# --- the secretariat's list of registrations ----------------------------------------------------

OLDEST_PENDING = 10  # on the dashboard


def _with_delegation(participants):
    """The rows as the list shows them: the delegation named in the reader's language
    without one query per row."""
    return participants.select_related(
        "delegation__state", "delegation__sector_member"
    ).prefetch_related("delegation__state__official_names")


def _listed(participants):
    """As the list shows them, oldest registration first."""
    return _with_delegation(participants).order_by("registered_at", "pk")


def folded(text: str) -> str:
    """Text compared without case or accents: "Zoë" and "ZOE" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def participant_list(
    consultation,
    *,
    q: str = "",
    delegation: int | None = None,
    state: str = "",
    category: str = "",
    status: str = "",
    role: str = "",
):
    """Every registration of the consultation, filtered; `q` searches name and e-mail
    address without case or accents. Filters are ANDed; an empty one does not filter.

    Returns a queryset, or with a search a list of ids in the list's order (the fold is
    done in Python, over two columns of at most a few thousand rows, so that it behaves
    the same on SQLite and PostgreSQL); `page_of` turns either into a page of rows."""
    rows = Participant.objects.filter(consultation=consultation)
    if delegation:
        rows = rows.filter(delegation_id=delegation)
    if state:
        rows = rows.filter(delegation__state__iso2=state.upper())
    if category:
        rows = rows.filter(delegation__category=category)
    if status:
        rows = rows.filter(status=status)
    if role:
        rows = rows.filter(role=role)
    rows = rows.order_by("registered_at", "pk")
    wanted = folded(q.strip())
    if not wanted:
        return rows
    return [
        pk
        for pk, name, email in rows.values_list("pk", "name", "email")
        if wanted in folded(name) or wanted in folded(email)
    ]


def page_of(rows, number, per_page: int = 50):
    """One page of `participant_list`'s answer, its rows loaded with what the list shows."""
    # The paginator reads a queryset with COUNT and LIMIT, a list of ids by slicing.
    if not isinstance(rows, list):
        page = Paginator(_with_delegation(rows), per_page).get_page(number)
        page.object_list = list(page.object_list)
        return page
    page = Paginator(rows, per_page).get_page(number)
    loaded = _with_delegation(Participant.objects.filter(pk__in=page.object_list))
    by_pk = {p.pk: p for p in loaded}
    page.object_list = [by_pk[pk] for pk in page.object_list if pk in by_pk]
    return page


def delegation_filter_choices(consultation, language: str) -> list[tuple[int, str]]:
    """The consultation's delegations, named in the reader's language, by name."""
    delegations = (
        Delegation.objects.filter(consultation=consultation)
        .select_related("state", "sector_member")
        .prefetch_related("state__official_names")
    )
    named = [
        (d.pk, state_name(d.state, language) if d.state_id else str(d.sector_member))
        for d in delegations
    ]
    return sorted(named, key=lambda choice: folded(choice[1]))


def stranded(consultation) -> list[Delegation]:
    """Delegations with registrations waiting and no focal point to decide on them, most
    waiting first; each with `waiting` (how many) and `waiting_ids` (which, oldest first,
    as the text a form sends)."""
    delegations = list(
        Delegation.objects.filter(consultation=consultation)
        .annotate(
            focal=Count("focal_points", distinct=True),
            waiting=Count(
                "participants",
                filter=Q(participants__status=Participant.Status.PENDING),
                distinct=True,
            ),
        )
        .filter(focal=0, waiting__gt=0)
        .select_related("state", "sector_member")
        .prefetch_related("state__official_names")
        .order_by("-waiting", "pk")
    )
    ids: dict[int, list[str]] = {d.pk: [] for d in delegations}
    pending = Participant.objects.filter(
        delegation__in=ids, status=Participant.Status.PENDING
    ).order_by("registered_at", "pk")
    for pk, delegation_id in pending.values_list("pk", "delegation_id"):
        ids[delegation_id].append(str(pk))
    for delegation in delegations:
        delegation.waiting_ids = ids[delegation.pk]
    return delegations
