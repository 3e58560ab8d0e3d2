import hashlib

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plenary.core.errors import DomainError

from . import agenda_files, queries, services
from .access import consultation_permission
from .forms import ConfirmForm, DocumentForm, GroupForm, ImportForm, ItemForm, MoveForm
from .models import AgendaGroup, AgendaItem, AgendaVersion, Consultation, Document
from .versions import diff_snapshots


def home(request):
    consultations = list(Consultation.objects.order_by("-starts_on"))
    if len(consultations) == 1:
        return redirect("consultation_home", slug=consultations[0].slug)
    return render(request, "consultations/index.html", {"consultations": consultations})


def _consultation_or_404(slug: str) -> Consultation:
    try:
        return queries.consultation_by_slug(slug)
    except Consultation.DoesNotExist:
        raise Http404 from None


def consultation_home(request, slug):
    consultation = _consultation_or_404(slug)
    now = timezone.now()
    return render(
        request,
        "consultations/home.html",
        {
            "consultation": consultation,
            "milestones": queries.milestones(consultation),
            "next": queries.next_milestone(consultation, now),
            "now": now,
            "counts": queries.agenda_counts(consultation),
        },
    )


def agenda(request, slug):
    consultation = _consultation_or_404(slug)
    language = translation.get_language()
    return render(
        request,
        "consultations/agenda.html",
        {
            "consultation": consultation,
            "groups": queries.agenda_groups(consultation),
            "untranslated": queries.untranslated_subjects(consultation, language),
        },
    )


# --- The secretariat's agenda pages (R5–R7, R25) -------------------------------------------


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@consultation_permission("consultations.edit_agenda")
def agenda_edit(request, consultation):
    return render(
        request,
        "consultations/agenda_edit.html",
        {
            "consultation": consultation,
            "groups": queries.agenda_groups(consultation),
            "can_confirm": request.user.has_perm("consultations.chair_meeting", consultation),
            "group_form": GroupForm(next_number=_next_group_number(consultation)),
            "versions": consultation.agenda_versions.order_by("-number")[:5],
        },
    )


@require_POST
@consultation_permission("consultations.edit_agenda")
def agenda_item_add(request, consultation, group_number):
    group = get_object_or_404(AgendaGroup, consultation=consultation, number=group_number)
    form = ItemForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("agenda_edit", consultation.slug)
    item = services.add_item(
        group,
        subjects=form.subjects(),
        references=form.cleaned_data["references"],
        base_minutes=form.cleaned_data["base_minutes"],
        actor=request.user,
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("Item %(label)s added.") % {"label": item.label})
    return redirect(f"{reverse('agenda_edit', args=[consultation.slug])}#item-{item.label}")


@consultation_permission("consultations.edit_agenda")
def agenda_item_edit(request, consultation, item_id):
    item = get_object_or_404(
        AgendaItem.objects.select_related("group"), pk=item_id, group__consultation=consultation
    )
    form = ItemForm(request.POST or None, item=item)
    document_form = DocumentForm()
    if request.method == "POST" and form.is_valid():
        services.update_item(
            item,
            subjects=form.subjects(),
            references=form.cleaned_data["references"],
            base_minutes=form.cleaned_data["base_minutes"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Item %(label)s saved.") % {"label": item.label})
        return redirect("agenda_item_edit", consultation.slug, item.pk)
    links = item.agendaitemdocument_set.select_related("document").order_by("position")
    return render(
        request,
        "consultations/item_edit.html",
        {
            "consultation": consultation,
            "item": item,
            "form": form,
            "document_form": document_form,
            "links": links,
        },
    )


@require_POST
@consultation_permission("consultations.edit_agenda")
def agenda_item_move(request, consultation, item_id):
    item = get_object_or_404(AgendaItem, pk=item_id, group__consultation=consultation)
    form = MoveForm(request.POST, consultation=consultation)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("agenda_edit", consultation.slug)
    item = services.move_item(
        item,
        group=form.cleaned_data["group"],
        step=form.cleaned_data["step"] or 0,
        actor=request.user,
        reason=form.cleaned_data["reason"],
    )
    return redirect(f"{reverse('agenda_edit', args=[consultation.slug])}#item-{item.label}")


@require_POST
@consultation_permission("consultations.edit_agenda")
def agenda_document_attach(request, consultation, item_id):
    item = get_object_or_404(AgendaItem, pk=item_id, group__consultation=consultation)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("agenda_item_edit", consultation.slug, item.pk)
    document = services.attach_document(item, **form.attachment(), actor=request.user)
    messages.success(request, _("Document %(symbol)s attached.") % {"symbol": document.symbol})
    return redirect("agenda_item_edit", consultation.slug, item.pk)


@require_POST
@consultation_permission("consultations.edit_agenda")
def agenda_document_detach(request, consultation, item_id, document_id):
    item = get_object_or_404(AgendaItem, pk=item_id, group__consultation=consultation)
    document = get_object_or_404(Document, pk=document_id, consultation=consultation)
    services.detach_document(
        item, document, actor=request.user, reason=request.POST.get("reason", "")
    )
    messages.success(
        request, _("Document %(symbol)s removed from the item.") % {"symbol": document.symbol}
    )
    return redirect("agenda_item_edit", consultation.slug, item.pk)


@require_POST
@consultation_permission("consultations.chair_meeting")
def agenda_confirm(request, consultation):
    """The confirm button of the chair's console, at the opening meeting."""
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm the agenda."))
        return redirect("floor_console", consultation.slug)
    version = services.confirm_agenda(consultation, actor=request.user)
    messages.success(
        request, _("The agenda is confirmed as version %(number)s.") % {"number": version.number}
    )
    return redirect("floor_console", consultation.slug)


@consultation_permission("consultations.edit_agenda")
def agenda_translations(request, consultation):
    matrix = queries.translation_matrix(consultation)
    languages = [
        {
            "code": code,
            "name": translation.get_language_info(code)["name_local"],
            "missing": missing,
        }
        for code, missing in zip(matrix["languages"], matrix["missing"], strict=True)
    ]
    return render(
        request,
        "consultations/translations.html",
        {"consultation": consultation, "languages": languages, "rows": matrix["rows"]},
    )


@consultation_permission(None)
def agenda_versions(request, consultation):
    versions = list(consultation.agenda_versions.select_related("created_by").order_by("-number"))
    return render(
        request, "consultations/versions.html", {"consultation": consultation, "versions": versions}
    )


@consultation_permission(None)
def agenda_version(request, consultation, number):
    version = get_object_or_404(AgendaVersion, consultation=consultation, number=number)
    previous = consultation.agenda_versions.filter(number__lt=number).order_by("-number").first()
    changes = diff_snapshots(previous.snapshot, version.snapshot) if previous else []
    return render(
        request,
        "consultations/version.html",
        {
            "consultation": consultation,
            "version": version,
            "previous": previous,
            "changes": changes,
        },
    )


# --- Groups and the import of the agenda from a file ----------------------------------------


def _next_group_number(consultation) -> int:
    return max(consultation.groups.values_list("number", flat=True), default=0) + 1


@require_POST
@consultation_permission("consultations.edit_agenda")
def agenda_group_add(request, consultation):
    form = GroupForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(f"{reverse('agenda_edit', args=[consultation.slug])}#add-group")
    group = services.add_group(
        consultation,
        number=form.cleaned_data["number"],
        kind=form.cleaned_data["kind"],
        titles=form.titles(),
        actor=request.user,
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("Group %(number)s added.") % {"number": group.number})
    return redirect(f"{reverse('agenda_edit', args=[consultation.slug])}#g{group.number}")


@consultation_permission("consultations.edit_agenda")
def agenda_group_edit(request, consultation, number):
    group = get_object_or_404(AgendaGroup, consultation=consultation, number=number)
    form = GroupForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        services.update_group(
            group,
            kind=form.cleaned_data["kind"],
            titles=form.titles(),
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Group %(number)s saved.") % {"number": group.number})
        return redirect(f"{reverse('agenda_edit', args=[consultation.slug])}#g{group.number}")
    return render(
        request,
        "consultations/group_edit.html",
        {"consultation": consultation, "group": group, "form": form},
    )


_IMPORT_KEY = "plenary_agenda_import"


def _import_page(request, consultation, **context):
    return render(
        request,
        "consultations/agenda_import.html",
        {
            "consultation": consultation,
            "form": context.pop("form", None) or ImportForm(),
            **context,
        },
    )


@consultation_permission("consultations.edit_agenda")
def agenda_import(request, consultation):
    """Upload -> preview. The file's rows wait in the session (never a path the browser
    could name) under the digest that the preview's button sends back."""
    if request.method != "POST":
        return _import_page(request, consultation)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, consultation, form=form)
    data, name = form.contents(), form.cleaned_data["file"].name
    try:
        rows = agenda_files.read_agenda(data, name)
        plan = services.import_agenda(consultation, rows, actor=request.user)
    except agenda_files.AgendaFileError as refused:
        return _import_page(request, consultation, form=form, problems=refused.problems)
    digest = hashlib.sha256(b"%d:" % consultation.pk + data).hexdigest()
    request.session[_IMPORT_KEY] = {
        "consultation": consultation.pk,
        "digest": digest,
        "name": name[:200],
        "rows": agenda_files.rows_to_data(rows),
    }
    return _import_page(request, consultation, plan=plan, digest=digest, name=name)


@require_POST
@consultation_permission("consultations.edit_agenda")
def agenda_import_apply(request, consultation):
    stored = request.session.get(_IMPORT_KEY) or {}
    if stored.get("consultation") != consultation.pk or stored.get("digest") != request.POST.get(
        "digest"
    ):
        messages.error(request, _("This preview is no longer available; send the file again."))
        return redirect("agenda_import", consultation.slug)
    rows = agenda_files.rows_from_data(stored["rows"])
    try:
        plan = services.import_agenda(
            consultation,
            rows,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            apply=True,
            source=stored["name"],
        )
    except DomainError as refused:
        # Shown on the preview again, so the secretariat need not send the file a second time.
        messages.error(request, refused.user_message())
        plan = services.import_agenda(consultation, rows, actor=request.user)
        return _import_page(
            request, consultation, plan=plan, digest=stored["digest"], name=stored["name"]
        )
    if plan.applied:
        counts = plan.counts
        messages.success(
            request,
            _(
                "The agenda was imported: %(groups)s groups and %(items)s items created, %(changed)s items changed."
            )
            % {
                "groups": counts["groups_created"],
                "items": counts["items_created"],
                "changed": counts["items_changed"],
            },
        )
    else:
        messages.info(request, _("Nothing to change: the agenda already matches the file."))
    return redirect("agenda_edit", consultation.slug)
