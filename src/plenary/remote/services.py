"""Remote participation: who receives which access to a meeting, interpretation booths,
captions and webcast, and the IT support desk (R10, R14, R28–R30).

Every refusal is a DomainError with a message in the person's language, recorded in the
audit log outside the refused transaction."""

import re
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import Appointment
from plenary.core import audit, ratelimit
from plenary.core.errors import DomainError
from plenary.core.mail import mail_in_language
from plenary.floor.models import Floor
from plenary.planning.models import Meeting
from plenary.planning.queries import latest_plan
from plenary.registration import services as registration
from plenary.registration.models import AccessLink, Participant

from . import adapters
from .adapters import FLOOR, INTERPRETER, SPEAKER, VIEWER, Access, Seat
from .models import (
    BoothCheckIn,
    CaptionFeed,
    Interpreter,
    ListeningChoice,
    MeetingLinks,
    RemoteSettings,
    SupportMessage,
    SupportRequest,
)

MAX_MESSAGE = 2000
MAX_EMAIL_BYTES = 256 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def settings_of(consultation) -> RemoteSettings:
    found, _created = RemoteSettings.objects.get_or_create(consultation=consultation)
    return found


def _refuse(message, code: str, *, target=None, data: dict | None = None, params=None):
    audit.record("remote.refused", target=target, data={"code": code, **(data or {})})
    raise DomainError(message, code=code, params=params)


# --- access to a meeting ----------------------------------------------------------------------


def _check_window(meeting: Meeting, target) -> None:
    now = timezone.now()
    lobby = settings_of(meeting.consultation).lobby_minutes
    if now >= meeting.ends_at:
        _refuse(
            _("This meeting has ended; its access is closed."),
            "meeting_ended",
            target=target,
            data={"meeting": meeting.pk},
        )
    if now < meeting.starts_at - timedelta(minutes=lobby):
        _refuse(
            _("Access to this meeting opens %(minutes)s minutes before it starts."),
            "not_open_yet",
            target=target,
            data={"meeting": meeting.pk},
            params={"minutes": lobby},
        )


def items_of_meeting(meeting: Meeting) -> set[int]:
    """The items a meeting takes up: those the latest published plan places on its day, and
    the one under discussion if the chair has this meeting open. The rehearsal takes none."""
    if meeting.kind != Meeting.Kind.MEETING:
        return set()
    plan = latest_plan(meeting.consultation)
    items = {
        slot["item"] for slot in (plan.slots if plan else []) if slot["day"] == meeting.number - 1
    }
    floor = Floor.objects.filter(consultation=meeting.consultation_id).first()
    if floor is not None and floor.meeting_id == meeting.pk and floor.item_id:
        items.add(floor.item_id)
    return items


def role_in_meeting(participant: Participant, meeting: Meeting) -> str:
    """Speaker if the delegation named them (R11), or if their extra-speaker grant covers this
    meeting: granted for it, or for an item it takes up (R12); viewer otherwise."""
    if registration.may_speak(participant, meeting=meeting, items=items_of_meeting(meeting)):
        return SPEAKER
    return VIEWER


def listening_language(participant: Participant) -> str:
    choice = ListeningChoice.objects.filter(participant=participant).first()
    return choice.language if choice else FLOOR


def consultation_languages(consultation) -> list[tuple[str, str]]:
    """(code, name in the reader's language) of each interpretation channel."""
    names = dict(settings.LANGUAGES)
    return [(code, names.get(code, code)) for code in consultation.languages]


def choose_listening(participant: Participant, language: str) -> str:
    allowed = {FLOOR, *participant.consultation.languages}
    if language not in allowed:
        raise DomainError(_("This language channel does not exist."), code="bad_channel")
    ListeningChoice.objects.update_or_create(
        participant=participant, defaults={"language": language}
    )
    return language


def meeting_access(
    participant: Participant | None,
    meeting: Meeting,
    *,
    publish: bool = False,
    link_id: int | None = None,
) -> Access:
    """What one participant needs to join one meeting, in the role they hold now.

    `participant` comes from the personal-link session (or the participant's own account);
    `link_id` is the link that opened the session, refused once it was replaced or withdrawn.
    `publish` is what the client asked for: a viewer asking to be heard is refused."""
    if participant is None or participant.status != Participant.Status.APPROVED:
        _refuse(
            _("Open the personal link you received by e-mail."),
            "no_participant",
            data={"meeting": meeting.pk},
        )
    if meeting.consultation_id != participant.consultation_id:
        _refuse(
            _("This meeting belongs to another consultation."),
            "other_consultation",
            target=participant,
            data={"meeting": meeting.pk},
        )
    if (
        link_id is not None
        and not AccessLink.objects.filter(pk=link_id, revoked_at__isnull=True).exists()
    ):
        _refuse(
            _("This link has been replaced or withdrawn. Use the most recent link you received."),
            "revoked_link",
            target=participant,
        )
    _check_window(meeting, participant)
    role = role_in_meeting(participant, meeting)
    if publish and role != SPEAKER:
        _refuse(
            _("Viewers follow the meeting; only speakers may be heard."),
            "viewer_cannot_publish",
            target=participant,
            data={"meeting": meeting.pk},
        )
    platform = adapters.platform_named(settings_of(meeting.consultation).platform)
    seat = Seat(
        identity=f"participant-{participant.pk}",
        name=f"{participant.name} ({participant.delegation})",
        role=role,
        listening=listening_language(participant),
    )
    access = platform.access(meeting, seat)
    audit.record(
        "remote.access_issued",
        target=participant,
        data={"meeting": meeting.pk, "role": role, "platform": platform.name},
    )
    return access


def interpreter_of(user, consultation) -> Interpreter | None:
    if not user.is_authenticated:
        return None
    return Interpreter.objects.filter(user=user, consultation=consultation, active=True).first()


def booth_access(interpreter: Interpreter | None, meeting: Meeting) -> Access:
    """An interpreter's access: heard in their booth's channel only."""
    if interpreter is None or not interpreter.active:
        _refuse(
            _("Only the consultation's interpreters may take a booth."),
            "not_interpreter",
            data={"meeting": meeting.pk},
        )
    if meeting.consultation_id != interpreter.consultation_id:
        _refuse(
            _("This meeting belongs to another consultation."),
            "other_consultation",
            target=interpreter,
        )
    _check_window(meeting, interpreter)
    platform = adapters.platform_named(settings_of(meeting.consultation).platform)
    access = platform.access(
        meeting,
        Seat(
            identity=f"interpreter-{interpreter.pk}",
            name=f"{interpreter.user} ({interpreter.booth})",
            role=INTERPRETER,
            booth=interpreter.booth,
            relay=interpreter.relay,
        ),
    )
    BoothCheckIn.objects.update_or_create(interpreter=interpreter, meeting=meeting)
    audit.record(
        "remote.booth_taken",
        target=interpreter,
        data={"meeting": meeting.pk, "booth": interpreter.booth},
    )
    return access


def booths(meeting: Meeting) -> list[dict]:
    """For each language of the consultation: its interpreters, and who took the booth."""
    interpreters = Interpreter.objects.filter(
        consultation=meeting.consultation, active=True
    ).select_related("user")
    present = set(
        BoothCheckIn.objects.filter(meeting=meeting).values_list("interpreter_id", flat=True)
    )
    rows = []
    for language in meeting.consultation.languages:
        team = [i for i in interpreters if i.booth == language]
        rows.append(
            {
                "language": language,
                "interpreters": team,
                "present": [i for i in team if i.pk in present],
                "staffed": any(i.pk in present for i in team),
            }
        )
    return rows


def add_interpreter(consultation, user, booth: str, relay: str = "", *, actor) -> Interpreter:
    if booth not in consultation.languages or (relay and relay not in consultation.languages):
        raise DomainError(_("This language is not one of the consultation's."), code="bad_booth")
    if relay == booth:
        raise DomainError(
            _("The relay language must differ from the booth's language."), code="bad_relay"
        )
    interpreter, _created = Interpreter.objects.update_or_create(
        consultation=consultation, user=user, defaults={"booth": booth, "relay": relay}
    )
    audit.record(
        "remote.interpreter_set",
        actor=actor,
        target=interpreter,
        data={"booth": booth, "relay": relay},
    )
    return interpreter


def set_meeting_links(meeting: Meeting, *, actor, **urls) -> MeetingLinks:
    links, _created = MeetingLinks.objects.update_or_create(meeting=meeting, defaults=urls)
    audit.record(
        "remote.meeting_links_set",
        actor=actor,
        target=meeting,
        data={name: bool(value) for name, value in urls.items()},
    )
    return links


def set_caption_feed(meeting: Meeting, language: str, url: str, *, actor) -> CaptionFeed | None:
    if language not in meeting.consultation.languages:
        raise DomainError(_("This language is not one of the consultation's."), code="bad_booth")
    if not url:
        CaptionFeed.objects.filter(meeting=meeting, language=language).delete()
        feed = None
    else:
        feed, _created = CaptionFeed.objects.update_or_create(
            meeting=meeting, language=language, defaults={"url": url}
        )
    audit.record(
        "remote.caption_feed_set",
        actor=actor,
        target=meeting,
        data={"language": language, "set": bool(url)},
    )
    return feed


def current_or_next_meeting(consultation) -> Meeting | None:
    now = timezone.now()
    return consultation.meetings.filter(ends_at__gt=now).order_by("starts_at").first()


def may_watch_webcast(consultation, *, participant, user) -> bool:
    if settings_of(consultation).webcast_public:
        return True
    if participant is not None:
        return True
    return bool(user.is_authenticated and user.has_perm("remote.watch", consultation))


# --- IT support (R30) -------------------------------------------------------------------------


def clean_text(text: str, *, limit: int = MAX_MESSAGE) -> str:
    """A message as plain text: control characters removed, length bounded. HTML is kept as
    typed and escaped wherever it is shown, so nothing a person writes runs anywhere."""
    text = _CONTROL.sub("", (text or "").replace("\r\n", "\n")).strip()
    if not text:
        raise DomainError(_("Write a message first."), code="empty_message")
    if len(text) > limit:
        raise DomainError(
            _("A message has at most %(limit)s characters."),
            code="message_too_long",
            params={"limit": limit},
        )
    return text


def normalise_phone(raw: str, *, region: str | None = None) -> str:
    """A telephone number in E.164 (+41223000000), or a refusal saying what is wrong."""
    try:
        number = phonenumbers.parse((raw or "").strip(), (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(
            _(
                "This telephone number is not valid. Write it with the country code, "
                "for example +41 22 730 51 11."
            ),
            code="bad_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def open_request(
    consultation,
    *,
    channel: str,
    subject: str,
    body: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "en",
    participant: Participant | None = None,
    user=None,
    client: str | None = None,
) -> SupportRequest:
    """A new request to IT support. The person is the participant of the session, the
    signed-in user, or whoever gives a name and an e-mail address (a participant whose
    link does not work must still be able to ask for help)."""
    if client is not None and not ratelimit.allow("support", client):
        # Each request sends an acknowledgement: no mail cannon for strangers.
        raise DomainError(
            _("Too many requests from this connection. Please wait a few minutes."),
            code="rate_limited",
        )
    if channel not in SupportRequest.Channel.values:
        raise DomainError(_("Choose how IT support should answer."), code="bad_channel")
    name, email, language = _requester(
        channel, name=name, email=email, language=language, participant=participant, user=user
    )
    phone = _callback_phone(channel, phone, participant)
    subject = clean_text(subject, limit=200)
    body = clean_text(body) if body.strip() else ""
    with transaction.atomic():
        account = user if user is not None and user.is_authenticated else None
        request = SupportRequest.objects.create(
            consultation=consultation,
            participant=participant,
            user=account,
            name=name,
            email=email,
            phone=phone,
            language=language,
            channel=channel,
            subject=subject,
        )
        if body:
            SupportMessage.objects.create(request=request, body=body)
        audit.record(
            "remote.support_opened",
            actor=account,
            target=request,
            data={"channel": channel, "participant": participant.pk if participant else None},
        )
    _announce_request(request)
    return request


def _requester(channel, *, name, email, language, participant, user) -> tuple[str, str, str]:
    """The name, e-mail address and language of the person asking: the participant's own,
    else the signed-in account's where none is given. A name is required, and an address
    unless IT support is to call back."""
    if participant is not None:
        name, email, language = participant.name, participant.email, participant.language
    elif user is not None and user.is_authenticated:
        name = name or user.get_full_name() or user.email
        email = email or user.email
    name = (name or "").strip()[:200]
    if not name:
        raise DomainError(_("Give your name."), code="no_name")
    if channel != SupportRequest.Channel.CALLBACK or email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(
                _("Give an e-mail address where IT support can answer."), code="bad_email"
            ) from None
    return name, email, language


def _callback_phone(channel, phone, participant) -> str:
    """The number to call back in E.164, read in the participant's country; none for the
    other channels."""
    if channel != SupportRequest.Channel.CALLBACK:
        return ""
    region = None
    if participant is not None and participant.delegation.state_id:
        region = participant.delegation.state.iso2
    return normalise_phone(phone, region=region)


def _announce_request(request: SupportRequest) -> None:
    """IT support's mailbox hears of every request, so that nothing waits unseen on the
    desk; the person who asked is told it was received, where there is an address."""
    consultation = request.consultation
    mail_in_language(
        to=consultation.remote_participation_email,
        language="en",
        subject=_("New IT support request #%(number)s: %(subject)s"),
        params={"number": request.pk, "subject": request.subject[:80]},
        template="remote/email/new_request.txt",
        context={"request": request, "consultation": consultation, "url": _desk_url(request)},
    )
    if request.email:
        mail_in_language(
            to=request.email,
            language=request.language,
            subject=_("IT support: we received your request #%(number)s"),
            params={"number": request.pk},
            template="remote/email/received.txt",
            context={"request": request, "consultation": consultation},
        )


def _desk_url(request: SupportRequest) -> str:
    with translation.override("en"):
        path = reverse("desk_request", args=[request.consultation.slug, request.pk])
    return f"{settings.PLENARY_BASE_URL}{path}"


def post_message(request: SupportRequest, text: str, *, from_support: bool, author=None):
    if request.status == SupportRequest.Status.RESOLVED and not from_support:
        # A participant writing again reopens the request.
        request.status = (
            SupportRequest.Status.ASSIGNED if request.assignee_id else SupportRequest.Status.NEW
        )
        request.save(update_fields=["status", "updated_at"])
    message = SupportMessage.objects.create(
        request=request,
        body=clean_text(text),
        from_support=from_support,
        author=author if author is not None and author.is_authenticated else None,
    )
    return message


def reply_by_mail(request: SupportRequest, text: str, *, actor) -> SupportMessage:
    """IT support answers a request; the answer also goes by e-mail when there is an address."""
    message = post_message(request, text, from_support=True, author=actor)
    if request.email:
        mail_in_language(
            to=request.email,
            language=request.language,
            subject=_("IT support: answer to your request #%(number)s"),
            params={"number": request.pk},
            template="remote/email/answer.txt",
            context={"request": request, "message": message},
        )
    audit.record("remote.support_answered", actor=actor, target=request)
    return message


def support_staff(consultation):
    """The accounts a request can be assigned to: IT support of this consultation (or of
    all) and the secretariat."""
    return (
        get_user_model()
        .objects.filter(
            Q(appointments__role=Appointment.Role.SECRETARIAT)
            | Q(
                Q(appointments__role=Appointment.Role.IT_SUPPORT),
                Q(appointments__consultation=consultation)
                | Q(appointments__consultation__isnull=True),
            )
        )
        .distinct()
        .order_by("email")
    )


def assign(request: SupportRequest, assignee, *, actor) -> SupportRequest:
    if not assignee.has_perm("remote.support", request.consultation):
        raise DomainError(
            _("Requests can only be assigned to IT support staff."), code="not_support_staff"
        )
    request.assignee = assignee
    if request.status == SupportRequest.Status.NEW:
        request.status = SupportRequest.Status.ASSIGNED
    request.save(update_fields=["assignee", "status", "updated_at"])
    audit.record("remote.support_assigned", actor=actor, target=request, data={"to": assignee.pk})
    return request


def set_status(request: SupportRequest, status: str, *, actor) -> SupportRequest:
    if status not in SupportRequest.Status.values:
        raise DomainError(_("This status does not exist."), code="bad_status")
    request.status = status
    request.save(update_fields=["status", "updated_at"])
    audit.record("remote.support_status", actor=actor, target=request, data={"status": status})
    return request


def ingest_email(consultation, raw: bytes) -> SupportRequest:
    """A message written to the remote participation mailbox becomes a request. The sender
    is matched to a participant of the consultation when the address is known."""
    if len(raw) > MAX_EMAIL_BYTES:
        raise DomainError(_("This message is too large."), code="too_large")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    name, address = parseaddr(str(message.get("From", "")))
    participant = (
        Participant.objects.filter(
            consultation=consultation, email__iexact=address, status=Participant.Status.APPROVED
        )
        .select_related("delegation__state")
        .first()
    )
    body_part = message.get_body(preferencelist=("plain",))
    body = body_part.get_content() if body_part is not None else ""
    subject = str(message.get("Subject", "")).strip() or str(_("(no subject)"))
    return open_request(
        consultation,
        channel=SupportRequest.Channel.EMAIL,
        subject=subject[:200],
        body=body[:MAX_MESSAGE],
        name=name or address,
        email=address,
        participant=participant,
    )


def link_status(participant: Participant | None) -> dict | None:
    """What IT support needs to know about a participant's link, never the link itself."""
    if participant is None:
        return None
    link = AccessLink.objects.filter(participant=participant).order_by("-created_at").first()
    return {
        "role": participant.get_role_display(),
        "status": participant.get_status_display(),
        "delegation": str(participant.delegation),
        "link": link,
        "links_issued": AccessLink.objects.filter(participant=participant).count(),
    }
