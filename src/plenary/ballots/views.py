import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plenary.consultations.access import consultation_permission
from plenary.core.errors import DomainError
from plenary.directory.models import State

from . import queries, services
from .forms import DraftForm, ReplyForm, SendBackForm
from .models import Ballot, Elector, Proposal, Reply

TOKENS = "plenary_ballot_tokens"


def _visible(request, consultation):
    """The ballots a reader sees: the secretariat all of them, drafts and withdrawn ones
    included; the presiding officer the launched ones and those pending approval; everyone
    else the launched ones."""
    ballots = queries.ballots_of(consultation)
    if request.user.has_perm("ballots.manage", consultation):
        return ballots
    if request.user.has_perm("ballots.approve", consultation):
        return ballots.filter(status__in=queries.SHOWN_TO_THE_APPROVER)
    return ballots.filter(status__in=queries.LAUNCHED)


@consultation_permission(None)
def ballot_list(request, consultation):
    return render(
        request,
        "ballots/list.html",
        {
            "consultation": consultation,
            "ballots": _visible(request, consultation),
            "can_launch": request.user.has_perm("ballots.manage", consultation),
            "can_approve": request.user.has_perm("ballots.approve", consultation),
        },
    )


@consultation_permission("ballots.manage")
def ballot_new(request, consultation):
    """The secretariat prepares a ballot: a draft for the presiding officer's approval."""
    items = queries.items_for_correspondence(consultation)
    form = DraftForm(request.POST or None, items=items, consultation=consultation)
    if request.method == "POST" and form.is_valid():
        ballot = services.prepare(consultation, **_draft_of(form), actor=request.user)
        messages.success(request, _("The draft is sent to the presiding officer for approval."))
        return redirect("ballot_detail", consultation.slug, ballot.pk)
    return render(request, "ballots/new.html", {"consultation": consultation, "form": form})


@consultation_permission("ballots.manage")
def ballot_edit(request, consultation, ballot_id):
    """The secretariat changes a draft until the presiding officer approves it."""
    ballot = get_object_or_404(queries.ballots_of(consultation), pk=ballot_id)
    if request.method != "POST" and ballot.is_launched:
        messages.info(
            request,
            _("This ballot is already launched: it can no longer be changed or withdrawn."),
        )
        return redirect("ballot_detail", consultation.slug, ballot.pk)
    items = queries.items_for_correspondence(consultation)
    form = DraftForm(
        request.POST or None,
        items=items,
        consultation=consultation,
        initial=DraftForm.initial_of(ballot),
    )
    if request.method == "POST" and form.is_valid():
        services.edit_draft(ballot, **_draft_of(form), actor=request.user)
        messages.success(request, _("The draft is changed and pending approval again."))
        return redirect("ballot_detail", consultation.slug, ballot.pk)
    return render(
        request,
        "ballots/new.html",
        {"consultation": consultation, "form": form, "ballot": ballot},
    )


def _draft_of(form) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "question": data["question"],
        "documents": data["documents"],
        "proposals": form.proposals_given(),
        "deadline": form.deadline_given(),
        "rule": data["rule"],
    }


@consultation_permission("ballots.approve")
def ballot_approvals(request, consultation):
    """The presiding officer's page: every draft pending their approval, in full."""
    drafts = queries.pending_approval(consultation).prefetch_related("proposals__item")
    return render(
        request,
        "ballots/approvals.html",
        {"consultation": consultation, "drafts": drafts, "send_back_form": SendBackForm()},
    )


@require_POST
@consultation_permission("ballots.approve")
def ballot_approve(request, consultation, ballot_id):
    ballot = get_object_or_404(queries.ballots_of(consultation), pk=ballot_id)
    ballot = services.approve(ballot, actor=request.user)
    messages.success(request, _("Approved: the decision by correspondence is launched."))
    return redirect("ballot_detail", consultation.slug, ballot.pk)


@require_POST
@consultation_permission("ballots.approve")
def ballot_send_back(request, consultation, ballot_id):
    ballot = get_object_or_404(queries.ballots_of(consultation), pk=ballot_id)
    # The service checks the note (given, not too long) and says which is wrong.
    services.send_back(ballot, note=request.POST.get("note", ""), actor=request.user)
    messages.success(request, _("The draft is sent back to the secretariat."))
    return redirect("ballot_approvals", consultation.slug)


def _token(request) -> str:
    """A one-time token per reply form, so that a replayed submission is refused."""
    token = secrets.token_urlsafe(16)
    request.session[TOKENS] = [*request.session.get(TOKENS, [])[-20:], token]
    return token


@consultation_permission(None)
def ballot_detail(request, consultation, ballot_id):
    ballot = get_object_or_404(_visible(request, consultation), pk=ballot_id)
    mine = (
        Elector.objects.filter(ballot=ballot, focal_point=request.user)
        .select_related("state")
        .first()
        if request.user.is_authenticated
        else None
    )
    manage = request.user.has_perm("ballots.manage", consultation)
    closed = ballot.status == Ballot.Status.CLOSED
    proposals = list(ballot.proposals.all())
    replied = queries.replies_per_proposal(ballot)
    for proposal in proposals:
        proposal.replied = replied.get(proposal.pk, 0)
        proposal.mine = (
            Reply.objects.filter(proposal=proposal, elector=mine, current=True).first()
            if mine
            else None
        )
        proposal.form = (
            ReplyForm(initial={"token": _token(request)}, prefix=str(proposal.pk)) if mine else None
        )
    record = []
    if closed or manage:
        # While the ballot is open the secretariat sees who replied and how (to chase the
        # others and enter e-mailed replies), never what: the page shows no choice and no
        # result before the ballot closes.
        record = Reply.objects.filter(proposal__ballot=ballot, current=True).select_related(
            "elector__state", "proposal"
        )
    return render(
        request,
        "ballots/detail.html",
        {
            "consultation": consultation,
            "ballot": ballot,
            "closed": closed,
            "proposals": proposals,
            "elector": mine,
            "manage": manage,
            "approver": request.user.has_perm("ballots.approve", consultation),
            "send_back_form": SendBackForm(),
            "electors": ballot.electors.select_related("state", "focal_point"),
            "voters": ballot.electors.filter(has_vote=True).count(),
            "record": record,
            "results": services.results(ballot) if closed else [],
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
    elif action == "withdraw":
        services.withdraw_draft(ballot, actor=request.user)
        messages.success(request, _("The draft is withdrawn."))
    else:
        raise PermissionDenied
    return redirect("ballot_detail", consultation.slug, ballot.pk)
