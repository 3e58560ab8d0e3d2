from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plenary.consultations.access import consultation_permission
from plenary.consultations.models import AgendaItem
from plenary.core import timezones
from plenary.core.downloads import download
from plenary.directory.models import State

from . import exports, queries, services
from .forms import PinForm, PublishForm, ReplyForm
from .models import Meeting, PlanPin
from .timeline import timeline_svg


def _timeline(consultation, days) -> str:
    language = translation.get_language()
    return mark_safe(  # noqa: S308 — built from escaped parts in timeline.py
        timeline_svg(
            days,
            day_label=lambda day: timezones.format_day(day, language, "medium"),
            clock_label=lambda moment: timezones.format_clock(
                moment, consultation.time_zone, language
            ),
            title=_("Time management plan"),
            rtl=translation.get_language_bidi(),
        )
    )


@consultation_permission("planning.view_plan")
def plan(request, consultation):
    """The published time management plan (R8), each day in Geneva and the reader's time."""
    version = queries.latest_plan(consultation)
    days = queries.plan_days(consultation, version)
    return render(
        request,
        "planning/plan.html",
        {
            "consultation": consultation,
            "version": version,
            "days": days,
            "unscheduled": queries.unscheduled_items(consultation, version),
            "moves": queries.moves_since_previous(version) if version else [],
            "timeline": _timeline(consultation, days) if version else "",
            "rehearsal": consultation.meetings.filter(kind=Meeting.Kind.REHEARSAL).first(),
        },
    )


@consultation_permission("planning.manage_plan")
def plan_manage(request, consultation):
    """The secretariat's planning desk: the plan as it would be published now, its
    shortfall, the replies per item, pins and publication."""
    draft = services.compute_plan(consultation)
    minutes = services.item_minutes(consultation)
    items = queries.items_by_id(consultation)
    pins = dict(
        PlanPin.objects.filter(item__group__consultation=consultation).values_list(
            "item_id", "day_index"
        )
    )
    rows = []
    for total in queries.reply_totals(consultation):
        slot = draft.slot_of(total.pk)
        rows.append(
            {
                "item": items[total.pk],
                "replied": total.replied,
                "speaking": total.speaking,
                "minutes": minutes[total.pk],
                "slot": slot,
                "pin": pins.get(total.pk),
                "progress": getattr(items[total.pk], "progress", None),
            }
        )
    unscheduled = [{"entry": u, "item": items[u.key]} for u in draft.unscheduled]
    return render(
        request,
        "planning/manage.html",
        {
            "consultation": consultation,
            "rows": rows,
            "unscheduled": unscheduled,
            "missing_minutes": draft.missing_minutes(),
            "published": queries.latest_plan(consultation),
            "days": range(1, consultation.max_days + 1),
            "publish_form": PublishForm(),
        },
    )


@require_POST
@consultation_permission("planning.manage_plan")
def plan_publish(request, consultation):
    form = PublishForm(request.POST)
    form.is_valid()
    version = services.publish_plan(
        consultation, actor=request.user, reason=form.cleaned_data.get("reason", "")
    )
    messages.success(
        request, _("Version %(number)s of the plan is published.") % {"number": version.number}
    )
    return redirect("plan", consultation.slug)


@require_POST
@consultation_permission("planning.manage_plan")
def plan_pin(request, consultation, item_id):
    item = get_object_or_404(
        AgendaItem.objects.select_related("group"), pk=item_id, group__consultation=consultation
    )
    form = PinForm(request.POST, days=consultation.max_days)
    if not form.is_valid():
        messages.error(request, _("Choose one of the meeting days."))
    else:
        services.pin_item(item, form.cleaned_data["day"], actor=request.user)
    return redirect("plan_manage", consultation.slug)


@require_POST
@consultation_permission("planning.record_progress")
def item_progress(request, consultation, item_id):
    """The item starts now, or ends now (the remaining items are then re-planned)."""
    item = get_object_or_404(
        AgendaItem.objects.select_related("group"), pk=item_id, group__consultation=consultation
    )
    if request.POST.get("event") == "end":
        version = services.record_item_end(item, actor=request.user)
        messages.success(
            request,
            _("Item %(label)s ended; version %(number)s of the plan is published.")
            % {"label": item.label, "number": version.number},
        )
    else:
        services.record_item_start(item, actor=request.user)
        messages.success(request, _("Item %(label)s started.") % {"label": item.label})
    return redirect("plan_manage", consultation.slug)


@consultation_permission("planning.reply_on_items")
def replies(request, consultation):
    """A focal point says, per Group 1 and 2 item, whether the delegation will take the floor."""
    state = queries.represented_state(request.user, consultation)
    if state is None:
        raise PermissionDenied
    items = queries.reply_totals(consultation)
    existing = queries.replies_of(consultation, state)
    if request.method == "POST":
        saved = errors = 0
        for item in items:
            form = ReplyForm(request.POST, prefix=str(item.pk))
            if not form.is_valid():
                errors += 1
                continue
            will_speak = form.cleaned_data["will_speak"]
            if will_speak is None:
                continue
            current = existing.get(item.pk)
            minutes = form.cleaned_data["minutes"] if will_speak else None
            if current and (current.will_speak, current.minutes) == (will_speak, minutes):
                continue
            services.reply_on_item(
                item, state, will_speak=will_speak, minutes=minutes, actor=request.user
            )
            saved += 1
        if errors:
            messages.error(
                request, _("Some minutes were not between 1 and 120; those rows were not saved.")
            )
        messages.success(request, _("%(count)s replies saved.") % {"count": saved})
        return redirect("replies", consultation.slug)
    rows = []
    for item in items:
        reply = existing.get(item.pk)
        initial = {}
        if reply:
            initial = {"will_speak": "yes" if reply.will_speak else "no", "minutes": reply.minutes}
        rows.append({"item": item, "form": ReplyForm(prefix=str(item.pk), initial=initial)})
    return render(
        request,
        "planning/replies.html",
        {"consultation": consultation, "state": state, "rows": rows},
    )


# --- Exports: the plan (DOCX, XLSX), the agenda (DOCX), calendars (ICS) -----------------------


@consultation_permission("planning.view_plan")
def plan_docx(request, consultation):
    language = translation.get_language()
    content = exports.plan_docx(consultation, queries.latest_plan(consultation), language)
    return download(content, f"{consultation.slug}-plan-{language}.docx")


@consultation_permission("planning.view_plan")
def plan_xlsx(request, consultation):
    language = translation.get_language()
    content = exports.plan_xlsx(consultation, queries.latest_plan(consultation), language)
    return download(content, f"{consultation.slug}-plan-{language}.xlsx")


@consultation_permission(None)
def agenda_docx(request, consultation):
    language = translation.get_language()
    return download(
        exports.agenda_docx(consultation, language), f"{consultation.slug}-agenda-{language}.docx"
    )


@consultation_permission(None)
def calendar(request, consultation, iso2=None):
    state = get_object_or_404(State, iso2=iso2.upper()) if iso2 else None
    content = exports.calendar_ics(
        consultation, queries.latest_plan(consultation), translation.get_language(), state
    )
    name = f"{consultation.slug}-{iso2.lower()}.ics" if iso2 else f"{consultation.slug}.ics"
    return download(content, name, inline=True)
