from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plenary.consultations.access import consultation_permission
from plenary.consultations.models import AgendaItem
from plenary.core.errors import DomainError
from plenary.registration.models import Delegation

from . import queries, services

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@require_POST
@consultation_permission("consultations.chair_meeting")
def outcome_action(request, consultation, item_id):
    """The console's outcome panel: conclusion, objections on a delegation's behalf, outcome."""
    item = get_object_or_404(
        AgendaItem.objects.select_related("group"), pk=item_id, group__consultation=consultation
    )
    action = request.POST.get("action")
    actor = request.user
    if action == "draft":
        texts = {
            code: request.POST.get(f"text_{code}", "")
            for code in LANGUAGES
            if request.POST.get(f"text_{code}", "").strip()
        }
        services.draft_conclusion(
            item, texts=texts, original=request.POST.get("original", ""), actor=actor
        )
        messages.success(request, _("The proposed conclusion is saved."))
    elif action in {"show", "hide"}:
        services.show_conclusion(item, shown=action == "show", actor=actor)
    elif action == "object":
        delegation = get_object_or_404(
            Delegation, pk=request.POST.get("delegation") or 0, consultation=consultation
        )
        services.record_objection(item, delegation, request.POST.get("kind", ""), actor=actor)
    elif action == "withdraw":
        objection = get_object_or_404(
            queries.objections_on(item.pk), pk=request.POST.get("objection") or 0
        )
        services.withdraw_objection(objection, actor=actor)
    elif action == "record":
        services.record_outcome(
            item, request.POST.get("state", ""), actor=actor, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("The outcome is recorded."))
    elif action == "reopen":
        services.reopen(item, actor=actor, reason=request.POST.get("reason", ""))
    else:
        raise DomainError(_("Unknown action."), code="unknown_action")
    return redirect("floor_console", consultation.slug)
