"""What every endpoint shares: who is asking (token or session), the consultation and the
permission check the page makes, and errors as JSON in the reader's language.

An endpoint is written as:

    @router.post("/{slug}/plan/publish", response=responses(PlanVersionOut), auth=AUTH)
    def publish_plan(request, slug: str, body: PublishIn):
        consultation = consultation_for(request, slug, "planning.manage_plan")
        return services.publish_plan(consultation, actor=actor(request), reason=body.reason)

— the same rule (`rules` permission) and the same service function as the web view."""

from typing import Annotated

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from plenary.consultations.models import Consultation
from plenary.core import tokens
from plenary.core.accounts import has_totp, requires_mfa
from plenary.registration.models import Participant
from plenary.registration.session import SESSION_KEY, participant_of

# An id as the database holds it: a larger number is no object, not a server error.
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]


class ErrorOut(Schema):
    detail: str
    code: str = "error"
    # The fields at fault ({field: [messages]}) or what stands in the way ([messages]).
    details: dict[str, list[str]] | list[str] | None = None


class ValidationErrorOut(Schema):
    detail: list[dict]


def responses(ok, status: int = 200) -> dict:
    """The answers an endpoint documents: its success, and every error it may give."""
    return {
        status: ok,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
    }


class TokenAuth(HttpBearer):
    """`Authorization: Bearer plen_…`: a personal token of an account or of a participant."""

    def authenticate(self, request, token):
        row = tokens.find(token)
        if row is None:
            return None
        if row.user_id is not None:
            user = row.user
            if requires_mfa(user) and not has_totp(user):
                # A token made before the rule, or before the role: refused until the
                # account has its second factor again.
                raise HttpError(
                    403,
                    _(
                        "Your role requires a second sign-in factor. Please set up an authenticator app first."
                    ),
                )
            request.user = user
            request.api_participant = None
        else:
            request.user = AnonymousUser()
            request.api_participant = row.link.participant
        return row


class SessionAuth(APIKeyCookie):
    """The browser's session (signed in, or opened from a personal link), with CSRF on
    writes. Without a session cookie there is nothing to check."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        request.api_participant = None
        if request.user.is_authenticated:
            return request.user
        if key and request.session.get(SESSION_KEY):
            return "participant-session"
        return None


AUTH = [TokenAuth(), SessionAuth()]
# Token management needs the browser session (with its second factor), so that a leaked
# token cannot mint others.
SESSION_ONLY = [SessionAuth()]


def actor(request):
    """The account acting, or None for a participant without one."""
    return request.user if request.user.is_authenticated else None


def _refuse(request):
    if request.user.is_authenticated or getattr(request, "api_participant", None):
        raise HttpError(403, _("You may not do this."))
    raise HttpError(401, _("Sign in or use an API token."))


def consultation_for(request, slug: str, permission: str | None = None) -> Consultation:
    """The consultation, after the permission check its page makes (consultations.access)."""
    consultation = Consultation.objects.select_related("council_term").filter(slug=slug).first()
    if consultation is None:
        raise Http404
    if permission and not request.user.has_perm(permission, consultation):
        _refuse(request)
    return consultation


def participant_for(request, consultation) -> Participant:
    """The approved participant asking (registration.session.participant_of: a participant
    token, or as the page finds them); anyone else is refused."""
    participant = participant_of(request, consultation)
    if participant is None:
        _refuse(request)
    return participant


def get_or_404(queryset, **lookup):
    found = queryset.filter(**lookup).first()
    if found is None:
        raise Http404
    return found
