"""Personal API tokens (docs/adr/006-api.md): created, found by their hash, revoked.

A token is 256 random bits behind a fixed prefix; only its SHA-256 is stored, so the token
is shown once, to the person who created it.

In core, beside its model, because the administration and the `api_token` command use it
as well as the API."""

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.core import audit
from plenary.core.accounts import has_totp, requires_mfa
from plenary.core.errors import DomainError
from plenary.core.models import ApiToken

MAX_NAME = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return ApiToken.PREFIX + secrets.token_urlsafe(32)


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise DomainError(
            _("Give the token a name of at most %(n)s characters."),
            code="bad_name",
            params={"n": MAX_NAME},
        )
    return name


def create_user_token(
    user, *, name: str, expires_at: datetime | None = None, actor=None
) -> tuple[ApiToken, str]:
    """A token that acts as `user`. Checks, in order: the account is active; a role that
    requires a second factor has one (the API is no way around MFA); the name; the expiry
    is in the future. Returns the row and the token, which is not stored."""
    if not user.is_active:
        raise DomainError(_("This account is not active."), code="inactive")
    if requires_mfa(user) and not has_totp(user):
        raise DomainError(
            _("Your role requires a second sign-in factor. Set it up before creating a token."),
            code="mfa_required",
        )
    name = _check_name(name)
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(_("The expiry must be in the future."), code="bad_expiry")
    return _mint(
        {"name": name, "user": user, "expires_at": expires_at},
        actor=actor or user,
        data={"user": user.email, "name": name, "expires_at": expires_at},
    )


def create_participant_token(link, *, name: str) -> tuple[ApiToken, str]:
    """A token for a participant without an account, minted from their personal link (which
    `registration.services.resolve_link` has checked). It stops working with that link."""
    name = _check_name(name)
    return _mint(
        {"name": name, "link": link},
        actor=None,
        data={"participant": link.participant_id, "name": name},
    )


def _mint(fields: dict, *, actor, data: dict) -> tuple[ApiToken, str]:
    """The token row (only its hash stored) and its audit event, in one transaction; the
    token itself is returned to be shown once."""
    token = _new_token()
    with transaction.atomic():
        row = ApiToken.objects.create(
            **fields, token_hash=token_hash(token), hint=token[: len(ApiToken.PREFIX) + 4]
        )
        audit.record("api.token_created", actor=actor, target=row, data=data)
    return row, token


def revoke(row: ApiToken, *, actor=None) -> ApiToken:
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit.record("api.token_revoked", actor=actor, target=row, data={"name": row.name})
    return row


def find(token: str) -> ApiToken | None:
    """The token in force behind `token`, or None: unknown, revoked, expired, its account
    inactive, or its personal link replaced or its participant no longer approved."""
    if not token or not token.startswith(ApiToken.PREFIX) or len(token) > 100:
        return None
    row = (
        ApiToken.objects.select_related("user", "link__participant__consultation")
        .filter(token_hash=token_hash(token))
        .first()
    )
    now = timezone.now()
    if row is None or not row.in_force(now):
        return None
    if row.user_id is not None and not row.user.is_active:
        return None
    if row.link_id is not None and (
        row.link.revoked_at is not None
        or row.link.participant.status != row.link.participant.Status.APPROVED
    ):
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        # At most one write a minute per token: enough to see which tokens are in use.
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row
