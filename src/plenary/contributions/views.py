import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from plenary.consultations.access import consultation_permission
from plenary.consultations.models import AgendaItem
from plenary.core.downloads import download
from plenary.core.errors import DomainError
from plenary.core.uploads import LimitedUploadHandler
from plenary.directory.models import State

from . import filecheck, queries, services, template
from .forms import ContributionForm, UploadForm
from .models import Contribution
from .rules import SUBMITTING


def _form(consultation, user, data=None, initial=None):
    language = translation.get_language()
    states = services.represented_states(user, consultation)
    secretariat = user.has_perm("contributions.review", consultation)
    members = (
        State.objects.filter(status=State.Status.MEMBER)
        .filter(Q(left_on__isnull=True))
        .prefetch_related("official_names")
    )
    return ContributionForm(
        data,
        initial=initial,
        items=AgendaItem.objects.filter(
            group__consultation=consultation, group__number__in=consultation.contribution_groups
        )
        .select_related("group")
        .order_by("group__number", "position"),
        lead_states=members if secretariat else State.objects.filter(pk__in=[s.pk for s in states]),
        member_states=members,
        language=language,
    )


@consultation_permission(None)
def contribution_list(request, consultation):
    contributions = (
        Contribution.objects.filter(consultation=consultation)
        .select_related("item__group")
        .prefetch_related("states__state")
    )
    if request.user.has_perm("contributions.review", consultation):
        shown = contributions.exclude(status=Contribution.Status.DRAFT)
    else:
        mine = [s.pk for s in services.represented_states(request.user, consultation)]
        shown = contributions.filter(
            Q(status=Contribution.Status.PUBLISHED)
            | Q(states__state__in=mine)
            | Q(created_by_id=request.user.pk or 0)
        ).distinct()
    review = request.user.has_perm("contributions.review", consultation)
    listed = queries.with_standings(shown.order_by("status", "number", "-submitted_at"))
    return render(
        request,
        "contributions/list.html",
        {
            "consultation": consultation,
            "contributions": listed,
            "awaiting": queries.awaiting_answer_of(request.user, consultation),
            "blocked": [
                (c, row)
                for c in listed
                if c.status == Contribution.Status.SUBMITTED
                for row in c.blocking
                if row.standing == "no_focal_point"
            ]
            if review
            else [],
            "can_submit": request.user.has_perm("contributions.submit", consultation),
            "can_review": review,
            "can_invite": request.user.has_perm("people.manage", consultation),
        },
    )


def _submission(request, form) -> dict:
    """The Annex 3 fields of a valid form, as the submitting services take them."""
    data = form.cleaned_data
    return {
        "item": data["item"],
        "title": data["title"],
        "comments": data["comments"],
        "way_forward": data["way_forward"],
        "lead_state": data["lead_state"],
        "co_states": list(data["co_states"]),
        "actor": request.user,
        "accept_late": request.POST.get("accept_late") == "on",
    }


@consultation_permission("contributions.submit")
def contribution_new(request, consultation):
    """The web form (R15): the Annex 3 fields; or a link to upload the filled template."""
    form = _form(consultation, request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        contribution = services.submit_form(consultation, **_submission(request, form))
        messages.success(request, _("Your contribution has been submitted."))
        return redirect("contribution_detail", consultation.slug, contribution.pk)
    return render(
        request,
        "contributions/new.html",
        {
            "consultation": consultation,
            "form": form,
            "upload_form": _upload_form(consultation),
            "drafts": queries.drafts_of(request.user, consultation).order_by("created_at"),
            "queue_notice": getattr(filecheck, "QUEUE_NOTICE", ""),
        },
    )


def _upload_form(consultation, data=None, files=None):
    return UploadForm(
        data,
        files,
        auto_id="upload_%s",  # the page's other form has an item too
        items=AgendaItem.objects.filter(
            group__consultation=consultation, group__number__in=consultation.contribution_groups
        )
        .select_related("group")
        .order_by("group__number", "position"),
    )


@csrf_exempt
def contribution_upload(request, slug):
    """Upload of a filled template or a PDF. The size limit is applied while the body
    arrives; CSRF is checked after the upload handler is in place."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > filecheck.MAX_BYTES + 64 * 1024:
        # Refused before a byte of the body is read.
        messages.error(
            request,
            _("The file is larger than %(mb)s MB.") % {"mb": filecheck.MAX_BYTES // (1024 * 1024)},
        )
        return redirect("contribution_new", slug)
    request.upload_handlers.insert(0, LimitedUploadHandler(request, limit=filecheck.MAX_BYTES))
    return _contribution_upload(request, slug)


@csrf_protect
@consultation_permission("contributions.submit")
def _contribution_upload(request, consultation):
    if request.method != "POST":
        return redirect("contribution_new", consultation.slug)
    upload = request.FILES.get("upload")
    if upload is None:
        messages.error(
            request,
            _("Choose a file (at most %(mb)s MB).") % {"mb": filecheck.MAX_BYTES // (1024 * 1024)},
        )
        return redirect("contribution_new", consultation.slug)
    form = _upload_form(consultation, request.POST, request.FILES)
    if not form.is_valid():
        raise DomainError(_("Choose an agenda item of this consultation."), code="wrong_item")
    data = upload.read(filecheck.MAX_BYTES + 1)
    contribution, fields = services.prepare_upload(
        consultation,
        data=data,
        filename=upload.name,
        actor=request.user,
        item=form.cleaned_data["item"],
    )
    if fields:
        messages.info(request, _("The template was read: check the fields below."))
    return redirect("contribution_confirm", consultation.slug, contribution.pk)


@consultation_permission("contributions.submit")
def contribution_confirm(request, consultation, contribution_id):
    """Step 2 of an upload: the page count and the fields, confirmed by the person."""
    contribution = get_object_or_404(
        queries.uploads_of(request.user, consultation), pk=contribution_id
    )
    if request.method != "POST" and contribution.status != Contribution.Status.DRAFT:
        return redirect("contribution_detail", consultation.slug, contribution.pk)
    states = services.represented_states(request.user, consultation)
    initial = {
        "item": contribution.item,
        "title": contribution.title,
        "comments": contribution.comments,
        "way_forward": contribution.way_forward,
        "lead_state": states[0] if states else None,
    }
    form = _form(consultation, request.user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.submit(contribution, **_submission(request, form))
        messages.success(request, _("Your contribution has been submitted."))
        return redirect("contribution_detail", consultation.slug, contribution.pk)
    return render(
        request,
        "contributions/confirm.html",
        {
            "consultation": consultation,
            "contribution": contribution,
            "form": form,
            "expires_at": contribution.created_at
            + datetime.timedelta(days=consultation.contribution_draft_days),
        },
    )


@consultation_permission(None)
def contribution_detail(request, consultation, contribution_id):
    found = queries.with_standings(
        queries.contributions_of(consultation).filter(pk=contribution_id)
    )
    if not found:
        raise Http404
    contribution = found[0]
    mine = services.represented_states(request.user, consultation)
    review = request.user.has_perm("contributions.review", consultation)
    rows = contribution.rows
    open_to_answers = (
        contribution.status == Contribution.Status.SUBMITTED
        and timezone.now() <= consultation.contribution_deadline
    )
    for row in rows:
        own = request.user.pk in {user.pk for user in row.focal_points}
        # Who is offered the buttons: the state's focal point; the secretariat, to record
        # what a focal point wrote. A delegate of the state sees who answers instead.
        row.answerable = open_to_answers and row.standing == "awaiting" and (own or review)
        row.on_behalf_offer = row.answerable and not own
    involved = (
        review
        or contribution.created_by_id == request.user.pk
        or any(row.state in mine for row in rows)
    )
    if contribution.status != Contribution.Status.PUBLISHED and not involved:
        raise PermissionDenied
    if not involved:  # the public reads who submitted it, not who declined
        rows = [row for row in rows if row.standing in SUBMITTING]
    return render(
        request,
        "contributions/detail.html",
        {
            "consultation": consultation,
            "contribution": contribution,
            "rows": rows,
            "mine": mine,
            "can_review": review,
            "can_invite": request.user.has_perm("people.manage", consultation),
        },
    )


@require_POST
@consultation_permission("contributions.submit")
def contribution_action(request, consultation, contribution_id):
    action = request.POST.get("action")
    if action in ("confirm", "decline"):
        return _answer(request, consultation, contribution_id, confirm=action == "confirm")
    contribution = get_object_or_404(queries.contributions_of(consultation), pk=contribution_id)
    if action == "publish":
        contribution = services.publish(contribution, actor=request.user)
        messages.success(request, _("Published as %(symbol)s.") % {"symbol": contribution.symbol})
    elif action == "withdraw":
        services.withdraw(contribution, actor=request.user)
        messages.success(request, _("The contribution is withdrawn."))
    elif action == "delete":
        services.delete_draft(contribution, actor=request.user)
        messages.success(request, _("The draft and its file are deleted."))
        return redirect("contribution_new", consultation.slug)
    else:
        raise DomainError(_("Unknown action."), code="unknown_action")
    return redirect("contribution_detail", consultation.slug, contribution.pk)


def _answer(request, consultation, contribution_id, *, confirm: bool):
    """A co-submitter's answer from the contribution page or the contributions list: a
    forged contribution or state is refused by the service, and recorded, as any other."""
    contribution = queries.contributions_of(consultation).filter(pk=contribution_id).first()
    if contribution is None:
        services.refuse_unknown_contribution(
            consultation, contribution_id, actor=request.user, confirm=confirm
        )
    value = request.POST.get("state", "")
    state = State.objects.filter(pk=int(value)).first() if value.isdigit() else None
    services.answer_co_submission(contribution, state, confirm=confirm, actor=request.user)
    if confirm:
        messages.success(request, _("The co-submission is confirmed."))
    else:
        messages.success(request, _("The co-submission is declined."))
    if request.POST.get("next") == "list":
        return redirect("contributions", consultation.slug)
    return redirect("contribution_detail", consultation.slug, contribution.pk)


@consultation_permission(None)
def template_download(request, consultation):
    language = translation.get_language()
    return download(
        template.template_docx(consultation, language),
        f"{consultation.slug}-contribution-template-{language}.docx",
    )
