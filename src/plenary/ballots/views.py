import secrets
from datetime import UTC

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plenary.consultations.access import consultation_permission
from plenary.consultations.models import Appointment
from plenary.core.errors import DomainError
from plenary.core.models import User
from plenary.directory.models import State

from . import queries, services
from .forms import LaunchForm, ReplyForm
from .models import Ballot, Elector, Proposal, Reply

TOKENS = "plenary_ballot_tokens"


@consultation_permission(None)
def ballot_list(request, consultation):
    return render(
        request,
        "ballots/list.html",
        {
            "consultation": consultation,
            "ballots": consultation.ballots.all(),
            "can_launch": request.user.has_perm("ballots.manage", consultation),
        },
    )


@consultation_permission("ballots.manage")
def ballot_new(request, consultation):
    items = queries.items_for_correspondence(consultation)
    officers = User.objects.filter(
        appointments__role=Appointment.Role.PRESIDING_OFFICER,
        appointments__consultation=consultation,
    )
    form = LaunchForm(request.POST or None, items=items, officers=officers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proposals = [
            (item, item.conclusion.text if hasattr(item, "conclusion") else item.subject)
            for item in data["items"]
        ]
        proposals += [
            (None, line.strip()) for line in data["proposals"].splitlines() if line.strip()
        ]
        ballot = services.launch(
            consultation,
            title=data["title"],
            question=data["question"],
            documents=data["documents"],
            proposals=proposals,
            deadline=data["deadline"].replace(tzinfo=UTC)
            if data["deadline"].tzinfo is None
            else data["deadline"],
            rule=data["rule"],
            actor=request.user,
            approved_by=data["approved_by"],
        )
        messages.success(request, _("The decision by correspondence is launched."))
        return redirect("ballot_detail", consultation.slug, ballot.pk)
    return render(request, "ballots/new.html", {"consultation": consultation, "form": form})


def _token(request) -> str:
    """A one-time token per reply form, so that a replayed submission is refused."""
    token = secrets.token_urlsafe(16)
    request.session[TOKENS] = [*request.session.get(TOKENS, [])[-20:], token]
    return token


@consultation_permission(None)
def ballot_detail(request, consultation, ballot_id):
    ballot = get_object_or_404(queries.ballots_of(consultation), pk=ballot_id)
    mine = (
        Elector.objects.filter(ballot=ballot, focal_point=request.user)
        .select_related("state")
        .first()
        if request.user.is_authenticated
        else None
    )
    manage = request.user.has_perm("ballots.manage", consultation)
    proposals = list(ballot.proposals.all())
    for proposal in proposals:
        proposal.mine = (
            Reply.objects.filter(proposal=proposal, elector=mine, current=True).first()
            if mine
            else None
        )
        proposal.form = (
            ReplyForm(initial={"token": _token(request)}, prefix=str(proposal.pk)) if mine else None
        )
    record = []
    if ballot.status == Ballot.Status.CLOSED or manage:
        record = Reply.objects.filter(proposal__ballot=ballot, current=True).select_related(
            "elector__state", "proposal"
        )
    return render(
        request,
        "ballots/detail.html",
        {
            "consultation": consultation,
            "ballot": ballot,
            "proposals": proposals,
            "elector": mine,
            "manage": manage,
            "electors": ballot.electors.select_related("state", "focal_point"),
            "record": record,
            "results": services.results(ballot)
            if ballot.status == Ballot.Status.CLOSED or manage
            else [],
        },
    )


@require_POST
@consultation_permission(None)
def ballot_reply(request, consultation, ballot_id, proposal_id):
    proposal = get_object_or_404(
        Proposal, pk=proposal_id, ballot_id=ballot_id, ballot__consultation=consultation
    )
    form = ReplyForm(request.POST, prefix=str(proposal.pk))
    if not form.is_valid():
        raise DomainError(_("Choose in favour, against or abstain."), code="bad_choice")
    tokens = request.session.get(TOKENS, [])
    if form.cleaned_data["token"] not in tokens:
        raise DomainError(
            _("This form was already sent or has expired; reload the page."), code="replayed"
        )
    refusal = None
    with transaction.atomic():
        # The token is spent in the reply's own commit: a form sent again is refused exactly
        # when its reply is stored, and once the reply is committed nothing is left to write
        # that could fail (a lost database would otherwise turn the answer into an error page
        # after the reply was recorded, and leave the form usable for a second reply).
        request.session[TOKENS] = [t for t in tokens if t != form.cleaned_data["token"]]
        request.session.save()
        try:
            reply = services.cast(proposal, form.cleaned_data["choice"], actor=request.user)
        except DomainError as error:
            refusal = error  # the refusal's audit event is kept: it commits with the token
    request.session.modified = False  # saved above, with the reply
    if refusal is not None:
        raise refusal
    messages.success(
        request, _("Your reply is recorded. Receipt: %(digest)s") % {"digest": reply.digest}
    )
    return redirect("ballot_detail", consultation.slug, ballot_id)


@require_POST
@consultation_permission("ballots.manage")
def ballot_manage(request, consultation, ballot_id):
    ballot = get_object_or_404(queries.ballots_of(consultation), pk=ballot_id)
    action = request.POST.get("action")
    if action == "focal_point":
        state = get_object_or_404(State, pk=request.POST.get("state") or 0)
        user = queries.account_with_email(request.POST.get("email", ""))
        if user is None:
            raise DomainError(_("No account has this e-mail address."), code="no_account")
        services.appoint_voting_focal_point(ballot, state, user, actor=request.user)
    elif action == "email_reply":
        proposal = get_object_or_404(Proposal, pk=request.POST.get("proposal") or 0, ballot=ballot)
        state = get_object_or_404(State, pk=request.POST.get("state") or 0)
        services.enter_email_reply(
            proposal,
            state,
            request.POST.get("choice", ""),
            evidence=request.FILES.get("evidence"),
            actor=request.user,
        )
    elif action == "close":
        services.close(ballot, actor=request.user)
    else:
        raise PermissionDenied
    return redirect("ballot_detail", consultation.slug, ballot.pk)
