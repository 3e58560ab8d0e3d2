import json

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
from plenary.outcomes.models import ItemOutcome
from plenary.outcomes.services import outcome_of
from plenary.planning.models import Meeting
from plenary.planning.queries import items_by_id, minutes_behind_plan
from plenary.registration.models import Delegation, Participant
from plenary.registration.services import may_speak
from plenary.registration.session import participant_of

from . import queries, services, snapshot
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
    return {"delegations": delegations, "items": items, "participants": participants}


def _labels() -> dict:
    return {
        "speaking": _("Has the floor"),
        "nobody": _("Nobody has the floor."),
        "queue_empty": _("Nobody is waiting."),
        "list_closed": _("The list of speakers is closed."),
        "no_item": _("No item is under discussion."),
        "point_of_order": _("Point of order"),
        "position": _("Your place in the queue: %(n)s"),
        "connection_lost": _("Connection lost; reconnecting…"),
        "original": _("original: %(language)s"),
        "states": {code: str(label) for code, label in ItemOutcome.State.choices},
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


@consultation_permission("consultations.chair_meeting")
def console(request, consultation):
    """The chair's console: agenda, current item, queue with each speaker's class, the
    buttons, and the plan's clock (ahead or behind)."""
    floor = services.floor_of(consultation)
    queue = services.waiting_queue(floor)
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
            "objections": outcome_queries.objections_on(floor.item_id).select_related("delegation"),
            "delegations": Delegation.objects.filter(consultation=consultation).select_related(
                "state", "sector_member"
            ),
            "languages": [
                (code, translation.get_language_info(code)["name_local"])
                for code, _n in settings.LANGUAGES
            ],
        }
        conclusion = current["conclusion"]
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
            "meetings": Meeting.objects.filter(consultation=consultation).order_by("starts_at"),
            "clock": clock,
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
        kind = "point_of_order" if request.POST.get("op") == "point_of_order" else "speak"
        services.ask_for_floor(participant, kind=kind)
        messages.success(request, _("You are in the list of speakers."))
    return redirect("floor_live", consultation.slug)
