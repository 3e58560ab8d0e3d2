"""The REST API, /api/v1/ (OpenAPI at /api/v1/openapi.json): every action of the pages, on
the same services and the same rules. One module per area of the letter; `base` holds
authentication, the permission check and the error shape. See docs/adr/006-api.md."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError

from plenary.core.errors import DomainError

from . import (
    agenda,
    auth_tokens,
    ballots,
    contributions,
    floor,
    membership,
    outcomes,
    people,
    planning,
    reads,
    registration,
    remote,
    setup,
    statements,
)

api = NinjaAPI(
    title="Plenary",
    version="1",
    urls_namespace="api",
    description=(
        "Every action of the web pages, with the same permissions. Authenticate with a "
        "personal token (`Authorization: Bearer plen_…`) or, from the browser, the session "
        "with its CSRF token. Errors are JSON `{detail, code}`, `detail` in the language of "
        "`Accept-Language`."
    ),
)


def _error(request, status: int, detail, code: str, details=None):
    body = {"detail": str(detail), "code": code}
    if details:
        body["details"] = details
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    # The status is the code's declared kind (core.errors): 403 for "not you", 429, or 400.
    return _error(request, exc.status, exc.user_message(), exc.code, exc.details)


@api.exception_handler(AuthenticationError)
def not_authenticated(request, exc):
    return _error(request, 401, _("Sign in or use an API token."), "not_authenticated")


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    codes = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 429: "too_many"}
    return _error(request, exc.status_code, exc.message, codes.get(exc.status_code, "error"))


@api.exception_handler(Http404)
@api.exception_handler(ObjectDoesNotExist)
def not_found(request, exc):
    return _error(request, 404, _("Not found."), "not_found")


@api.exception_handler(OverflowError)
def too_large_a_number(request, exc):
    # A number beyond what the database stores names no object.
    return _error(request, 404, _("Not found."), "not_found")


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, _("You may not do this."), "forbidden")


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    return _error(request, 400, " ".join(exc.messages), "invalid")


api.add_router("/", reads.router)
api.add_router("/", setup.router)
api.add_router("/tokens", auth_tokens.router)
api.add_router("/", membership.router)
api.add_router("/consultations", agenda.router)
api.add_router("/consultations", planning.router)
api.add_router("/consultations", registration.router)
api.add_router("/consultations", contributions.router)
api.add_router("/consultations", floor.router)
api.add_router("/consultations", outcomes.router)
api.add_router("/consultations", ballots.router)
api.add_router("/consultations", remote.router)
api.add_router("/consultations", people.router)
api.add_router("/consultations", statements.router)
