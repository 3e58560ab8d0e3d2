"""Remote participation (R10, R14, R28–R30): a participant's access to a meeting and their
listening language, the interpreter's booth, the secretariat's set-up, the webcast, and IT
support — remote.services, the checks of the remote participation pages."""

import datetime
from typing import Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from plenary.core import ratelimit
from plenary.core.errors import DomainError
from plenary.core.models import ApiToken
from plenary.core.sessions import change_with_session
from plenary.planning.models import Meeting
from plenary.registration.session import link_of, participant_of
from plenary.remote import queries, services
from plenary.remote.forms import CaptionForm, InterpreterForm, MeetingLinksForm, RemoteSettingsForm
from plenary.remote.models import MeetingLinks, RemoteSettings, SupportRequest

from .base import (
    AUTH,
    Id,
    SessionAuth,
    TokenAuth,
    _refuse,
    actor,
    consultation_for,
    get_or_404,
    participant_for,
    responses,
)

router = Router(tags=["remote"])

LanguageCode = Literal[tuple(code for code, _name in settings.LANGUAGES)]
Platform = Literal[tuple(RemoteSettings.Platform.values)]
Channel = Literal["form", "chat", "callback"]  # the channels of the help form
RequestStatus = Literal[tuple(SupportRequest.Status.values)]
DeskFilter = Literal[queries.DESK_FILTERS]
Url = Field("", max_length=200)


class SupportSessionAuth(SessionAuth):
    """The browser session, also when it holds nothing but the help requests it opened (a
    person whose link fails asks for help without one)."""

    def authenticate(self, request, key):
        found = super().authenticate(request, key)
        if found is None and key and queries.remembered_requests(request.session):
            return "support-session"
        return found


class Anyone:
    """No credentials: the help form and the public webcast are open to everyone."""

    def __call__(self, request):
        request.api_participant = None
        return "anyone"


# Token first, then the session (CSRF-checked), then no one in particular.
OPEN_TO_ALL = [TokenAuth(), SupportSessionAuth(), Anyone()]
OWNER = [TokenAuth(), SupportSessionAuth()]


# --- schemas ----------------------------------------------------------------------------------


class PublishIn(Schema):
    publish: bool = Field(False, description="ask to be heard (speakers only)")


class RoomOut(Schema):
    room: str
    can_publish: bool
    token: str


class AccessOut(Schema):
    platform: str
    role: str
    url: str
    expires_at: datetime.datetime
    rooms: list[RoomOut]

    @staticmethod
    def resolve_rooms(access):
        return [
            {"room": g.room, "can_publish": g.can_publish, "token": g.token} for g in access.grants
        ]


class ListeningIn(Schema):
    language: str = Field(max_length=10, description='"floor" or a language of the consultation')


class ListeningOut(Schema):
    language: str


class SettingsOut(Schema):
    platform: str
    webcast_public: bool
    lobby_minutes: int


class SettingsPatch(Schema):
    platform: Platform | None = None
    webcast_public: bool | None = None
    lobby_minutes: int | None = Field(None, ge=0, le=32767)


class LinksIn(Schema):
    speaker_url: str = Url
    viewer_url: str = Url
    interpreter_url: str = Url
    webcast_url: str = Url


class LinksOut(Schema):
    meeting: Id
    speaker_url: str
    viewer_url: str
    interpreter_url: str
    webcast_url: str

    @staticmethod
    def resolve_meeting(links):
        return links.meeting_id


class CaptionIn(Schema):
    language: LanguageCode
    url: str = Field("", max_length=200, description="empty to remove the feed")


class CaptionOut(Schema):
    language: str
    url: str


class InterpreterIn(Schema):
    email: str = Field(max_length=254)
    booth: LanguageCode
    relay: LanguageCode | Literal[""] = ""


class InterpreterOut(Schema):
    id: int
    email: str
    booth: str
    relay: str
    active: bool

    @staticmethod
    def resolve_email(interpreter):
        return interpreter.user.email


class BoothOut(Schema):
    language: str
    staffed: bool
    interpreters: list[InterpreterOut]
    present: list[int]

    @staticmethod
    def resolve_present(row):
        return [interpreter.pk for interpreter in row["present"]]


class MeetingOut(Schema):
    id: int
    kind: str
    number: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime


class WebcastOut(Schema):
    meeting: MeetingOut | None
    webcast_url: str
    captions: list[CaptionOut]


class SupportIn(Schema):
    channel: Channel = "form"
    subject: str = Field(max_length=200)
    body: str = Field("", max_length=services.MAX_MESSAGE)
    name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)


class TextIn(Schema):
    text: str = Field(max_length=services.MAX_MESSAGE)


class MessageOut(Schema):
    id: int
    from_support: bool
    body: str
    sent_at: datetime.datetime


class SupportRequestOut(Schema):
    id: int
    channel: str
    subject: str
    status: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(request):
        return list(request.messages.all())


class LinkOut(Schema):
    role: str
    created_at: datetime.datetime
    first_used_at: datetime.datetime | None
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class LinkStatusOut(Schema):
    """What IT support sees of a participant's personal link: never the link itself."""

    role: str
    status: str
    delegation: str
    links_issued: int
    link: LinkOut | None


class DeskRowOut(Schema):
    id: int
    channel: str
    subject: str
    status: str
    name: str
    email: str
    phone: str
    language: str
    assignee: str | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_assignee(request):
        return request.assignee.email if request.assignee_id else None


class DeskRequestOut(DeskRowOut):
    messages: list[MessageOut]
    person: LinkStatusOut | None

    @staticmethod
    def resolve_messages(request):
        return list(request.messages.all())

    @staticmethod
    def resolve_person(request):
        return services.link_status(request.participant)


class AssignIn(Schema):
    to: Id | None = Field(None, description="a member of IT support; yourself if null")


class StatusIn(Schema):
    status: RequestStatus


# --- helpers ----------------------------------------------------------------------------------


def _meeting(consultation, meeting_id) -> Meeting:
    return get_or_404(Meeting.objects, pk=meeting_id, consultation=consultation)


def _link_id(request) -> int | None:
    """The personal link the caller holds: the token's, or the one that opened the session."""
    if isinstance(request.auth, ApiToken):
        return request.auth.link_id
    return link_of(request)


def _checked(form) -> dict:
    """The page's form decides what is valid, as on the page."""
    if not form.is_valid():
        raise DomainError(
            " ".join(str(e) for errors in form.errors.values() for e in errors), code="invalid"
        )
    return form.cleaned_data


def _own_request(request, consultation, request_id) -> SupportRequest:
    """The caller's own request (as the help page finds it); another's is not found."""
    support_request = get_or_404(SupportRequest.objects, pk=request_id, consultation=consultation)
    if not queries.is_own_request(request, support_request, consultation):
        raise Http404
    return support_request


def _desk_request(request, slug, request_id) -> SupportRequest:
    consultation = consultation_for(request, slug, "remote.support")
    return get_or_404(
        SupportRequest.objects.select_related("assignee", "participant__delegation"),
        pk=request_id,
        consultation=consultation,
    )


# --- participants -----------------------------------------------------------------------------


@router.post("/{slug}/meetings/{meeting_id}/access", response=responses(AccessOut), auth=AUTH)
def meeting_access(request, slug: str, meeting_id: Id, body: PublishIn):
    """A participant's access to one meeting in the role they hold now: the address, or the
    platform's tokens. A viewer asking to be heard is refused (403 viewer_cannot_publish)."""
    consultation = consultation_for(request, slug)
    participant = participant_for(request, consultation)
    meeting = _meeting(consultation, meeting_id)
    return services.meeting_access(
        participant, meeting, publish=body.publish, link_id=_link_id(request)
    )


@router.put("/{slug}/listening", response=responses(ListeningOut), auth=AUTH)
def choose_listening(request, slug: str, body: ListeningIn):
    """The participant's listening language ("floor" for the original sound)."""
    consultation = consultation_for(request, slug)
    participant = participant_for(request, consultation)
    return {"language": services.choose_listening(participant, body.language)}


# --- interpreters -----------------------------------------------------------------------------


@router.post("/{slug}/meetings/{meeting_id}/booth", response=responses(AccessOut), auth=AUTH)
def take_booth(request, slug: str, meeting_id: Id):
    """An interpreter takes their booth for a meeting: heard in its channel only."""
    consultation = consultation_for(request, slug)
    interpreter = services.interpreter_of(request.user, consultation)
    if interpreter is None:
        _refuse(request)
    return services.booth_access(interpreter, _meeting(consultation, meeting_id))


# --- the secretariat --------------------------------------------------------------------------


@router.get("/{slug}/remote/settings", response=responses(SettingsOut), auth=AUTH)
def remote_settings(request, slug: str):
    consultation = consultation_for(request, slug, "remote.manage")
    return services.settings_of(consultation)


@router.patch("/{slug}/remote/settings", response=responses(SettingsOut), auth=AUTH)
def update_remote_settings(request, slug: str, body: SettingsPatch):
    """The platform, whether the webcast is public, and when access opens before a meeting."""
    consultation = consultation_for(request, slug, "remote.manage")
    remote = services.settings_of(consultation)
    changes = body.dict(exclude_unset=True, exclude_none=True)
    data = {
        "platform": changes.get("platform", remote.platform),
        "lobby_minutes": changes.get("lobby_minutes", remote.lobby_minutes),
    }
    if changes.get("webcast_public", remote.webcast_public):
        data["webcast_public"] = "on"
    form = RemoteSettingsForm(data, instance=remote)
    _checked(form)
    return form.save()


@router.put("/{slug}/remote/meetings/{meeting_id}/links", response=responses(LinksOut), auth=AUTH)
def set_meeting_links(request, slug: str, meeting_id: Id, body: LinksIn):
    """A meeting's addresses on an external platform, per role, and its public webcast."""
    consultation = consultation_for(request, slug, "remote.manage")
    meeting = _meeting(consultation, meeting_id)
    links = MeetingLinks.objects.filter(meeting=meeting).first()
    urls = _checked(MeetingLinksForm(body.dict(), instance=links))
    return services.set_meeting_links(meeting, actor=actor(request), **urls)


@router.put(
    "/{slug}/remote/meetings/{meeting_id}/captions", response=responses(CaptionOut), auth=AUTH
)
def set_caption_feed(request, slug: str, meeting_id: Id, body: CaptionIn):
    """A meeting's live captions in one language; an empty address removes the feed."""
    consultation = consultation_for(request, slug, "remote.manage")
    meeting = _meeting(consultation, meeting_id)
    data = _checked(CaptionForm(body.dict()))
    services.set_caption_feed(meeting, data["language"], data["url"], actor=actor(request))
    return {"language": data["language"], "url": data["url"]}


@router.post("/{slug}/remote/interpreters", response=responses(InterpreterOut, 201), auth=AUTH)
def add_interpreter(request, slug: str, body: InterpreterIn):
    """An account becomes an interpreter of the consultation, in one booth (and a relay)."""
    consultation = consultation_for(request, slug, "remote.manage")
    data = _checked(InterpreterForm(body.dict()))
    user = get_user_model().objects.filter(email__iexact=data["email"]).first()
    if user is None:
        raise DomainError(_("No account has this e-mail address."), code="no_account")
    interpreter = services.add_interpreter(
        consultation, user, data["booth"], data["relay"], actor=actor(request)
    )
    return Status(201, interpreter)


@router.get(
    "/{slug}/remote/meetings/{meeting_id}/booths", response=responses(list[BoothOut]), auth=AUTH
)
def booths(request, slug: str, meeting_id: Id):
    """For each language: its interpreters, and who took the booth for this meeting."""
    consultation = consultation_for(request, slug, "remote.manage")
    return services.booths(_meeting(consultation, meeting_id))


# --- the webcast ------------------------------------------------------------------------------


@router.get("/{slug}/webcast", response=responses(WebcastOut), auth=OPEN_TO_ALL)
def webcast(request, slug: str):
    """The webcast and captions of the current or next meeting (R28): for everyone when
    the secretariat made it public, otherwise for the consultation's people."""
    consultation = consultation_for(request, slug)
    participant = participant_of(request, consultation)
    if not services.may_watch_webcast(consultation, participant=participant, user=request.user):
        _refuse(request)
    return queries.webcast(services.current_or_next_meeting(consultation))


# --- IT support: the person asking ------------------------------------------------------------


@router.post(
    "/{slug}/support-requests", response=responses(SupportRequestOut, 201), auth=OPEN_TO_ALL
)
def open_support_request(request, slug: str, body: SupportIn):
    """A request to IT support (R30), open to everyone: a participant or an account is
    known; anyone else gives a name and an e-mail address. Read it back with the same
    token or session."""
    consultation = consultation_for(request, slug)
    with change_with_session(request):  # the request and the session that opened it, together
        support_request = services.open_request(
            consultation,
            channel=body.channel,
            subject=body.subject,
            body=body.body,
            name=body.name,
            email=body.email,
            phone=body.phone,
            language=request.LANGUAGE_CODE,
            participant=participant_of(request, consultation),
            user=request.user,
            client=ratelimit.client_address(request),
        )
        if not isinstance(request.auth, ApiToken):
            # As the help page: the session remembers the requests it opened.
            queries.remember_request(request.session, support_request)
    return Status(201, support_request)


@router.get(
    "/{slug}/support-requests/{request_id}", response=responses(SupportRequestOut), auth=OWNER
)
def my_support_request(request, slug: str, request_id: Id):
    """One's own request and its messages."""
    consultation = consultation_for(request, slug)
    return _own_request(request, consultation, request_id)


@router.post(
    "/{slug}/support-requests/{request_id}/messages",
    response=responses(MessageOut, 201),
    auth=OWNER,
)
def post_support_message(request, slug: str, request_id: Id, body: TextIn):
    """Write to IT support on one's own request; writing reopens a resolved one."""
    consultation = consultation_for(request, slug)
    support_request = _own_request(request, consultation, request_id)
    return Status(201, services.post_message(support_request, body.text, from_support=False))


# --- IT support: the desk ---------------------------------------------------------------------


@router.get("/{slug}/support-desk", response=responses(list[DeskRowOut]), auth=AUTH)
def support_desk(request, slug: str, status: DeskFilter = "open"):
    """The queue, oldest first: the open requests, all, or those of one status."""
    consultation = consultation_for(request, slug, "remote.support")
    return list(queries.desk_requests(consultation, status))


@router.get("/{slug}/support-desk/{request_id}", response=responses(DeskRequestOut), auth=AUTH)
def desk_request(request, slug: str, request_id: Id):
    """A request with its messages and the state of the participant's personal link."""
    return _desk_request(request, slug, request_id)


@router.post("/{slug}/support-desk/{request_id}/assign", response=responses(DeskRowOut), auth=AUTH)
def assign_request(request, slug: str, request_id: Id, body: AssignIn):
    support_request = _desk_request(request, slug, request_id)
    if body.to is None:
        assignee = request.user
    else:
        assignee = get_user_model().objects.filter(pk=body.to).first()
        if assignee is None:
            raise DomainError(
                _("Requests can only be assigned to IT support staff."), code="not_support_staff"
            )
    return services.assign(support_request, assignee, actor=actor(request))


@router.post("/{slug}/support-desk/{request_id}/status", response=responses(DeskRowOut), auth=AUTH)
def set_request_status(request, slug: str, request_id: Id, body: StatusIn):
    support_request = _desk_request(request, slug, request_id)
    return services.set_status(support_request, body.status, actor=actor(request))


@router.post(
    "/{slug}/support-desk/{request_id}/replies", response=responses(MessageOut, 201), auth=AUTH
)
def reply(request, slug: str, request_id: Id, body: TextIn):
    """IT support answers; the answer also goes by e-mail when the request has an address."""
    support_request = _desk_request(request, slug, request_id)
    return Status(201, services.reply_by_mail(support_request, body.text, actor=actor(request)))
