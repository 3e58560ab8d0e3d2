"""Personal API tokens: created from the browser session (after the second factor where the
role needs one), listed, revoked; and a participant's token, minted from their personal link."""

import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from plenary.core import ratelimit, tokens
from plenary.core.models import ApiToken
from plenary.registration import services as registration

from .base import AUTH, SESSION_ONLY, Id, actor, get_or_404, responses

router = Router(tags=["tokens"])


class TokenIn(Schema):
    name: str
    expires_at: datetime.datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None
    expires_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class NewTokenOut(TokenOut):
    token: str


class ParticipantTokenIn(Schema):
    link: str
    name: str = "participant"


def _new(row, token) -> dict:
    return {**TokenOut.from_orm(row).dict(), "token": token}


def _user(request):
    user = actor(request)
    if user is None:
        raise HttpError(403, _("Only a signed-in account has personal tokens."))
    return user


@router.post("", response=responses(NewTokenOut, 201), auth=SESSION_ONLY)
def create_token(request, body: TokenIn):
    """Create a token for the signed-in account. The token is in this answer only."""
    row, token = tokens.create_user_token(
        _user(request), name=body.name, expires_at=body.expires_at
    )
    return Status(201, _new(row, token))


@router.get("", response=responses(list[TokenOut]), auth=AUTH)
def list_tokens(request):
    return list(ApiToken.objects.filter(user=_user(request)))


@router.post("/{token_id}/revoke", response=responses(TokenOut), auth=AUTH)
def revoke_token(request, token_id: Id):
    row = get_or_404(ApiToken.objects, pk=token_id, user=_user(request))
    return tokens.revoke(row, actor=request.user)


@router.post("/participant", response=responses(NewTokenOut, 201), auth=None)
def create_participant_token(request, body: ParticipantTokenIn):
    """Exchange a personal link (the whole address or its last part) for a token of that
    participant, as opening the link gives a session. Rate-limited like the link."""
    if not ratelimit.allow("join", ratelimit.client_address(request)):
        raise HttpError(429, _("Too many attempts. Please wait a minute and try again."))
    link = registration.resolve_link(body.link.rstrip("/").rsplit("/", 1)[-1])
    row, token = tokens.create_participant_token(link, name=body.name)
    return Status(201, _new(row, token))
