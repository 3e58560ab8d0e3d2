"""Statements for interpreters: the text of a speech sent ahead, read by the interpreters of
its meeting and the secretariat only ("check against delivery"), withdrawn after the
meeting (the consultation's `statement_withdraw_hours`).

The file goes through the check of contributions (contributions.filecheck.check_upload:
type by content, hostile files refused, size and page size, in the box) and the same
per-person upload rate limit. Every refusal is a DomainError with a message in the
person's language, recorded in the audit log ("statement.refused") outside any
transaction, and stores nothing."""

import hashlib
import math
import time
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaItem, Consultation
from plenary.consultations.rules import is_secretariat
from plenary.contributions import filecheck
from plenary.core import audit, ratelimit
from plenary.core.errors import DomainError
from plenary.core.uploads import stored_files
from plenary.outcomes.models import ItemOutcome
from plenary.planning.models import Meeting
from plenary.registration.models import ExtraSpeakerRequest, Participant
from plenary.registration.services import is_focal_point_of
from plenary.remote.adapters import SPEAKER
from plenary.remote.services import interpreter_of, role_in_meeting

from .models import Statement
from .withdrawal import withdrawn_from

# A statement is a speech of a few minutes; this bounds a file that is not one. It is a
# safeguard of the service, not a number of the letter.
MAX_PAGES = 20

CHECK_AGAINST_DELIVERY = "check-against-delivery"


def _refuse(message, code: str, *, actor=None, target=None, data=None, params=None):
    audit.record(
        "statement.refused", actor=actor, target=target, data={"code": code, **(data or {})}
    )
    raise DomainError(message, code=code, params=params)


# --- who sends for whom -------------------------------------------------------------------------


def speakers_for(meeting: Meeting, *, user=None, participant: Participant | None = None):
    """The speakers of a meeting a person may send a statement for: a speaker for
    themselves, a focal point for the speakers of their delegation, the secretariat for
    any. A viewer, or anyone else, for nobody."""
    if participant is not None:
        return [participant] if role_in_meeting(participant, meeting) == SPEAKER else []
    if user is None or not user.is_authenticated:
        return []
    approved = (
        Participant.objects.filter(
            consultation=meeting.consultation, status=Participant.Status.APPROVED
        )
        .select_related("delegation__state", "delegation__sector_member")
        .order_by("delegation__state__iso2", "name")
    )
    if not is_secretariat(user, meeting.consultation):
        approved = approved.filter(delegation__focal_points__user=user)
    # Named speakers, and those holding an extra-speaker grant of any kind: a superset that
    # role_in_meeting (the rule of the meeting room) then decides, without a query for
    # each of the many viewers.
    granted = Q(extra_speaker_requests__status=ExtraSpeakerRequest.Status.GRANTED)
    candidates = approved.filter(Q(role=Participant.Role.SPEAKER) | granted).distinct()
    return [p for p in candidates if role_in_meeting(p, meeting) == SPEAKER]


def _check_sender(meeting, speaker, *, user, participant) -> None:
    """The speaker themselves (their personal-link session or token), their delegation's
    focal point, or the secretariat; and the person named speaks in this meeting."""
    actor = user if user is not None and user.is_authenticated else None
    data = {"meeting": meeting.pk, "speaker": speaker.pk if speaker else None}
    if participant is not None:
        if participant.status != Participant.Status.APPROVED:
            _refuse(
                _("Open the personal link you received by e-mail."),
                "no_participant",
                target=participant,
                data=data,
            )
        if participant.consultation_id != meeting.consultation_id:
            _refuse(
                _("This meeting belongs to another consultation."),
                "other_consultation",
                target=participant,
                data=data,
            )
        if role_in_meeting(participant, meeting) != SPEAKER:
            _refuse(
                _(
                    "Only speakers send a statement to the interpreters; viewers follow the meeting."
                ),
                "not_speaker",
                target=participant,
                data=data,
            )
        if speaker is None or speaker.pk != participant.pk:
            _refuse(
                _(
                    "You may send a statement for yourself only; your focal point sends for the others."
                ),
                "not_yours",
                target=participant,
                data=data,
            )
        return
    if actor is None:
        _refuse(_("Open the personal link you received by e-mail."), "no_participant", data=data)
    if speaker is None or speaker.consultation_id != meeting.consultation_id:
        _refuse(_("Choose a speaker of this consultation."), "invalid", actor=actor, data=data)
    if not (
        is_secretariat(actor, meeting.consultation) or is_focal_point_of(actor, speaker.delegation)
    ):
        _refuse(
            _(
                "Only the speaker, their delegation's focal point or the secretariat may send this statement."
            ),
            "not_focal_point",
            actor=actor,
            target=speaker.delegation,
            data=data,
        )
    if (
        speaker.status != Participant.Status.APPROVED
        or role_in_meeting(speaker, meeting) != SPEAKER
    ):
        _refuse(
            _(
                "%(name)s does not speak in this meeting; only a speaker's statement goes to the interpreters."
            ),
            "not_speaker",
            actor=actor,
            target=speaker,
            data=data,
            params={"name": speaker.name},
        )


def _rate_key(user, participant) -> str:
    # An account shares its budget with its contribution uploads (the same scope and key).
    return f"participant-{participant.pk}" if participant is not None else str(user.pk)


# --- sending -------------------------------------------------------------------------------------


def send_statement(
    meeting: Meeting,
    *,
    item: AgendaItem,
    speaker: Participant | None,
    language: str,
    data: bytes,
    user=None,
    participant: Participant | None = None,
    now: datetime | None = None,
) -> Statement:
    """A speaker, their focal point or the secretariat sends the text of a statement for
    one meeting and item. Checks, in order: who sends it and for whom; the item and the
    language; that the meeting has not ended; that the same text was not sent already for
    this speech (a second click, checked again under the speaker's lock); the upload rate
    limit; the file (contributions.filecheck) and its length. Then it is stored, in one
    transaction, audited."""
    now = now or timezone.now()
    consultation = meeting.consultation
    actor = user if user is not None and user.is_authenticated else None
    _check_sender(meeting, speaker, user=user, participant=participant)
    who = {"actor": actor, "target": participant or speaker}
    if item.group.consultation_id != consultation.pk:
        _refuse(_("Choose an agenda item of this consultation."), "wrong_item", **who)
    if language not in consultation.languages:
        _refuse(_("Choose one of the consultation's languages."), "unknown_language", **who)
    if ItemOutcome.objects.filter(item=item, recorded=True).exists():
        _refuse(
            _("This item is concluded: its outcome is recorded, and no statement is read on it."),
            "item_concluded",
            data={"item": item.pk},
            **who,
        )
    if now >= meeting.ends_at:
        _refuse(
            _("This meeting has ended; statements are no longer sent to its interpreters."),
            "meeting_ended",
            data={"meeting": meeting.pk},
            **who,
        )
    digest = hashlib.sha256(data).hexdigest()
    if _already_sent(meeting, item, speaker, digest):
        # A second click costs neither an upload of the hour nor a check in the box.
        _refuse_duplicate(meeting, item, who)
    if not ratelimit.allow("upload", _rate_key(user, participant)):
        most, window = settings.PLENARY_RATE_LIMITS["upload"]
        _refuse(
            _("You have sent %(most)s files within the hour; try again in %(minutes)s minutes."),
            "rate_limited",
            params={
                "most": most,
                "minutes": max(1, math.ceil((window - time.time() % window) / 60)),
            },
            **who,
        )
    checked = _checked(consultation, data, who)
    statement = Statement(
        consultation=consultation,
        meeting=meeting,
        item=item,
        delegation=speaker.delegation,
        speaker=speaker,
        language=language,
        file_type=checked.kind,
        pages=checked.pages,
        size=len(data),
        sha256=digest,
        uploaded_by=actor,
        uploaded_by_participant=participant,
    )
    name = f"{consultation.slug}-{meeting.pk}-{now:%Y%m%d%H%M%S}-{digest[:8]}.{checked.kind}"
    try:
        with _stored_files() as stored, transaction.atomic():
            # One statement of a speaker at a time: the check for a second click holds.
            Participant.objects.select_for_update().get(pk=speaker.pk)
            if _already_sent(meeting, item, speaker, digest):
                raise _Duplicate
            statement.file.save(name, ContentFile(data), save=False)
            stored.append(statement.file.name)
            statement.save()
            audit.record(
                "statement.sent",
                actor=actor,
                target=statement,
                data={
                    "meeting": meeting.pk,
                    "item": item.label,
                    "speaker": speaker.pk,
                    "language": language,
                    "kind": checked.kind,
                    "pages": checked.pages,
                    "by_participant": participant.pk if participant else None,
                },
            )
    except (_Duplicate, IntegrityError):
        _refuse_duplicate(meeting, item, who)
    return statement


def _refuse_duplicate(meeting, item, who):
    _refuse(
        _("This text has already been sent for this speech; the interpreters have it."),
        "duplicate",
        data={"meeting": meeting.pk, "item": item.pk},
        **who,
    )


class _Duplicate(Exception):
    pass


def _already_sent(meeting, item, speaker, digest) -> bool:
    return Statement.objects.filter(
        meeting=meeting, item=item, speaker=speaker, sha256=digest
    ).exists()


def _checked(consultation: Consultation, data: bytes, who: dict) -> filecheck.CheckedFile:
    try:
        checked = filecheck.check_upload(
            data, max_page_size=consultation.contribution_max_page_size
        )
    except filecheck.FileRefused as refused:
        _refuse(refused.message, refused.code, data={"size": len(data)}, **who)
    if checked.pages > MAX_PAGES:
        _refuse(
            _("The statement has %(pages)s pages; at most %(most)s are accepted."),
            "too_long",
            params={"pages": checked.pages, "most": MAX_PAGES},
            data={"size": len(data)},
            **who,
        )
    return checked


def _stored_files():
    return stored_files(Statement._meta.get_field("file").storage)


# --- reading -------------------------------------------------------------------------------------


def may_read_all(user, consultation) -> bool:
    return bool(user is not None and is_secretariat(user, consultation))


def statement_of(consultation: Consultation, statement_id: int, *, user) -> Statement | None:
    """The statement of that number in the consultation, ready to be read; None (and the
    forged number recorded like a refusal) when there is none."""
    statement = (
        Statement.objects.filter(pk=statement_id, consultation=consultation)
        .select_related("meeting__consultation", "item__group", "delegation__state", "consultation")
        .first()
    )
    if statement is None:
        audit.record(
            "statement.refused",
            actor=user if user is not None and user.is_authenticated else None,
            data={"code": "not_found", "statement": statement_id, "consultation": consultation.pk},
        )
    return statement


def read_statement(statement: Statement, *, user, now: datetime | None = None) -> tuple[bytes, str]:
    """The file and its name, for an interpreter of the statement's meeting (an active
    interpreter of its consultation) before its withdrawal, or for the secretariat; a
    forged or old link is refused and the attempt recorded. Every reading is recorded."""
    now = now or timezone.now()
    consultation = statement.consultation
    actor = user if user is not None and user.is_authenticated else None
    secretariat = may_read_all(user, consultation)
    if not secretariat and (actor is None or interpreter_of(actor, consultation) is None):
        _refuse(
            _("Only the interpreters of this meeting and the secretariat may read its statements."),
            "not_interpreter",
            actor=actor,
            target=statement,
        )
    if statement.withdrawn_at is not None or (
        not secretariat and now >= withdrawn_from(statement.meeting)
    ):
        _refuse(
            _("This statement was withdrawn after its meeting."),
            "statement_withdrawn",
            actor=actor,
            target=statement,
        )
    with statement.file.open("rb") as stream:
        content = stream.read()
    audit.record(
        "statement.read", actor=actor, target=statement, data={"meeting": statement.meeting_id}
    )
    return content, download_name(statement)


def download_name(statement: Statement) -> str:
    """The file's name says what it is and that it is checked against delivery, as the
    booth expects: VCC-2-M1-1.2-CH-fr-check-against-delivery.pdf."""
    meeting = statement.meeting
    consultation = statement.consultation
    delegation = statement.delegation
    who = delegation.state.iso2 if delegation.state_id else slugify(str(delegation))[:30]
    label = f"M{meeting.number}" if meeting.kind == Meeting.Kind.MEETING else "R"
    parts = [
        slugify(consultation.acronym).upper() or consultation.slug,
        label,
        statement.item.label,
        who,
        statement.language,
        str(statement.pk),
        CHECK_AGAINST_DELIVERY,
    ]
    return "-".join(parts) + f".{statement.file_type}"
