"""Submission, co-submission, review and publication of contributions (R15–R20).
Transactional and audited; a refusal is a DomainError that stores nothing."""

import math
import re
import time
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
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
from plenary.directory.models import State
from plenary.registration.models import FocalPoint

from . import drafts, filecheck
from .models import Contribution, ContributionState


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


@contextmanager
def _stored_files():
    """The names of the files stored in a transaction, removed if it fails: a refusal or
    a crash stores nothing."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        storage = Contribution._meta.get_field("file").storage
        for name in stored:
            storage.delete(name)
        raise


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
        _tell_everyone(
            contribution,
            "contributions/email/submitted.txt",
            _("Contribution received: %(title)s"),
            attach=True,
        )
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


def confirm_co_submission(contribution: Contribution, state: State, *, actor) -> ContributionState:
    """A co-submitting state confirms through its own focal point, or the secretariat records
    its confirmation (R19)."""
    on_behalf = False
    if state not in represented_states(actor, contribution.consultation):
        if not _is_secretariat(actor, contribution.consultation):
            raise DomainError(
                _("Only that Member State's focal point may confirm."), code="not_your_state"
            )
        on_behalf = True
    with transaction.atomic():
        row = (
            ContributionState.objects.select_for_update()
            .filter(contribution=contribution, state=state)
            .first()
        )
        if row is None:
            raise DomainError(
                _("This Member State is not among the submitters."), code="not_submitter"
            )
        if row.confirmed_at is not None:
            raise DomainError(
                _("This Member State has already confirmed."), code="already_confirmed"
            )
        row.confirmed_at = timezone.now()
        row.confirmed_by = actor
        row.on_behalf = on_behalf
        row.save()
        audit.record(
            "contribution.co_submission_confirmed",
            actor=actor,
            target=contribution,
            data={"state": state.iso2, "on_behalf": on_behalf},
        )
    return row


def publish(contribution: Contribution, *, actor) -> Contribution:
    """The secretariat publishes: the next VC/n, attached to the item in the agenda and the
    plan, and the delegations are told."""
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
        if contribution.states.filter(confirmed_at__isnull=True).exists():
            raise DomainError(
                _("Every co-submitting Member State must confirm first."), code="unconfirmed"
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
        )
        _tell_delegations(contribution)
    return contribution


def _tell_delegations(contribution: Contribution) -> None:
    """Publication is announced to every delegation's focal point, in their language."""
    consultation = contribution.consultation
    states = [row.state for row in contribution.states.select_related("state")]
    already = {contribution.created_by.email} | set(
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


def _tell_everyone(
    contribution: Contribution, template_name: str, subject, *, attach: bool = False
) -> None:
    """Every message about a contribution goes to the submitter, the focal points of every
    submitting state (R19) and the contributions mailbox (R4)."""
    consultation = contribution.consultation
    states = [row.state for row in contribution.states.select_related("state")]
    focal = FocalPoint.objects.filter(
        delegation__consultation=consultation, delegation__state__in=states
    ).select_related("user")
    recipients = {contribution.created_by.email: contribution.created_by.language}
    for point in focal:
        recipients.setdefault(point.user.email, point.user.language)
    attachments = [contribution.file.name] if attach and contribution.file else []
    for email, language in recipients.items():
        mail_in_language(
            to=email,
            language=language,
            subject=subject,
            params={"title": contribution.title[:120]},
            template=template_name,
            context={"contribution": contribution, "consultation": consultation, "states": states},
            cc=[consultation.contributions_email],
            attachments=attachments,
        )
