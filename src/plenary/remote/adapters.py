"""The video platforms a consultation can run on, behind one small interface.

A platform turns "this person, in this role, for this meeting, until it ends" into what the
person needs to join: an address (external platforms) or signed tokens (LiveKit). Who may
have which role is decided before, in `services`; a platform only expresses it.

Rooms on LiveKit: each meeting has a floor room (the original sound and the video) and one
room per interpretation channel (`<floor>-<language>`). Speakers publish in the floor room;
an interpreter publishes in their booth's room only and listens to the floor (and to the
relay booth); everyone else subscribes."""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.core.errors import DomainError

SPEAKER, VIEWER, INTERPRETER = "speaker", "viewer", "interpreter"
FLOOR = "floor"  # the listening channel of the original sound


@dataclass(frozen=True)
class Grant:
    """One room a person may enter, and whether they may be heard there."""

    room: str
    can_publish: bool
    token: str = ""


@dataclass(frozen=True)
class Access:
    platform: str
    role: str
    url: str
    expires_at: datetime
    grants: tuple[Grant, ...] = field(default=())


@dataclass(frozen=True)
class Seat:
    """Who asks, for what: the input of every platform."""

    identity: str
    name: str
    role: str
    listening: str = FLOOR
    booth: str = ""
    relay: str = ""


def floor_room(meeting) -> str:
    return f"{meeting.consultation.slug}-{meeting.kind}-{meeting.number}"


def channel_room(meeting, language: str) -> str:
    return floor_room(meeting) if language == FLOOR else f"{floor_room(meeting)}-{language}"


def rooms_for(meeting, seat: Seat) -> tuple[Grant, ...]:
    """The rooms of a seat, without tokens: the platform-neutral part, tested on its own."""
    if seat.role == INTERPRETER:
        grants = [Grant(floor_room(meeting), False), Grant(channel_room(meeting, seat.booth), True)]
        if seat.relay:
            grants.append(Grant(channel_room(meeting, seat.relay), False))
        return tuple(grants)
    grants = [Grant(floor_room(meeting), seat.role == SPEAKER)]
    if seat.listening != FLOOR:
        grants.append(Grant(channel_room(meeting, seat.listening), False))
    return tuple(grants)


class ExternalPlatform:
    """Interprefy, Zoom, Webex…: the secretariat enters each role's address per meeting, and
    a person receives the address of their role only."""

    name = "external"

    def access(self, meeting, seat: Seat) -> Access:
        links = getattr(meeting, "links", None)
        url = ""
        if links is not None:
            url = {
                SPEAKER: links.speaker_url,
                VIEWER: links.viewer_url,
                INTERPRETER: links.interpreter_url,
            }[seat.role]
        if not url:
            raise DomainError(
                _(
                    "The secretariat has not yet given the address of this meeting. Try again later."
                ),
                code="no_address",
            )
        return Access(self.name, seat.role, url, meeting.ends_at)


class LiveKitPlatform:
    """A LiveKit server (open source, self-hosted): tokens signed with the server's key."""

    name = "livekit"

    def __init__(self, url: str = "", api_key: str = "", api_secret: str = ""):
        self.url = url or settings.PLENARY_LIVEKIT_URL
        self.api_key = api_key or settings.PLENARY_LIVEKIT_API_KEY
        self.api_secret = api_secret or settings.PLENARY_LIVEKIT_API_SECRET

    def access(self, meeting, seat: Seat) -> Access:
        from livekit.api import AccessToken, VideoGrants

        if not (self.url and self.api_key and self.api_secret):
            raise DomainError(
                _("The meeting platform is not configured yet. Please contact IT support."),
                code="platform_not_configured",
            )
        ttl = meeting.ends_at - timezone.now()
        grants = []
        for grant in rooms_for(meeting, seat):
            video = VideoGrants(
                room_join=True,
                room=grant.room,
                can_subscribe=True,
                can_publish=grant.can_publish,
                can_publish_data=seat.role == SPEAKER and grant.can_publish,
                # An interpreter is heard, never seen.
                can_publish_sources=["microphone"]
                if seat.role == INTERPRETER and grant.can_publish
                else None,
            )
            token = (
                AccessToken(self.api_key, self.api_secret)
                .with_identity(seat.identity)
                .with_name(seat.name)
                .with_ttl(ttl)
                .with_grants(video)
                .to_jwt()
            )
            grants.append(Grant(grant.room, grant.can_publish, token))
        return Access(self.name, seat.role, self.url, meeting.ends_at, tuple(grants))


PLATFORMS = {"external": ExternalPlatform, "livekit": LiveKitPlatform}


def platform_named(name: str):
    return PLATFORMS[name]()
