import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from plenary.consultations.access import consultation_permission
from plenary.consultations.models import AgendaGroup, AgendaItem
from plenary.core import ratelimit, timezones
from plenary.core.downloads import download
from plenary.core.errors import DomainError
from plenary.core.models import OutboxMessage
from plenary.core.sessions import session_in_transaction
from plenary.planning.models import Meeting

from . import queries, reminders, services
from .forms import BulkDecisionForm, ExtraSpeakerForm, ParticipantFilterForm, RegistrationForm
from .models import Capacity, ExtraSpeakerRequest, Participant
from .session import open_link_session, participant_of


def _too_many(request, scope) -> bool:
    return not ratelimit.allow(scope, ratelimit.client_address(request))


@consultation_permission("registration.register")
def register(request, consultation):
    """The public registration form (R9), open between the opening date and the first meeting."""
    language = translation.get_language()
    opens, closes = services.registration_window(consultation)
    now = timezone.now()
    state = "open" if opens <= now < closes else ("not_open" if now < opens else "closed")
    form = RegistrationForm(
        request.POST or None,
        delegation_choices=queries.delegation_choices(consultation, language),
        initial={"language": language},
    )
    page = {
        "consultation": consultation,
        "form": form,
        "state": state,
        "opens": opens,
        "closes": closes,
    }
    if request.method == "POST":
        if _too_many(request, "register"):
            messages.error(
                request,
                _(
                    "Too many registrations from your network in a short time. Please try again in a few minutes."
                ),
            )
            return render(request, "registration/register.html", page, status=429)
        if form.is_valid():
            data = form.cleaned_data
            participant = services.register(
                consultation,
                delegation=services.chosen_delegation(consultation, data["delegation"]),
                name=data["name"],
                email=data["email"],
                function=data["function"],
                language=data["language"],
            )
            return render(
                request,
                "registration/registered.html",
                {"consultation": consultation, "participant": participant},
            )
    return render(request, "registration/register.html", page)


@session_in_transaction
def join(request, token):
    """A personal link: exchanged for a session, then the address no longer holds the secret."""
    if _too_many(request, "join"):
        return render(
            request,
            "registration/link_refused.html",
            {"message": _("Too many attempts. Please wait a minute and try again.")},
            status=429,
        )
    try:
        link = services.resolve_link(token)
    except DomainError as refusal:
        return render(
            request,
            "registration/link_refused.html",
            {"message": refusal.user_message()},
            status=refusal.status,
        )
    participant = link.participant
    open_link_session(request, link)
    with translation.override(participant.language):
        target = reverse("participant_home", args=[participant.consultation.slug])
    response = redirect(target)
    response.set_cookie(
        "plenary_language", participant.language, max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response


@consultation_permission(None)
def participant_home(request, consultation):
    """The participant's page: who they are, their current role, the meetings and how to join."""
    participant = participant_of(request, consultation)
    if participant is None:
        return render(
            request,
            "registration/link_refused.html",
            {"message": _("Open the personal link you received by e-mail.")},
            status=403,
        )
    meetings = consultation.meetings.order_by("starts_at")
    return render(
        request,
        "registration/participant_home.html",
        {"consultation": consultation, "participant": participant, "meetings": meetings},
    )


@consultation_permission("registration.manage_delegation")
def delegation_page(request, consultation):
    """The focal point's page: registrations to approve, speakers (1 to N), viewers, links."""
    delegations = list(queries.delegations_of_focal_point(request.user, consultation))
    if not delegations and not request.user.has_perm("registration.manage", consultation):
        raise PermissionDenied
    if not delegations:
        return redirect("registration_dashboard", consultation.slug)
    for delegation in delegations:
        delegation.rows = delegation.participants.order_by("status", "-role", "name")
        delegation.requests = delegation.extra_speaker_requests.select_related(
            "participant", "meeting", "item__group"
        )
    # Only what an extra speaker can still be granted for (R12): meetings not over, items
    # not concluded.
    meetings = consultation.meetings.filter(ends_at__gt=timezone.now()).order_by("starts_at")
    items = (
        AgendaItem.objects.filter(group__consultation=consultation)
        .exclude(group__kind=AgendaGroup.Kind.FOR_INFORMATION)
        .exclude(progress__ended_at__isnull=False)
        .select_related("group")
    )
    return render(
        request,
        "registration/delegation.html",
        {
            "consultation": consultation,
            "delegations": delegations,
            "meetings": meetings,
            "items": items,
        },
    )


@require_POST
@consultation_permission("registration.manage_delegation")
def participant_action(request, consultation, participant_id):
    participant = get_object_or_404(Participant, pk=participant_id, consultation=consultation)
    action = services.PARTICIPANT_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("Unknown action."))
        return redirect("delegation_page", consultation.slug)
    function, done = action
    function(participant, actor=request.user)
    messages.success(request, f"{participant.name}: {done}")
    return redirect(
        request.POST.get("next") or reverse("delegation_page", args=[consultation.slug])
    )


@require_POST
@consultation_permission("registration.manage_delegation")
def extra_speaker_request(request, consultation):
    form = ExtraSpeakerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a participant and a meeting or an agenda item."))
        return redirect("delegation_page", consultation.slug)
    participant = get_object_or_404(
        Participant, pk=form.cleaned_data["participant"], consultation=consultation
    )
    kind, _sep, key = form.cleaned_data["target"].partition(":")
    meeting = item = None
    if kind == "meeting" and key.isdigit():
        meeting = get_object_or_404(Meeting, pk=int(key), consultation=consultation)
    elif kind == "item" and key.isdigit():
        item = get_object_or_404(AgendaItem, pk=int(key), group__consultation=consultation)
    services.request_extra_speaker(participant, meeting=meeting, item=item, actor=request.user)
    messages.success(request, _("The request has been sent to the secretariat."))
    return redirect("delegation_page", consultation.slug)


@consultation_permission("registration.manage")
def dashboard(request, consultation):
    data = queries.dashboard(consultation)
    _in_zone(data["oldest_pending"], consultation)
    return render(
        request,
        "registration/dashboard.html",
        {
            "consultation": consultation,
            "people_path": _people_path(consultation),
            "list_path": reverse("registration_participants", args=[consultation.slug]),
            "speaker_reminder_at": reminders.reminder_due_at(consultation),
            "meeting_speakers": _meeting_speakers(consultation),
            **data,
        },
    )


def _meeting_speakers(consultation) -> list[tuple[Meeting, int]]:
    """Each meeting ahead with the people entitled to speak at it (R10–R12): what a grant
    of an extra speaker is checked against."""
    counts = services.speakers_by_meeting(consultation)
    meetings = Meeting.objects.filter(pk__in=counts).order_by("starts_at")
    return [(meeting, counts[meeting.pk]) for meeting in meetings]


# --- the secretariat's list of registrations and its decisions ----------------------------

BULK_RESULTS = "plenary_registration_bulk"  # the last decision's rows, shown once by the list


def _people_path(consultation) -> str:
    """The page where the secretariat invites focal points. It comes with the people app,
    made separately: its named route once it exists, its address until then."""
    try:
        return reverse("people", args=[consultation.slug])
    except NoReverseMatch:
        return f"/{translation.get_language()}/c/{consultation.slug}/people/"


def _in_zone(rows, consultation) -> None:
    """Each row's registration time as the list shows it, in the consultation's zone."""
    language = translation.get_language()
    zone = consultation.time_zone
    for row in rows:
        local = row.registered_at.astimezone(timezones.zone(zone))
        row.registered_local = (
            f"{timezones.format_day(local.date(), language, 'medium')}, "
            f"{timezones.format_clock(local, zone, language)}"
        )


@consultation_permission("registration.manage")
def participants(request, consultation):
    """Every registration, searched and filtered, 50 a page, with the decisions on each
    row and on the selected ones; the delegations whose registrations wait for nobody
    (no focal point) come first."""
    choices = queries.delegation_filter_choices(consultation, translation.get_language())
    form = ParticipantFilterForm(request.GET or None, delegation_choices=choices)
    page = queries.page_of(
        queries.participant_list(consultation, **form.filters()), request.GET.get("page")
    )
    _in_zone(page.object_list, consultation)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registration/participants.html",
        {
            "consultation": consultation,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "stranded": queries.stranded(consultation),
            "people_path": _people_path(consultation),
            "list_path": request.path,
            "capacity": Capacity.objects.filter(consultation=consultation).first(),
            "results": request.session.pop(BULK_RESULTS, None),
        },
    )


def _back_to_list(request, consultation) -> str:
    """Where a decision returns: the list (or dashboard) page it was made from, filters kept."""
    wanted = request.POST.get("next", "")
    if wanted.startswith(
        f"/{translation.get_language()}/c/{consultation.slug}/registration/"
    ) and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return reverse("registration_participants", args=[consultation.slug])


def _form_problem(form) -> str:
    """The form's first problem, naming its field."""
    for name, problems in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        return f"{label}: {problems[0]}" if label else problems[0]
    return ""


@require_POST
@consultation_permission("registration.manage")
@session_in_transaction
def participants_bulk(request, consultation):
    """Approve, refuse, name speaker, make viewer or withdraw: the selected rows, or one
    row; each through its own service (services.bulk_decide), and the outcome of each
    row shown on the list."""
    back = _back_to_list(request, consultation)
    form = BulkDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problem(form))
        return redirect(back)
    data = form.cleaned_data
    try:
        selected = services.selected_participants(consultation, data["ids"])
        outcome = services.bulk_decide(
            selected, data["action"], actor=request.user, note=data["note"]
        )
    except DomainError as refusal:
        messages.error(request, refusal.user_message())
        return redirect(back)
    (messages.warning if outcome.refused else messages.success)(request, outcome.summary())
    request.session[BULK_RESULTS] = [
        {
            "id": row.participant.pk,
            "name": row.participant.name,
            "delegation": str(row.participant.delegation),
            "done": row.done,
            "reason": row.reason,
        }
        for row in outcome.rows
    ]
    return redirect(back)


@require_POST
@consultation_permission("registration.manage")
def decide_extra_speaker(request, consultation, request_id):
    extra = get_object_or_404(
        ExtraSpeakerRequest, pk=request_id, delegation__consultation=consultation
    )
    grant = request.POST.get("decision") == "grant"
    services.decide_extra_speaker(
        extra, grant=grant, actor=request.user, note=request.POST.get("note", "")[:300]
    )
    messages.success(request, _("Extra speaker granted.") if grant else _("Extra speaker refused."))
    return redirect("registration_dashboard", consultation.slug)


@consultation_permission("registration.view_focal_points")
def focal_points(request, consultation):
    return render(
        request,
        "registration/focal_points.html",
        {"consultation": consultation, "focal_points": queries.focal_point_list(consultation)},
    )


EXPORT_COLUMNS = [
    gettext_lazy("Delegation"),
    gettext_lazy("Category"),
    gettext_lazy("Region"),
    gettext_lazy("Name"),
    gettext_lazy("E-mail address"),
    gettext_lazy("Function"),
    gettext_lazy("Language"),
    gettext_lazy("Status"),
    gettext_lazy("Role"),
]


def _export_rows(consultation):
    for p in queries.participant_rows(consultation):
        region = (
            p.delegation.state.region.code
            if p.delegation.state_id and p.delegation.state.region_id
            else ""
        )
        yield [
            str(p.delegation),
            p.delegation.get_category_display(),
            region,
            p.name,
            p.email,
            p.function,
            p.language,
            p.get_status_display(),
            p.get_role_display(),
        ]


@consultation_permission("registration.manage")
def participants_csv(request, consultation):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(column) for column in EXPORT_COLUMNS])
    writer.writerows(_export_rows(consultation))
    return download("\ufeff" + buffer.getvalue(), f"{consultation.slug}-participants.csv")


@consultation_permission("registration.manage")
def participants_xlsx(request, consultation):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Participants")[:31]
    sheet.append([str(column) for column in EXPORT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _export_rows(consultation):
        sheet.append(row)
    sheet.freeze_panes = "A2"
    sheet.sheet_view.rightToLeft = translation.get_language_bidi()
    buffer = io.BytesIO()
    workbook.save(buffer)
    return download(buffer.getvalue(), f"{consultation.slug}-participants.xlsx")


@consultation_permission("registration.manage")
def speakers_list(request, consultation):
    """The speakers, per delegation, as sent to the registration mailbox (R11)."""
    lines = [f"{consultation.acronym} — speakers", ""]
    for delegation in consultation.delegations.select_related("state", "sector_member"):
        speakers = delegation.participants.filter(
            status=Participant.Status.APPROVED, role=Participant.Role.SPEAKER
        ).order_by("name")
        if speakers:
            lines.append(str(delegation))
            lines.extend(
                f"  - {s.name} <{s.email}>{', ' + s.function if s.function else ''}"
                for s in speakers
            )
    return download("\n".join(lines) + "\n", f"{consultation.slug}-speakers.txt")


# --- the participation guide (R13) ----------------------------------------------------------


def _guide_tabs(consultation, edited=None):
    """One tab per language of the consultation: the text sent (saved or default), or the
    text being edited, with its preview for a sample participant (or the refusal)."""
    tabs = []
    for language in consultation.languages:
        subject, body, saved = services.guide_text(consultation, language)
        tab = {
            "language": language,
            "name": translation.get_language_info(language)["name_local"],
            "saved": saved,
            "subject": subject,
            "body": body,
            "error": "",
        }
        if edited and edited["language"] == language:
            tab.update(
                subject=edited["subject"], body=edited["body"], error=edited.get("error", "")
            )
        try:
            tab["preview_subject"], tab["preview_body"] = services.preview_guide(
                consultation, language, tab["subject"], tab["body"]
            )
        except DomainError as refusal:
            tab["error"] = tab["error"] or refusal.user_message()
        tabs.append(tab)
    return tabs


@consultation_permission("registration.manage")
def guide_edit(request, consultation):
    """The guide's text per language, with a preview; saved, reset to the default, or only
    previewed. A broken text is shown back with the refusal, and nothing is saved."""
    edited, status = None, 200
    if request.method == "POST":
        language = request.POST.get("language", "")
        edited = {
            "language": language,
            "subject": request.POST.get("subject", "")[:1000],
            "body": request.POST.get("body", "")[: services.GUIDE_BODY_MAX + 1000],
        }
        action = request.POST.get("action", "save")
        try:
            if action == "reset":
                services.reset_guide(consultation, language, actor=request.user)
                messages.success(request, _("The guide is back to the default text."))
                return redirect(
                    reverse("guide_edit", args=[consultation.slug]) + f"#guide-{language}"
                )
            if action == "save":
                services.save_guide(
                    consultation,
                    language,
                    subject=edited["subject"],
                    body=edited["body"],
                    actor=request.user,
                )
                messages.success(request, _("The guide has been saved."))
                return redirect(
                    reverse("guide_edit", args=[consultation.slug]) + f"#guide-{language}"
                )
        except DomainError as refusal:
            edited["error"], status = refusal.user_message(), refusal.status
    tabs = _guide_tabs(consultation, edited)
    active = edited["language"] if edited else (tabs[0]["language"] if tabs else "")
    page = {
        "consultation": consultation,
        "tabs": tabs,
        "active": active,
        "placeholders": services.GUIDE_PLACEHOLDERS,
        "samples": {
            tab["language"]: services.sample_guide_values(consultation, tab["language"])
            for tab in tabs
        },
        "approved": consultation.participants.filter(status=Participant.Status.APPROVED).count(),
    }
    return render(request, "registration/guide_edit.html", page, status=status)


@require_POST
@consultation_permission("registration.manage")
def guide_send(request, consultation):
    counts = services.send_guide_to_all(consultation, actor=request.user)
    messages.success(
        request,
        _(
            "The guide is on its way to %(participants)s participants: %(new_links)s with a new "
            "link, %(kept_links)s keeping the link they hold."
        )
        % counts,
    )
    return redirect("guide_deliveries", consultation.slug)


@consultation_permission("registration.manage")
def guide_deliveries(request, consultation):
    """Per approved participant, where their guide is: sent, waiting, failed and retried."""
    state = request.GET.get("state", "")
    if state not in {*OutboxMessage.Status.values, services.NOT_SENT}:
        state = ""
    counts, rows = services.guide_deliveries(consultation, state=state)
    return render(
        request,
        "registration/guide_deliveries.html",
        {"consultation": consultation, "counts": counts, "rows": rows, "state": state},
    )


@require_POST
@consultation_permission("registration.manage")
def guide_send_again(request, consultation, participant_id):
    participant = get_object_or_404(Participant, pk=participant_id, consultation=consultation)
    services.send_guide_again(
        participant, actor=request.user, new_link=request.POST.get("new_link") == "on"
    )
    messages.success(
        request, _("%(name)s: the guide has been sent again.") % {"name": participant.name}
    )
    target = reverse("guide_deliveries", args=[consultation.slug])
    state = request.POST.get("state", "")
    return redirect(target + (f"?state={state}" if state in OutboxMessage.Status.values else ""))
