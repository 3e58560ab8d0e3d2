"""The secretariat's pages for the Council and its Member States: Council terms and their
seats, the right to vote, Sector Members and those a consultation invites. Every change is
a membership.services call, as in the API."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plenary.consultations.access import consultation_permission
from plenary.core.errors import DomainError
from plenary.directory.models import CouncilTerm, SectorMember, VotingRightSuspension

from . import queries, services
from .forms import (
    InviteForm,
    RestoreForm,
    SeatsForm,
    SectorMemberForm,
    SuspendForm,
    TermEditForm,
    TermForm,
)
from .importing import MAX_BYTES


def secretariat_only(view):
    """The secretariat's pages that belong to no consultation: sign in first, then the rule
    membership.manage."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perm("membership.manage"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _form_errors(request, form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _problems(refusal: DomainError) -> list[str]:
    return getattr(refusal, "problems", None) or [refusal.user_message()]


def _listed(request, form) -> tuple[str, bytes | None, str]:
    """(the pasted text, the uploaded file's bytes, its name)."""
    upload = form.cleaned_data.get("upload")
    if upload is not None:
        return "", upload.read(MAX_BYTES + 1), upload.name
    return form.cleaned_data.get("members") or "", None, ""


def _canonical(preview) -> str:
    """The previewed seats as the text box holds them: one "region,ISO code" a line."""
    return "\n".join(f"{region.code},{state.iso2}" for region, state, _where in preview.seats)


@secretariat_only
def council_terms(request):
    """The terms with their seats and dates; a new term, previewed before it is saved."""
    form = TermForm(request.POST or None, request.FILES or None)
    preview, problems = None, []
    if request.method == "POST" and not form.is_valid():
        _form_errors(request, form)
    elif request.method == "POST":
        data = form.cleaned_data
        text, upload, filename = _listed(request, form)
        fields = {
            "actor": request.user,
            "name": data["name"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "seat_count": data["seat_count"],
            "dry_run": request.POST.get("action") != "save",
        }
        try:
            if upload is not None:
                result = services.import_term(upload, filename, **fields)
            else:
                result = services.import_text(text, **fields)
        except DomainError as refusal:
            problems = _problems(refusal)
        else:
            if not fields["dry_run"]:
                messages.success(request, _("Council term %(name)s saved.") % {"name": result.name})
                return redirect("council_term", result.pk)
            preview, problems = result, [str(p) for p in result.problems]
            form = _refilled(form, preview, upload is not None)
    return render(
        request,
        "membership/council_terms.html",
        {"terms": queries.terms(), "form": form, "preview": preview, "problems": problems},
    )


def _refilled(form, preview, uploaded: bool):
    """After a preview the text box holds the list (an upload's rows once it reads well),
    so that saving sends what was previewed; name and dates as the file gave them."""
    data = form.data.copy()
    if uploaded and preview.ok:
        data["members"] = _canonical(preview)
    data["name"] = preview.name
    data["starts_on"] = preview.starts_on.isoformat() if preview.starts_on else ""
    data["ends_on"] = preview.ends_on.isoformat() if preview.ends_on else ""
    return TermForm(data)


@secretariat_only
def council_term(request, term_id: int):
    """One term: its seats by region; its name and dates, and its list of members, changed."""
    term = get_object_or_404(CouncilTerm, pk=term_id)
    edit_form = TermEditForm(
        initial={f: getattr(term, f) for f in ("name", "starts_on", "ends_on", "seat_count")}
    )
    seats_form = SeatsForm(initial={"members": _seat_text(term)})
    problems, preview = [], None
    action = request.POST.get("action")
    if request.method == "POST" and action == "term":
        edit_form = TermEditForm(request.POST)
        if edit_form.is_valid():
            try:
                services.update_term(term, actor=request.user, **edit_form.cleaned_data)
            except DomainError as refusal:
                problems = _problems(refusal)
            else:
                messages.success(request, _("Council term %(name)s changed.") % {"name": term.name})
                return redirect("council_term", term.pk)
        else:
            _form_errors(request, edit_form)
    elif request.method == "POST" and action in ("seats", "preview"):
        seats_form = SeatsForm(request.POST, request.FILES)
        if seats_form.is_valid():
            problems, preview = _change_seats(request, term, seats_form, action == "seats")
            if preview is None and not problems:
                return redirect("council_term", term.pk)
        else:
            _form_errors(request, seats_form)
    return render(
        request,
        "membership/council_term.html",
        {
            "term": term,
            "by_region": queries.seats_by_region(queries.seats(term)),
            "edit_form": edit_form,
            "seats_form": seats_form,
            "problems": problems,
            "preview": preview,
        },
    )


def _change_seats(request, term, form, save: bool):
    """(problems, preview): a preview of the new list, or the list saved (both empty)."""
    text, upload, filename = _listed(request, form)
    seat_list = (
        services.importing.read(upload, filename)
        if upload is not None
        else services.importing.read_text(text)
    )
    preview = services.check_term(
        term.name,
        term.starts_on,
        term.ends_on,
        seat_list.rows,
        seat_count=term.seat_count,
        term=term,
    )
    preview.problems[:0] = seat_list.problems
    if not save or not preview.ok:
        return [str(p) for p in preview.problems], preview
    try:
        services.replace_seats(term, seat_list.rows, actor=request.user)
    except DomainError as refusal:
        return _problems(refusal), None
    messages.success(request, _("The members of %(name)s were replaced.") % {"name": term.name})
    return [], None


def _seat_text(term) -> str:
    return "\n".join(f"{seat.region.code},{seat.state.iso2}" for seat in queries.seats(term))


@secretariat_only
def voting_rights(request):
    """The Member States without a vote now; a loss recorded, a vote restored."""
    today = timezone.localdate()
    form = SuspendForm(request.POST or None, initial={"since": today})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            services.suspend_voting_right(
                data["state"],
                since=data["since"],
                reason=data["reason"],
                note=data["note"],
                actor=request.user,
            )
            messages.success(
                request, _("%(state)s has lost the right to vote.") % {"state": data["state"]}
            )
            return redirect("voting_rights")
        _form_errors(request, form)
    return render(
        request,
        "membership/voting_rights.html",
        {
            "losses": queries.current_losses(today),
            "form": form,
            "restore_form": RestoreForm(initial={"until": today}),
            "today": today,
        },
    )


@require_POST
@secretariat_only
def voting_right_restore(request, suspension_id: int):
    suspension = get_object_or_404(
        VotingRightSuspension.objects.select_related("state"), pk=suspension_id
    )
    form = RestoreForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("voting_rights")
    services.restore_voting_right(suspension, until=form.cleaned_data["until"], actor=request.user)
    messages.success(
        request, _("%(state)s has the right to vote again.") % {"state": suspension.state}
    )
    return redirect("voting_rights")


@secretariat_only
def sector_members(request):
    """The Sector Members by Sector; a new one entered."""
    form = SectorMemberForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            member = services.create_sector_member(
                data["name"], data["sector"], data["state"], actor=request.user
            )
            messages.success(request, _("%(name)s entered.") % {"name": member})
            return redirect("sector_members")
        _form_errors(request, form)
    return render(
        request,
        "membership/sector_members.html",
        {"sectors": queries.by_sector(queries.sector_members()), "form": form},
    )


@consultation_permission("membership.manage")
def consultation_sector_members(request, consultation):
    """The Sector Members a consultation invites, per Sector within its limit."""
    form = InviteForm(request.POST or None, consultation=consultation)
    if request.method == "POST":
        if request.POST.get("action") == "uninvite":
            chosen = request.POST.get("sector_member", "")
            member = get_object_or_404(SectorMember, pk=int(chosen) if chosen.isdigit() else 0)
            services.uninvite_sector_member(consultation, member, actor=request.user)
            messages.success(request, _("%(name)s is no longer invited.") % {"name": member})
            return redirect("consultation_sector_members", consultation.slug)
        if form.is_valid():
            member = form.cleaned_data["sector_member"]
            services.invite_sector_member(consultation, member, actor=request.user)
            messages.success(request, _("%(name)s invited.") % {"name": member})
            return redirect("consultation_sector_members", consultation.slug)
        _form_errors(request, form)
    return render(
        request,
        "membership/consultation_sector_members.html",
        {
            "consultation": consultation,
            "sectors": queries.by_sector(queries.invited(consultation)),
            "limit": consultation.sector_members_per_sector,
            "form": form,
        },
    )
