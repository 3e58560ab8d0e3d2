import json
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plenary.consultations.access import consultation_permission
from plenary.consultations.forms import ConfirmForm
from plenary.consultations.models import AgendaGroup
from plenary.consultations.services import opening_meeting_under_way
from plenary.core import translated
from plenary.directory.names import state_name
from plenary.outcomes import queries as outcome_queries
from plenary.outcomes.models import ItemOutcome, Objection
from plenary.outcomes.services import outcome_of
from plenary.planning.models import Meeting
from plenary.planning.queries import items_by_id, minutes_behind_plan
from plenary.registration.models import Delegation, Participant
from plenary.registration.services import may_speak
from plenary.registration.session import participant_of

from . import queries, services, snapshot, speaking
from . import queue as queue_rules
from .models import FloorRequest


def _names(consultation, language: str) -> dict:
    """Everything a snapshot refers to by id, in the reader's language."""
    delegations = {
        d.pk: (state_name(d.state, language) if d.state_id else str(d.sector_member))
        for d in Delegation.objects.filter(consultation=consultation)
        .select_related("state", "sector_member")
        .prefetch_related("state__official_names")
    }
    items = {}
    with translation.override(language):
        for item in items_by_id(consultation).values():
            if item.group.kind == AgendaGroup.Kind.FOR_INFORMATION:
                continue
            items[item.pk] = {
                "label": item.label,
                "subject": item.subject,
                "documents": [
                    f"[{d.symbol}]" if d.pending else d.symbol for d in item.plan_documents
                ],
            }
    participants = dict(
        Participant.objects.filter(
            consultation=consultation, status=Participant.Status.APPROVED
        ).values_list("pk", "name")
    )
    categories = dict(
        Delegation.objects.filter(consultation=consultation).values_list("pk", "category")
    )
    return {
        "delegations": delegations,
        "categories": categories,
        "items": items,
        "participants": participants,
    }


def _labels() -> dict:
    return {
        "speaking": _("Has the floor"),
        "nobody": _("Nobody has the floor."),
        "queue_empty": _("Nobody is waiting."),
        "list_closed": _("The list of speakers is closed."),
        "no_item": _("No item is under discussion."),
        "point_of_order": _("Point of order"),
        "reply": _("Right of reply"),
        "reply_asked": _("Right of reply asked"),
        "interrupted": _("Interrupted by a point of order: %(name)s, %(time)s left"),
        "warning": _("Less than %(n)s seconds left"),
        "over": _("The speaking time is over"),
        "warn_seconds": speaking.WARNING_SECONDS,
        "categories": {code: str(label) for code, label in Delegation.Category.choices},
        "position": _("Your place in the queue: %(n)s"),
        "connection_lost": _("Connection lost; reconnecting…"),
        "original": _("original: %(language)s"),
        "states": {code: str(label) for code, label in ItemOutcome.State.choices},
        "concluded": _("Concluded: %(outcome)s"),
        "objections": _("Objections and requests for deferral"),
        "kinds": {code: str(label) for code, label in Objection.Kind.choices},
        "entered_by": {code: str(label) for code, label in Objection.EnteredBy.choices},
        "languages": {
            code: translation.get_language_info(code)["name_local"]
            for code, _n in settings.LANGUAGES
        },
        "language": translation.get_language(),
    }


@consultation_permission(None)
def live(request, consultation):
    """The live page for participants: the current item and its documents, who has the
    floor and the time left, the queue, what comes next, and for speakers the button."""
    participant = participant_of(request, consultation)
    chair = request.user.has_perm("consultations.chair_meeting", consultation)
    if participant is None and not chair:
        raise PermissionDenied
    language = translation.get_language()
    floor = services.floor_of(consultation)
    may_ask = bool(participant) and may_speak(
        participant, meeting=floor.meeting, items=[floor.item_id] if floor.item_id else []
    )
    return render(
        request,
        "floor/live.html",
        {
            "consultation": consultation,
            "participant": participant,
            "may_ask": may_ask,
            # No item on the floor, or its outcome recorded: the buttons are off.
            "closed": not floor.item_id
            or ItemOutcome.objects.filter(item_id=floor.item_id, recorded=True).exists(),
            "initial": snapshot.encode(snapshot.build(consultation.pk)),
            "names": json.dumps(_names(consultation, language), ensure_ascii=False),
            "labels": json.dumps(_labels(), ensure_ascii=False),
        },
    )


def _agenda_panel(consultation) -> dict:
    """The console's panel for confirming the agenda at the opening meeting: offered while
    the first meeting is under way and the agenda is a draft, with what is confirmed (the
    items of each group); once confirmed, when and as which version."""
    first = consultation.agenda_versions.order_by("number").first()
    return {
        "offered": not consultation.agenda_is_final and opening_meeting_under_way(consultation),
        "groups": consultation.groups.order_by("number").annotate(item_count=Count("items")),
        "confirmed_at": consultation.agenda_confirmed_at,
        "version": first.number if first else None,
        "form": ConfirmForm(),
    }


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def _speech_clock(request) -> dict | None:
    """The countdown of a speech: since when its part under way runs, what it had left then."""
    if request is None:
        return None
    clock = request.clock
    return {
        "request": request,
        "since": clock.since.isoformat() if clock.since else "",
        "left": round(clock.allowed + clock.extra - clock.used),
        "left_text": _duration(max(0, clock.allowed + clock.extra - clock.used)),
        "allowed": _duration(clock.allowed + clock.extra),
    }


def _totals_panel(consultation, item) -> dict:
    """Speaking time used on the item by delegation (most first) and by category."""
    totals = queries.speaking_totals(consultation, item)
    names = {
        d.pk: d
        for d in Delegation.objects.filter(pk__in=totals.by_delegation).select_related(
            "state", "sector_member"
        )
    }
    labels = dict(Delegation.Category.choices)
    return {
        "delegations": [
            (names[d], _duration(seconds), totals.speeches[d])
            for d, seconds in sorted(totals.by_delegation.items(), key=lambda row: -row[1])
        ],
        "categories": [
            (labels.get(c, c), _duration(seconds))
            for c, seconds in sorted(totals.by_category.items(), key=lambda row: -row[1])
        ],
        "total": _duration(totals.total),
    }


def _meetings(consultation, floor, may_override: bool) -> list:
    """The meetings the console offers to open: today's and the rehearsal (and the one
    open), or every one for the secretariat, who may override the day."""
    zone = ZoneInfo(consultation.time_zone)
    offered = []
    for meeting in Meeting.objects.filter(consultation=consultation).order_by("starts_at"):
        meeting.today = services.held_today(consultation, meeting)
        meeting.day = meeting.starts_at.astimezone(zone).date()
        if meeting.today or may_override or meeting.pk == floor.meeting_id:
            offered.append(meeting)
    return offered


@consultation_permission("consultations.chair_meeting")
def console(request, consultation):
    """The chair's console: agenda, current item, queue with each speaker's class, the
    buttons, and the plan's clock (ahead or behind)."""
    floor = services.floor_of(consultation)
    queue = services.waiting_queue(floor)
    may_override = request.user.has_perm("consultations.open_any_meeting", consultation)
    items = [
        i
        for i in items_by_id(consultation).values()
        if i.group.kind != AgendaGroup.Kind.FOR_INFORMATION
    ]
    items.sort(key=lambda i: (i.group.number, i.position, i.number))
    clock = (
        minutes_behind_plan(consultation, floor.item_id, timezone.now()) if floor.item_id else None
    )
    current = None
    if floor.item_id:
        current = {
            "outcome": outcome_of(floor.item),
            "conclusion": outcome_queries.proposed_conclusion(floor.item_id),
            # By delegation, as on the live page and in the report.
            "objections": sorted(
                outcome_queries.objections_on(floor.item_id).select_related(
                    "delegation__state", "delegation__sector_member"
                ),
                key=lambda objection: (str(objection.delegation), objection.recorded_at),
            ),
            "delegations": Delegation.objects.filter(consultation=consultation).select_related(
                "state", "sector_member"
            ),
            "languages": [
                (code, translation.get_language_info(code)["name_local"])
                for code, _n in settings.LANGUAGES
            ],
        }
        conclusion = current["conclusion"]
        # A new conclusion is drafted in the consultation's working language by default.
        current["original"] = conclusion.original if conclusion else consultation.working_language
        current["texts"] = [
            (
                code,
                name,
                translated.text(conclusion, "text", code) if conclusion else "",
            )
            for code, name in current["languages"]
        ]
    return render(
        request,
        "floor/console.html",
        {
            "current": current,
            "consultation": consultation,
            "agenda": _agenda_panel(consultation),
            "floor": floor,
            "queue": queue,
            "items": items,
            "meetings": _meetings(consultation, floor, may_override),
            "may_override": may_override,
            "concluded": set(
                ItemOutcome.objects.filter(
                    item__group__consultation=consultation, recorded=True
                ).values_list("item_id", flat=True)
            ),
            "clock": clock,
            "speech": _speech_clock(floor.speaking),
            "interrupted": _speech_clock(floor.interrupted),
            "replies": queries.replies_asked(floor),
            "totals": _totals_panel(consultation, floor.item) if floor.item_id else None,
            "warn_seconds": speaking.WARNING_SECONDS,
            "limits": {
                category: _duration(seconds)
                for category, seconds in speaking.limits_of(consultation).items()
            },
            "may_interrupt": floor.speaking_id is not None
            and queue_rules.may_interrupt(
                floor.speaking.kind,
                floor.interrupted_id is not None,
                FloorRequest.Kind.POINT_OF_ORDER,
            ),
            "spoken": FloorRequest.objects.filter(
                floor=floor, item_id=floor.item_id, status=FloorRequest.Status.DONE
            )
            .select_related("delegation")
            .order_by("started_at")
            if floor.item_id
            else [],
        },
    )


@require_POST
@consultation_permission("consultations.chair_meeting")
def console_action(request, consultation):
    """The console's buttons without JavaScript, or when its socket is down (console.js sends
    the same actions over the floor's WebSocket otherwise)."""
    services.run_chair_action(
        consultation, request.POST.get("action", ""), request.POST, actor=request.user
    )
    return redirect("floor_console", consultation.slug)


@require_POST
@consultation_permission(None)
def ask(request, consultation):
    """The button without JavaScript: ask for the floor, or withdraw."""
    participant = participant_of(request, consultation)
    if participant is None:
        raise PermissionDenied
    if request.POST.get("op") == "withdraw":
        floor = services.floor_of(consultation)
        pending = queries.waiting_request_of(floor, participant.delegation)
        if pending:
            services.withdraw_request(pending, participant=participant)
    else:
        op = request.POST.get("op")
        kind = op if op in ("point_of_order", "reply") else "speak"
        services.ask_for_floor(participant, kind=kind)
        messages.success(request, _("You are in the list of speakers."))
    return redirect("floor_live", consultation.slug)
