import dataclasses
import hashlib
import json

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plenary.consultations.access import consultation_permission
from plenary.consultations.models import Appointment
from plenary.core import ratelimit
from plenary.core.accounts import has_totp, requires_mfa
from plenary.core.errors import DomainError
from plenary.core.sessions import session_in_transaction

from . import importing, queries, services
from .forms import AcceptForm, InviteForm, UploadForm
from .models import Invitation, VotingFocalPoint

MANAGE = "people.manage"
_IMPORT_KEY = "plenary_people_import"


def _preselected(request) -> dict:
    """What a link to the invitation form chooses for the secretariat, e.g. from a
    contribution whose co-submitter has no focal point: ?delegation=state:CN&role=focal_point.
    Anything else in the address is ignored."""
    initial = {}
    delegation = request.GET.get("delegation", "")
    if delegation.startswith(("state:", "sm:")) and len(delegation) <= 20:
        initial["delegation"] = delegation
    if request.GET.get("role") in Invitation.Role.values:
        initial["role"] = request.GET["role"]
    return initial


def _page(request, consultation, *, form=None, upload=None, status=200, **extra):
    language = translation.get_language()
    return render(
        request,
        "people/page.html",
        {
            "consultation": consultation,
            "form": form
            or InviteForm(
                consultation=consultation, language=language, initial=_preselected(request)
            ),
            "upload": upload or UploadForm(),
            **queries.page(consultation),
            **extra,
        },
        status=status,
    )


@consultation_permission(MANAGE)
def people_page(request, consultation):
    """Focal points per state, voting focal points, the other roles; invite, resend,
    withdraw, and the CSV upload."""
    return _page(request, consultation)


@require_POST
@consultation_permission(MANAGE)
def invite(request, consultation):
    form = InviteForm(request.POST, consultation=consultation, language=translation.get_language())
    if not form.is_valid():
        return _page(request, consultation, form=form, status=400)
    try:
        invitation = services.invite(consultation, actor=request.user, **form.invitation())
    except DomainError as refused:
        form.add_error(None, refused.user_message())
        return _page(
            request, consultation, form=form, message=refused.user_message(), status=refused.status
        )
    messages.success(
        request, _("The invitation has been sent to %(email)s.") % {"email": invitation.email}
    )
    return redirect("people", consultation.slug)


@require_POST
@consultation_permission(MANAGE)
def invitation_action(request, consultation, invitation_id):
    invitation = get_object_or_404(Invitation, pk=invitation_id, consultation=consultation)
    action = request.POST.get("action")
    if action == "resend":
        services.resend(invitation, actor=request.user)
        messages.success(
            request, _("The invitation has been sent again; the previous link no longer works.")
        )
    elif action == "withdraw":
        services.withdraw_invitation(invitation, actor=request.user)
        messages.success(request, _("The invitation has been withdrawn."))
    else:
        raise DomainError(_("Choose an action."), code="unknown_action")
    return redirect("people", consultation.slug)


@require_POST
@consultation_permission(MANAGE)
def appointment_withdraw(request, consultation, appointment_id):
    appointment = get_object_or_404(Appointment, pk=appointment_id, consultation=consultation)
    services.withdraw_appointment(appointment, actor=request.user)
    messages.success(request, _("The appointment has been withdrawn."))
    return redirect("people", consultation.slug)


@require_POST
@consultation_permission(MANAGE)
def voting_focal_point_withdraw(request, consultation, voting_id):
    voting = get_object_or_404(VotingFocalPoint, pk=voting_id, consultation=consultation)
    services.withdraw_voting_focal_point(voting, actor=request.user)
    messages.success(request, _("The voting focal point has been withdrawn."))
    return redirect("people", consultation.slug)


@consultation_permission(MANAGE)
def import_preview(request, consultation):
    """Upload -> preview: each row with what will happen, or every problem by its line. The
    rows wait in the session under the digest the preview's button sends back."""
    if request.method != "POST":
        return redirect("people", consultation.slug)
    upload = UploadForm(request.POST, request.FILES)
    if not upload.is_valid():
        return _page(request, consultation, upload=upload, status=400)
    data = upload.cleaned_data["file"].read()
    try:
        rows = importing.read(data)
        plan = services.import_invitations(consultation, rows, actor=request.user)
    except DomainError as refused:
        problems = getattr(refused, "problems", [refused.user_message()])
        return _page(
            request,
            consultation,
            upload=upload,
            problems=problems,
            message=refused.user_message(),
            status=refused.status,
        )
    stored = [dataclasses.asdict(row) for row in rows]
    digest = hashlib.sha256(json.dumps([consultation.pk, stored]).encode()).hexdigest()
    request.session[_IMPORT_KEY] = {
        "consultation": consultation.pk,
        "digest": digest,
        "rows": stored,
    }
    return render(
        request,
        "people/import.html",
        {"consultation": consultation, "plan": plan, "digest": digest},
    )


@require_POST
@consultation_permission(MANAGE)
@session_in_transaction
def import_send(request, consultation):
    """Send the invitations of the previewed file: all of them, or none."""
    stored = request.session.get(_IMPORT_KEY) or {}
    if stored.get("consultation") != consultation.pk or stored.get("digest") != request.POST.get(
        "digest"
    ):
        messages.error(request, _("This preview is no longer available; send the file again."))
        return redirect("people", consultation.slug)
    rows = [importing.CsvRow(**row) for row in stored["rows"]]
    try:
        plan = services.import_invitations(consultation, rows, actor=request.user, apply=True)
    except DomainError as refused:
        problems = getattr(refused, "problems", [refused.user_message()])
        return _page(
            request,
            consultation,
            problems=problems,
            message=refused.user_message(),
            status=refused.status,
        )
    del request.session[_IMPORT_KEY]
    messages.success(
        request, _("%(count)s invitations have been sent.") % {"count": len(plan.rows)}
    )
    return redirect("people", consultation.slug)


# --- the invited person -------------------------------------------------------------------------


def _refused(request, refused: DomainError):
    return render(
        request,
        "people/invitation_refused.html",
        {"message": refused.user_message()},
        status=refused.status,
    )


@session_in_transaction
def accept(request, token):
    """The invitation's link: who invites whom to what; a new account's name and password,
    or the sign-in of the invited address first; then the appointment in one step."""
    if not ratelimit.allow("join", ratelimit.client_address(request)):
        return _refused(
            request,
            DomainError(
                _("Too many attempts. Please wait a minute and try again."), code="rate_limited"
            ),
        )
    try:
        invitation = services.resolve(token)
    except DomainError as refused:
        return _refused(request, refused)
    account = services.account_for(invitation)
    signed_in = request.user.is_authenticated
    if signed_in and request.user.email.lower() != invitation.email:
        return _refused(
            request,
            DomainError(
                _(
                    "This invitation is for %(email)s; you are signed in with another account. Sign out, then open the link again."
                ),
                code="wrong_account",
                params={"email": invitation.email},
            ),
        )
    if account is not None and not signed_in and request.method == "POST":
        return redirect_to_login(request.get_full_path())
    form = AcceptForm(
        request.POST or None, email=invitation.email, initial={"name": invitation.name}
    )
    page = {
        "invitation": invitation,
        "consultation": invitation.consultation,
        "duties": services.DUTIES[invitation.role],
        "account": account,
        "form": form if account is None else None,
        "login_url": f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}",
    }
    if request.method != "POST":
        return render(request, "people/accept.html", page)
    if account is None and not form.is_valid():
        return render(request, "people/accept.html", page, status=400)
    try:
        data = form.cleaned_data if account is None else {}
        user = services.accept(
            token,
            user=request.user if signed_in else None,
            name=data.get("name", ""),
            password=data.get("password1", ""),
        )
    except DomainError as refused:
        return _refused(request, refused)
    if not signed_in:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return _after_accept(request, invitation, user)


def _after_accept(request, invitation, user):
    """The second factor first where the role needs one; then the role's own page."""
    messages.success(request, _("Welcome: your appointment is made."))
    if requires_mfa(user) and not has_totp(user):
        return redirect("mfa_activate_totp")
    slug = invitation.consultation.slug
    if invitation.role == Invitation.Role.FOCAL_POINT:
        return redirect("delegation_page", slug)
    if invitation.role == Invitation.Role.VOTING_FOCAL_POINT:
        return redirect("ballots", slug)
    return redirect("consultation_home", slug)
