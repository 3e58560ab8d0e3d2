"""The secretariat's pages for setting up a consultation: the list, a new one in three
steps (start, settings with a preview of the dates, create), and the settings of one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from plenary.consultations.access import consultation_permission
from plenary.consultations.models import Consultation
from plenary.core.errors import DomainError

from . import services
from .catalogue import REMOTE
from .forms import SettingsForm, StartForm, initial_of


def _secretariat(request) -> None:
    if not request.user.has_perm("setup.create_consultation"):
        raise PermissionDenied


@login_required
def consultation_list(request):
    _secretariat(request)
    form = StartForm(request.GET or None)
    if request.GET and form.is_valid():
        source = form.cleaned_data["source"]
        query = f"?slug={form.cleaned_data['slug']}&starts_on={form.cleaned_data['starts_on']}"
        if source:
            query += f"&source={source.slug}"
        return redirect(f"{request.path}new/{query}")
    return render(
        request,
        "setup/list.html",
        {"consultations": Consultation.objects.order_by("-starts_on"), "form": form},
    )


@login_required
def consultation_new(request):
    _secretariat(request)
    start = StartForm(request.GET)
    if not start.is_valid():
        messages.error(request, _("Give the short name and the first day of the new consultation."))
        return redirect("setup_consultations")
    source = start.cleaned_data["source"]
    slug = start.cleaned_data["slug"]
    candidate, remote = services.starting_point(
        source, {"starts_on": start.cleaned_data["starts_on"]}
    )
    groups = services.groups_of(source)
    form = SettingsForm(request.POST or None, groups=groups)
    if not form.is_bound:
        form.initial.update({**initial_of(candidate), **remote})
        if source is not None:
            # The source's title names the source: the copy's is typed anew.
            form.initial.update({name: "" for name in form.fields if name.startswith("title_")})
    preview = None
    if form.is_bound and form.is_valid():
        values = form.values()
        shown = {}
        if request.POST.get("action") == "create":
            try:
                created = services.create_consultation(
                    values, slug=slug, actor=request.user, copy_from=source
                )
            except DomainError as refusal:
                shown = refusal.details or {}
                form.show_errors(shown)
                messages.error(request, refusal.user_message())
            else:
                messages.success(
                    request, _("%(acronym)s is set up.") % {"acronym": created.acronym}
                )
                return redirect("setup_settings", created.slug)
        preview = services.preview(values, copy_from=source)
        # The refusal and the preview find the same problems: each shown once under its field.
        form.show_errors({k: v for k, v in preview["problems"].items() if k not in shown})
    return render(
        request,
        "setup/settings.html",
        {"form": form, "preview": preview, "slug": slug, "source": source, "creating": True},
    )


@consultation_permission("setup.edit_settings")
def consultation_settings(request, consultation):
    groups = services.groups_of(consultation)
    form = SettingsForm(request.POST or None, groups=groups)
    if not form.is_bound:
        form.initial.update(initial_of(consultation))
    preview = None
    if form.is_bound and form.is_valid():
        values = form.values()
        if request.POST.get("action") == "save":
            try:
                changed = services.update_settings(
                    consultation, values, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except DomainError as refusal:
                if isinstance(refusal.details, dict):
                    form.show_errors(refusal.details)
                messages.error(request, refusal.user_message())
                preview = services.preview(values, consultation=consultation)
            else:
                if changed:
                    messages.success(
                        request,
                        _("Saved: %(count)s settings changed.") % {"count": len(changed)},
                    )
                else:
                    messages.info(request, _("Nothing to change."))
                return redirect("setup_settings", consultation.slug)
        else:
            preview = services.preview(values, consultation=consultation)
            form.show_errors(preview["problems"])
    return render(
        request,
        "setup/settings.html",
        {
            "form": form,
            "preview": preview,
            "consultation": consultation,
            "remote_fields": REMOTE,
            "needs_reason": consultation.agenda_is_final or consultation.plan_versions.exists(),
        },
    )
