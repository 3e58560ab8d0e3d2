"""Submission, co-submission, review and publication of contributions (R15–R20).
Transactional and audited; a refusal is a DomainError that stores nothing."""

import math
import re
import time
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import (
    AgendaItem,
    AgendaItemDocument,
    Appointment,
    Consultation,
    Document,
)
from plenary.core import audit, ratelimit
from plenary.core.errors import DomainError
from plenary.core.mail import mail_in_language
from plenary.core.timezones import format_moment
from plenary.core.uploads import stored_files
from plenary.directory.models import State
from plenary.directory.names import state_name
from plenary.registration.models import FocalPoint

from . import drafts, filecheck, queries
from .models import Contribution, ContributionState
from .rules import BLOCKING, SUBMITTING, Standing


def represented_states(user, consultation: Consultation) -> list[State]:
    """The states a person may submit for: those they are focal point or delegate of."""
    if not user.is_authenticated:
        return []
    appointments = Appointment.objects.filter(
        user=user,
        consultation=consultation,
        role__in=[Appointment.Role.FOCAL_POINT, Appointment.Role.DELEGATE],
    ).exclude(state=None)
    return [a.state for a in appointments.select_related("state")]


def _is_secretariat(user, consultation) -> bool:
    return bool(user and user.has_perm("contributions.review", consultation))


def _check_item(consultation: Consultation, item: AgendaItem) -> None:
    if item.group.consultation_id != consultation.pk:
        raise DomainError(_("Choose an agenda item of this consultation."), code="wrong_item")
    if item.group.number not in (consultation.contribution_groups or []):
        raise DomainError(
            _(
                "Contributions may concern the items of Groups %(groups)s only; item %(label)s is not among them."
            ),
            code="item_not_open",
            params={"label": item.label, "groups": consultation.open_groups},
        )


def _check_deadline(consultation: Consultation, now: datetime, actor, accept_late: bool) -> bool:
    """True when late and accepted by the secretariat; a refusal when late otherwise (R18)."""
    if now <= consultation.contribution_deadline:
        return False
    if accept_late and _is_secretariat(actor, consultation):
        return True
    raise DomainError(_("The deadline for contributions has passed."), code="deadline_passed")


# At most this many uploads a person has neither submitted nor deleted, per consultation.
MAX_OPEN_DRAFTS = 10


def _check_uploader(consultation: Consultation, actor, now: datetime) -> None:
    """Who may upload, and when (R18): refused before anything is read or stored. The
    secretariat may upload after the deadline, to accept it late when it submits."""
    secretariat = _is_secretariat(actor, consultation)
    members = [
        state
        for state in represented_states(actor, consultation)
        if state.is_member_on(consultation.starts_on)
    ]
    if not secretariat and not members:
        raise DomainError(
            _("Only a Member State's focal point or delegate may submit a contribution."),
            code="not_member_state",
        )
    if now > consultation.contribution_deadline and not secretariat:
        raise DomainError(_("The deadline for contributions has passed."), code="deadline_passed")
    if not consultation.contribution_groups:
        raise DomainError(
            _("No agenda item is open to contributions in this consultation."),
            code="no_group_open",
        )
    _check_open_drafts(consultation, actor)
    if not ratelimit.allow("upload", str(actor.pk)):
        window = settings.PLENARY_RATE_LIMITS["upload"][1]
        raise DomainError(
            _("You have sent %(most)s files within the hour; try again in %(minutes)s minutes."),
            code="rate_limited",
            params={
                "most": settings.PLENARY_RATE_LIMITS["upload"][0],
                "minutes": max(1, math.ceil((window - time.time() % window) / 60)),
            },
        )


def _check_open_drafts(consultation: Consultation, actor) -> None:
    drafts = Contribution.objects.filter(
        consultation=consultation, created_by=actor, status=Contribution.Status.DRAFT
    )
    if drafts.count() >= MAX_OPEN_DRAFTS:
        raise DomainError(
            _(
                "You have %(count)s uploads not yet submitted; delete a draft first (at most %(most)s)."
            ),
            code="too_many_drafts",
            params={"count": drafts.count(), "most": MAX_OPEN_DRAFTS},
        )


def _check_file(consultation: Consultation, data: bytes, actor, target) -> filecheck.CheckedFile:
    """The file checks (R17) and the page limit; a refusal is audited and stores nothing."""
    try:
        checked = _checked_upload(data, consultation.contribution_max_page_size)
    except filecheck.FileRefused as refused:
        _audit_refused(refused.code, data, actor, target)
        raise DomainError(refused.message, code=refused.code) from None
    if checked.pages > consultation.contribution_max_pages:
        _audit_refused("too_long", data, actor, target)
        raise DomainError(
            _("The contribution has %(pages)s pages; at most %(most)s are allowed."),
            code="too_long",
            params={"pages": checked.pages, "most": consultation.contribution_max_pages},
        )
    return checked


def _audit_refused(code: str, data: bytes, actor, target) -> None:
    audit.record(
        "contribution.file_refused",
        actor=actor,
        target=target,
        data={"code": code, "size": len(data)},
    )


def _checked_upload(data: bytes, max_page_size: str) -> filecheck.CheckedFile:
    return filecheck.check_upload(data, max_page_size=max_page_size)


def _fields_of(checked: filecheck.CheckedFile) -> dict:
    """The fields of a filled template, as read inside the sandbox with the file."""
    return checked.fields if checked.kind == "docx" else {}


def prepare_upload(
    consultation: Consultation,
    *,
    data: bytes,
    filename: str,
    actor,
    item: AgendaItem | None = None,
    now: datetime | None = None,
) -> tuple[Contribution, dict]:
    """Step 1 of an upload: check who sends it and when, the file (R17) and its length, and
    the item it concerns (R16) — named by the form, found from the template's references, or
    else the first open one; then store it as a draft, which the person confirms."""
    now = now or timezone.now()
    _check_uploader(consultation, actor, now)
    checked = _check_file(consultation, data, actor, consultation)
    fields = _fields_of(checked)
    item = item or _guess_item(consultation, fields) or _first_open_item(consultation)
    _check_item(consultation, item)
    contribution = Contribution(
        consultation=consultation,
        item=item,
        title=(fields.get("title") or filename)[:300],
        comments=fields.get("comments", ""),
        way_forward=fields.get("way_forward", ""),
        language=translation.get_language() or "en",
        source=checked.kind,
        pages=checked.pages,
        pages_estimated=checked.estimated,
        created_by=actor,
    )
    name = f"{consultation.slug}-{now:%Y%m%d%H%M%S}.{checked.kind}"
    with _stored_files() as stored, transaction.atomic():
        # One upload of a person at a time: the count of their drafts holds.
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
        _check_open_drafts(consultation, actor)
        contribution.file.save(name, ContentFile(data), save=False)
        stored.append(contribution.file.name)
        contribution.save()
        audit.record(
            "contribution.uploaded",
            actor=actor,
            target=contribution,
            data={
                "kind": checked.kind,
                "pages": checked.pages,
                "estimated": checked.estimated,
                "template": bool(fields),
            },
        )
    return contribution, fields


def _stored_files():
    return stored_files(Contribution._meta.get_field("file").storage)


def _first_open_item(consultation: Consultation) -> AgendaItem:
    item = (
        AgendaItem.objects.filter(
            group__consultation=consultation, group__number__in=consultation.contribution_groups
        )
        .select_related("group")
        .order_by("group__number", "position")
        .first()
    )
    if item is None:
        raise DomainError(
            _("No agenda item is open to contributions in this consultation."),
            code="no_group_open",
        )
    return item


def _guess_item(consultation, fields) -> AgendaItem | None:
    """The item of the first Council document the template refers to; one in an open group
    first, since a document may belong to several items."""
    for symbol in fields.get("reference_symbols", []):
        links = AgendaItemDocument.objects.filter(
            document__consultation=consultation, document__symbol=symbol
        ).select_related("item__group")
        items = [link.item for link in links]
        if items:
            open_ones = [i for i in items if i.group.number in consultation.contribution_groups]
            return (open_ones or items)[0]
    return None


def delete_draft(contribution: Contribution, *, actor) -> None:
    """The person who uploaded a draft, or the secretariat, deletes it and its file."""
    if contribution.created_by_id != getattr(actor, "pk", None) and not _is_secretariat(
        actor, contribution.consultation
    ):
        raise DomainError(
            _("Only the person who uploaded it, or the secretariat, may delete this draft."),
            code="not_yours",
        )
    with transaction.atomic():
        draft = Contribution.objects.select_for_update().filter(pk=contribution.pk).first()
        if draft is None:
            raise DomainError(_("This draft has already been deleted."), code="already_deleted")
        if draft.status != Contribution.Status.DRAFT:
            raise DomainError(
                _("This contribution has already been submitted; it can be withdrawn."),
                code="already_submitted",
            )
        drafts.delete(draft, "contribution.draft_deleted", actor=actor)


def submit(
    contribution: Contribution,
    *,
    item: AgendaItem,
    title: str,
    comments: str,
    way_forward: str,
    lead_state: State,
    co_states: list[State] = (),
    actor,
    now: datetime | None = None,
    accept_late: bool = False,
) -> Contribution:
    """Step 2: submit a draft. Checks, in order: the deadline (R18), the item's group (R16),
    the page limit (R17), that the person speaks for the lead state, and the co-submitters
    (R19). The submitter and the contributions mailbox (R4) receive it, file attached.

    Longer than most on purpose: the checks and the one locked transaction read top to bottom
    in the order they are made, which is the order a refusal is explained in."""
    consultation = contribution.consultation
    now = now or timezone.now()
    _check_draft_of(contribution, actor)
    late = _check_deadline(consultation, now, actor, accept_late)
    _check_item(consultation, item)
    if contribution.pages > consultation.contribution_max_pages:
        raise DomainError(
            _("The contribution has %(pages)s pages; at most %(most)s are allowed."),
            code="too_long",
            params={"pages": contribution.pages, "most": consultation.contribution_max_pages},
        )
    if lead_state not in represented_states(actor, consultation) and not _is_secretariat(
        actor, consultation
    ):
        raise DomainError(
            _("You may submit only for the Member State you represent."), code="not_your_state"
        )
    co_states = [state for state in dict.fromkeys(co_states) if state != lead_state]
    for state in [lead_state, *co_states]:
        if not state.is_member_on(consultation.starts_on):
            raise DomainError(
                _("Only Member States submit contributions."), code="not_member_state"
            )
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the document a title."), code="title_required")
    with transaction.atomic():
        contribution = _check_draft_of(
            Contribution.objects.select_for_update().filter(pk=contribution.pk).first(), actor
        )
        contribution.item = item
        contribution.title = title[:300]
        contribution.comments = comments
        contribution.way_forward = way_forward
        contribution.status = Contribution.Status.SUBMITTED
        contribution.submitted_at = now
        contribution.late = late
        contribution.save()
        ContributionState.objects.create(
            contribution=contribution,
            state=lead_state,
            lead=True,
            confirmed_at=now,
            confirmed_by=actor,
        )
        for state in co_states:
            ContributionState.objects.create(contribution=contribution, state=state)
        audit.record(
            "contribution.submitted",
            actor=actor,
            target=contribution,
            data={
                "item": item.label,
                "lead": lead_state.iso2,
                "co": [s.iso2 for s in co_states],
                "late": late,
                "pages": contribution.pages,
            },
        )
        _tell_submitted(contribution, now)
    return contribution


def _check_draft_of(contribution: Contribution | None, actor) -> Contribution:
    """A draft still there, still a draft, and the person's own (or the secretariat's)."""
    if contribution is None:
        raise DomainError(_("This draft has been deleted."), code="already_deleted")
    if contribution.status != Contribution.Status.DRAFT:
        raise DomainError(
            _("This contribution has already been submitted."), code="already_submitted"
        )
    if contribution.created_by_id != getattr(actor, "pk", None) and not _is_secretariat(
        actor, contribution.consultation
    ):
        raise DomainError(_("This draft was uploaded by someone else."), code="not_yours")
    return contribution


def submit_form(
    consultation: Consultation,
    *,
    item,
    title,
    comments,
    way_forward,
    lead_state,
    co_states=(),
    actor,
    now=None,
    accept_late=False,
) -> Contribution:
    """The web form: the same fields, no file; its length is estimated from the words."""
    words = len(re.findall(r"\w+", f"{title} {comments} {way_forward}"))
    with transaction.atomic():
        draft = Contribution.objects.create(
            consultation=consultation,
            item=item,
            title=(title or "-")[:300],
            language=translation.get_language() or "en",
            source=Contribution.Source.FORM,
            pages=max(1, -(-words // filecheck.WORDS_PER_PAGE)),
            pages_estimated=True,
            created_by=actor,
        )
        return submit(
            draft,
            item=item,
            title=title,
            comments=comments,
            way_forward=way_forward,
            lead_state=lead_state,
            co_states=co_states,
            actor=actor,
            now=now,
            accept_late=accept_late,
        )


def answer_co_submission(
    contribution: Contribution,
    state: State | None,
    *,
    confirm: bool = True,
    actor,
    now: datetime | None = None,
) -> ContributionState:
    """A co-submitting state confirms, or declines, through its own focal point (R19); the
    secretariat may record the answer its focal point gave in writing (on behalf), never for
    a state without one. Checks, in order: a state named, who answers (a delegate of the
    state, or another state's focal point, is refused), the state among the co-submitters,
    a focal point to answer for it, the consultation's contribution deadline, then under
    lock the contribution still awaiting publication and no answer given yet (a second click
    is told so). Each refusal is audited and changes nothing. The first submitter, the state's focal points and the contributions
    mailbox (one copy) are told, each in their language."""
    answer = "confirm" if confirm else "decline"
    consultation = contribution.consultation
    now = now or timezone.now()
    if state is None:
        _refuse_answer(
            contribution,
            None,
            answer,
            actor,
            _("This Member State is not among the submitters."),
            code="not_submitter",
        )
    focal_points = queries.focal_points_of(consultation, [state]).get(state.pk, [])
    on_behalf = False
    if getattr(actor, "pk", None) not in {user.pk for user in focal_points}:
        if not _is_secretariat(actor, consultation):
            if state in represented_states(actor, consultation):
                _refuse_answer(
                    contribution,
                    state,
                    answer,
                    actor,
                    _(
                        "Only the focal point of %(state)s may confirm or decline its co-submission; a delegate may not."
                    ),
                    code="not_focal_point",
                )
            _refuse_answer(
                contribution,
                state,
                answer,
                actor,
                _("Only the focal point of %(state)s may confirm or decline its co-submission."),
                code="not_your_state",
            )
        on_behalf = True
    row = contribution.states.filter(state=state).first()
    if row is None or row.lead:
        _refuse_answer(
            contribution,
            state,
            answer,
            actor,
            _("%(state)s is not among the co-submitters of this contribution."),
            code="not_submitter",
        )
    if on_behalf and not focal_points:
        _refuse_answer(
            contribution,
            state,
            answer,
            actor,
            _(
                "%(state)s has no focal point in this consultation: invite one; only its focal point answers for it."
            ),
            code="no_focal_point",
        )
    if now > consultation.contribution_deadline:
        _refuse_answer(
            contribution,
            state,
            answer,
            actor,
            _(
                "The deadline for contributions has passed: a co-submission can no longer be confirmed or declined."
            ),
            code="deadline_passed",
        )
    given = ""
    with transaction.atomic():
        locked = Contribution.objects.select_for_update().filter(pk=contribution.pk).first()
        row = ContributionState.objects.select_for_update().get(pk=row.pk)
        if locked is None or locked.status != Contribution.Status.SUBMITTED:
            given = "closed"
        elif row.confirmed_at is not None:
            given = "confirmed"
        elif row.declined_at is not None:
            given = "declined"
        else:
            if confirm:
                row.confirmed_at, row.confirmed_by = now, actor
            else:
                row.declined_at, row.declined_by = now, actor
            row.on_behalf = on_behalf
            row.save()
            audit.record(
                f"contribution.co_submission_{'confirmed' if confirm else 'declined'}",
                actor=actor,
                target=contribution,
                data={"state": state.iso2, "on_behalf": on_behalf},
            )
            _tell_of_answer(locked, row, focal_points, now)
    if given == "closed":
        _refuse_answer(
            contribution,
            state,
            answer,
            actor,
            _(
                "This contribution no longer awaits its co-submitters: it is published or withdrawn."
            ),
            code="not_submitted",
        )
    if given == "confirmed":
        _refuse_answer(
            contribution,
            state,
            answer,
            actor,
            _("%(state)s has already confirmed this co-submission."),
            code="already_confirmed",
        )
    if given == "declined":
        _refuse_answer(
            contribution,
            state,
            answer,
            actor,
            _("%(state)s has already declined this co-submission."),
            code="already_declined",
        )
    return row


def confirm_co_submission(contribution, state, *, actor, now=None) -> ContributionState:
    """`answer_co_submission`, confirming."""
    return answer_co_submission(contribution, state, confirm=True, actor=actor, now=now)


def decline_co_submission(contribution, state, *, actor, now=None) -> ContributionState:
    """`answer_co_submission`, declining."""
    return answer_co_submission(contribution, state, confirm=False, actor=actor, now=now)


def refuse_unknown_contribution(consultation, contribution_id, *, actor, confirm: bool = True):
    """An answer to a contribution the consultation does not have (a forged or stale id):
    refused, and the attempt recorded."""
    audit.record(
        "contribution.co_submission_refused",
        actor=actor,
        target=consultation,
        data={
            "why": "no_contribution",
            "id": str(contribution_id)[:20],
            "answer": "confirm" if confirm else "decline",
        },
    )
    raise DomainError(
        _("There is no such contribution in this consultation."), code="no_contribution"
    )


class _StateName:
    """A state's name in the language active when the message is shown (the refusal is
    translated when it is read, in the reader's language)."""

    def __init__(self, state):
        self.state = state

    def __str__(self):
        return state_name(self.state, translation.get_language())


def _refuse_answer(contribution, state, answer: str, actor, message, *, code: str):
    """Record the refused answer (outside any transaction of the refusal, so that it stays)
    and raise it."""
    audit.record(
        "contribution.co_submission_refused",
        actor=actor,
        target=contribution,
        data={"why": code, "state": state.iso2 if state else None, "answer": answer},
    )
    raise DomainError(message, code=code, params={"state": _StateName(state) if state else ""})


def publish(contribution: Contribution, *, actor, now: datetime | None = None) -> Contribution:
    """The secretariat publishes: the next VC/n, attached to the item in the agenda and the
    plan, and the delegations are told. Until the contribution deadline, each co-submitter
    must have answered (and so have a focal point); after it, those that did not answer are
    not among the submitters."""
    consultation = contribution.consultation
    if not _is_secretariat(actor, consultation):
        raise DomainError(
            _("Only the secretariat publishes contributions."), code="not_secretariat"
        )
    with transaction.atomic():
        Consultation.objects.select_for_update().get(pk=consultation.pk)
        contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if contribution.status != Contribution.Status.SUBMITTED:
            raise DomainError(
                _("Only a submitted contribution can be published."), code="not_submitted"
            )
        now = now or timezone.now()
        rows = _submitters_of(contribution, now)
        language = translation.get_language()
        missing = [r for r in rows if r.standing is Standing.NO_FOCAL_POINT]
        if missing:
            raise DomainError(
                _(
                    "Co-submitters without a focal point: %(states)s. Invite one for each; "
                    "until the deadline only a focal point confirms."
                ),
                code="no_focal_point",
                params={"states": ", ".join(state_name(r.state, language) for r in missing)},
            )
        if any(r.standing is Standing.AWAITING for r in rows):
            raise DomainError(
                _(
                    "Every co-submitting Member State must confirm or decline first (until the deadline)."
                ),
                code="unconfirmed",
            )
        contribution.number = _next_vc_number(consultation)
        contribution.status = Contribution.Status.PUBLISHED
        contribution.published_at = timezone.now()
        contribution.document = _attach(contribution)
        contribution.save()
        audit.record(
            "contribution.published",
            actor=actor,
            target=contribution,
            data={"symbol": contribution.symbol},
        )
        _tell_everyone(
            contribution,
            "contributions/email/published.txt",
            _("Contribution published: %(title)s"),
            now=now,
        )
        _tell_delegations(contribution, now)
    return contribution


def _tell_delegations(contribution: Contribution, now: datetime | None = None) -> None:
    """Publication is announced to every delegation's focal point, in their language."""
    consultation = contribution.consultation
    rows = [row for row in _submitters_of(contribution, now) if row.standing in SUBMITTING]
    states = [row.state for row in rows]
    already = {
        contribution.created_by.email,
        *(u.email for r in rows for u in r.focal_points),
    } | set(
        FocalPoint.objects.filter(
            delegation__consultation=consultation, delegation__state__in=states
        ).values_list("user__email", flat=True)
    )
    others = FocalPoint.objects.filter(delegation__consultation=consultation).exclude(
        user__email__in=already
    )
    for point in others.select_related("user"):
        mail_in_language(
            to=point.user.email,
            language=point.user.language,
            subject=_("Contribution published: %(title)s"),
            params={"title": contribution.title[:120]},
            template="contributions/email/published.txt",
            context={"contribution": contribution, "consultation": consultation, "states": states},
        )


def _next_vc_number(consultation) -> int:
    prefix = f"{consultation.contribution_prefix}/"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)")
    used = [
        int(m[1])
        for symbol in Document.objects.filter(
            consultation=consultation, symbol__startswith=prefix
        ).values_list("symbol", flat=True)
        if (m := pattern.match(symbol))
    ]
    assigned = (
        Contribution.objects.filter(consultation=consultation).aggregate(n=Max("number"))["n"] or 0
    )
    return max([assigned, *used]) + 1


def _attach(contribution: Contribution) -> Document:
    document, _created = Document.objects.get_or_create(
        consultation=contribution.consultation,
        symbol=contribution.symbol,
        defaults={"kind": Document.Kind.CONTRIBUTION},
    )
    document.kind = Document.Kind.CONTRIBUTION
    document.title_en = contribution.title
    if contribution.file:
        document.file = contribution.file.name
    document.save()
    position = (
        AgendaItemDocument.objects.filter(item=contribution.item).aggregate(p=Max("position"))["p"]
        or 0
    ) + 1
    AgendaItemDocument.objects.get_or_create(
        item=contribution.item, document=document, defaults={"position": position}
    )
    return document


def withdraw(contribution: Contribution, *, actor) -> Contribution:
    consultation = contribution.consultation
    lead = contribution.states.filter(lead=True).first()
    if not _is_secretariat(actor, consultation) and (
        lead is None or lead.state not in represented_states(actor, consultation)
    ):
        raise DomainError(
            _("Only the submitting Member State or the secretariat may withdraw it."),
            code="not_your_state",
        )
    with transaction.atomic():
        contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if contribution.status == Contribution.Status.WITHDRAWN:
            raise DomainError(
                _("This contribution has already been withdrawn."), code="already_withdrawn"
            )
        if contribution.document_id:
            AgendaItemDocument.objects.filter(document_id=contribution.document_id).delete()
        contribution.status = Contribution.Status.WITHDRAWN
        contribution.save(update_fields=["status"])
        audit.record("contribution.withdrawn", actor=actor, target=contribution)
    return contribution


def revise(contribution: Contribution, *, data: bytes, actor) -> Contribution:
    """A published contribution replaced by a revision: VC/n(Rev.1), and so on."""
    if not _is_secretariat(actor, contribution.consultation):
        raise DomainError(
            _("Only the secretariat publishes contributions."), code="not_secretariat"
        )
    checked = _check_file(contribution.consultation, data, actor, contribution)
    with _stored_files() as stored, transaction.atomic():
        contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if contribution.status != Contribution.Status.PUBLISHED:
            raise DomainError(
                _("Only a published contribution can be revised."), code="not_published"
            )
        if contribution.document_id:
            AgendaItemDocument.objects.filter(document_id=contribution.document_id).delete()
        contribution.revision += 1
        contribution.file.save(
            f"{contribution.consultation.slug}-vc{contribution.number}-rev{contribution.revision}.{checked.kind}",
            ContentFile(data),
            save=False,
        )
        stored.append(contribution.file.name)
        contribution.pages, contribution.pages_estimated, contribution.source = (
            checked.pages,
            checked.estimated,
            checked.kind,
        )
        contribution.document = _attach(contribution)
        contribution.save()
        audit.record(
            "contribution.revised",
            actor=actor,
            target=contribution,
            data={"symbol": contribution.symbol},
        )
        _tell_everyone(
            contribution,
            "contributions/email/published.txt",
            _("Contribution published: %(title)s"),
        )
    return contribution


def _mailbox_language(consultation: Consultation) -> str:
    """The language of the contributions mailbox's copy: English where the consultation
    works in it, else its first language."""
    languages = consultation.languages or []
    return "en" if "en" in languages or not languages else languages[0]


def _link(contribution: Contribution, language: str) -> str:
    with translation.override(language):
        path = reverse(
            "contribution_detail", args=[contribution.consultation.slug, contribution.pk]
        )
    return settings.PLENARY_BASE_URL + path


def _submitters_of(contribution: Contribution, now: datetime | None = None) -> list:
    """The rows of the contribution with their standing at `now` (queries.with_standings)."""
    found = queries.with_standings(Contribution.objects.filter(pk=contribution.pk), now=now)
    return found[0].rows


def _send(
    contribution: Contribution,
    recipients: dict[str, str],
    *,
    template_name: str,
    subject,
    params: dict,
    context: dict,
    attach: bool = False,
    mailbox: bool = True,
) -> None:
    """One message to each recipient ({address: language}) in their own language, and one
    copy to the contributions mailbox (R4) naming who received it: never one copy per
    recipient. `params` of the subject may be callables of the language (a state's name)."""
    consultation = contribution.consultation
    attachments = [contribution.file.name] if attach and contribution.file else []
    everyone = {**recipients}
    if mailbox:
        everyone.setdefault(consultation.contributions_email, _mailbox_language(consultation))
    for email, language in everyone.items():
        copy = mailbox and email == consultation.contributions_email
        mail_in_language(
            to=email,
            language=language,
            subject=subject,
            params={
                key: value(language) if callable(value) else value for key, value in params.items()
            },
            template=template_name,
            context={
                **context,
                "contribution": contribution,
                "consultation": consultation,
                "link": _link(contribution, language),
                "deadline": format_moment(
                    consultation.contribution_deadline, consultation.time_zone, language
                ),
                "mailbox_copy": copy,
                "sent_to": sorted(recipients) if copy else [],
            },
            attachments=attachments,
        )


def _people(contribution: Contribution, focal_points) -> dict[str, str]:
    """The submitter and the given focal points, {address: language}."""
    people = {contribution.created_by.email: contribution.created_by.language}
    for user in focal_points:
        people.setdefault(user.email, user.language)
    return people


def _tell_submitted(contribution: Contribution, now: datetime) -> None:
    """The submitter and the first submitter's focal points receive the contribution; each
    co-submitter's focal points are asked to confirm it before the deadline, in their own
    language; the mailbox receives one copy, which names a co-submitter without a focal
    point (the secretariat must invite one)."""
    rows = _submitters_of(contribution, now)
    lead = [user for row in rows if row.lead for user in row.focal_points]
    leads = _people(contribution, lead)
    _send(
        contribution,
        leads,
        template_name="contributions/email/submitted.txt",
        subject=_("Contribution received: %(title)s"),
        params={"title": contribution.title[:120]},
        context={"rows": rows, "states": [r.state for r in rows]},
        attach=True,
    )
    for row in rows:
        if row.lead:
            continue
        asked = {u.email: u.language for u in row.focal_points if u.email not in leads}
        if not asked:
            continue
        _send(
            contribution,
            asked,
            template_name="contributions/email/co_submission_requested.txt",
            subject=_("Co-submission to confirm: %(title)s"),
            params={"title": contribution.title[:120]},
            context={"row": row, "lead": rows[0].state, "states": [r.state for r in rows]},
            attach=True,
            mailbox=False,
        )


def _tell_of_answer(
    contribution: Contribution, row: ContributionState, focal_points, now: datetime
) -> None:
    """The first submitter (the person and its state's focal points) and the answering
    state's focal points are told of a confirmation or a refusal; the mailbox gets one
    copy."""
    rows = _submitters_of(contribution, now)
    lead = [user for r in rows if r.lead for user in r.focal_points]
    recipients = _people(contribution, [*lead, *focal_points])
    confirmed = row.confirmed_at is not None
    _send(
        contribution,
        recipients,
        template_name="contributions/email/co_submission_answered.txt",
        subject=(
            _("%(state)s confirms the co-submission: %(title)s")
            if confirmed
            else _("%(state)s declines the co-submission: %(title)s")
        ),
        params={
            "title": contribution.title[:120],
            "state": lambda language: state_name(row.state, language),
        },
        context={
            "row": row,
            "confirmed": confirmed,
            "rows": rows,
            "blocking": [r for r in rows if r.standing in BLOCKING],
        },
    )


def _tell_everyone(
    contribution: Contribution,
    template_name: str,
    subject,
    *,
    attach: bool = False,
    now: datetime | None = None,
) -> None:
    """A publication (or a revision) goes to the submitter and the focal points of every
    submitting state (R19) — those that confirmed — and one copy to the contributions
    mailbox (R4)."""
    rows = [row for row in _submitters_of(contribution, now) if row.standing in SUBMITTING]
    points = [user for row in rows for user in row.focal_points]
    _send(
        contribution,
        _people(contribution, points),
        template_name=template_name,
        subject=subject,
        params={"title": contribution.title[:120]},
        context={"states": [row.state for row in rows]},
        attach=attach,
    )
