"""Limits on a request's body, applied before Django reads it.

Django's ASGI handler reads the whole body (to memory, then a temporary file) before any
middleware or view runs, so a limit applied there comes too late: a 2 GB upload would be
received before it is refused. `BodyLimitMiddleware` wraps the Django application (not the
WebSocket routes) and decides from the request's line and headers alone:

- a request that needs a credential and has none is refused before its body is read: an API
  endpoint that takes no anonymous caller (401), or an upload page for a visitor who is not
  signed in (to the sign-in page, as the page itself would);
- a body larger than its limit is refused from its Content-Length (413), and a body sent
  without one (chunked) as soon as the count passes the limit: no byte beyond it is read.

The limits are settings: PLENARY_MAX_UPLOAD_BODY_BYTES for the addresses that take a file
(the pages named in UPLOAD_PAGES, and the API endpoints with a file parameter), and
PLENARY_MAX_BODY_BYTES for everything else. The answer is in the reader's language (the
address's prefix, then the language cookie, then Accept-Language) and in the shape of the
address: a page, or the API's JSON error `{"detail": …, "code": …}`."""

import io
from dataclasses import dataclass
from functools import lru_cache

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParser
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from ninja.operation import PathView
from ninja.params.models import FileModel
from ninja.security.base import AuthBase

from . import tokens

# The pages that take a file; each is for signed-in accounts only.
UPLOAD_PAGES = frozenset(
    {
        "contribution_upload",
        "agenda_import",
        "agenda_document_attach",
        "ballot_manage",
        "council_terms",
        "council_term",
        "people_import",
    }
)

MB = 1024 * 1024


@dataclass(frozen=True)
class Route:
    """What the address of a request asks of its body."""

    api: bool = False
    upload: bool = False
    # "account": a signed-in account (an upload page); "credential": a token or a session
    # (an API endpoint without anonymous callers); None: anyone may send a body.
    needs: str | None = None

    @property
    def limit(self) -> int:
        if self.upload:
            return settings.PLENARY_MAX_UPLOAD_BODY_BYTES
        return settings.PLENARY_MAX_BODY_BYTES


def route_of(path: str, method: str) -> Route:
    api = path.startswith("/api/")
    try:
        match = resolve(path)
    except Resolver404:
        return Route(api=api)
    if match.url_name in UPLOAD_PAGES:
        return Route(upload=True, needs="account" if method == "POST" else None)
    operation = _api_operation(match.func, method)
    if operation is None:
        return Route(api=api)
    upload = _takes_files(operation)
    callbacks = operation.auth_callbacks
    # An endpoint open to anyone has a callback that is no authentication (remote.Anyone).
    closed = bool(callbacks) and all(isinstance(callback, AuthBase) for callback in callbacks)
    return Route(api=True, upload=upload, needs="credential" if closed else None)


def _takes_files(operation) -> bool:
    """A File parameter, or a multipart body the endpoint reads itself (request.FILES, its
    body documented in openapi_extra)."""
    if any(issubclass(model, FileModel) for model in operation.models):
        return True
    body = (getattr(operation, "openapi_extra", None) or {}).get("requestBody", {})
    return "multipart/form-data" in body.get("content", {})


def _api_operation(view, method: str):
    """The django-ninja operation behind a resolved view, or None for another view."""
    path_view = _path_view(view)
    if path_view is None:
        return None
    for operation in path_view.operations:
        if method in operation.methods:
            return operation
    return None


@lru_cache(maxsize=512)
def _path_view(view):
    # django-ninja's view is a closure over its PathView (ninja.operation.PathView.get_view);
    # tests/core/test_form_errors.py checks that the upload endpoints are found.
    for cell in getattr(view, "__closure__", None) or ():
        if isinstance(cell.cell_contents, PathView):
            return cell.cell_contents
    return None


def _head(scope) -> ASGIRequest:
    """The request as Django sees it, without its body (nothing of it is read)."""
    return ASGIRequest(scope, io.BytesIO())


def _declared_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def _has_body(scope, request) -> bool:
    chunked = any(
        name == b"transfer-encoding" and b"chunked" in value.lower()
        for name, value in scope.get("headers", ())
    )
    return chunked or bool(_declared_length(request))


def _session(request):
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    session = engine(key)
    # An unknown or expired key loads as an empty session.
    return session if session.load() else None


def _signed_in(request) -> bool:
    """A session of a signed-in account (what AuthenticationMiddleware will find)."""
    request.session = _session(request)
    if request.session is None:
        return False
    return auth.get_user(request).is_authenticated


def _credential(request) -> bool:
    """A token in force, or a session that holds something (an account, a participant's
    link, help requests): the endpoint's own authentication decides the rest."""
    header = request.headers.get("authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and tokens.find(token.strip()) is not None:
        return True
    return _session(request) is not None


def _language(request) -> str:
    return translation.get_language_from_request(request, check_path=True)


def _mb(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


def _too_large(request, route: Route) -> HttpResponse:
    if route.upload:
        largest = min(settings.PLENARY_MAX_UPLOAD_FILE_BYTES, route.limit)
        message = _("The file is larger than %(mb)s MB.") % {"mb": _mb(largest)}
    else:
        message = _("What you sent is larger than %(mb)s MB. Shorten it and send it again.") % {
            "mb": _mb(route.limit)
        }
    return _refusal(request, route, message, "too_large", 413)


def _refusal(request, route: Route, message: str, code: str, status: int) -> HttpResponse:
    if route.api:
        return JsonResponse({"detail": message, "code": code}, status=status)
    home = f"/{translation.get_language()}/"
    back = _same_site_referer(request) or home
    return HttpResponse(
        render_to_string(
            "core/limit.html",
            {
                "message": message,
                "back": back,
                "from_form": back != home,
                "LANGUAGE_CODE": translation.get_language(),
            },
        ),
        status=status,
    )


def _same_site_referer(request) -> str | None:
    referer = request.headers.get("referer", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={host}) else None


async def _refuse_before_reading(request, route: Route) -> HttpResponse | None:
    """The answer to give without reading the body, or None to let the request in."""
    if route.needs == "credential" and not await database_sync_to_async(_credential)(request):
        return _refusal(request, route, _("Sign in or use an API token."), "not_authenticated", 401)
    if route.needs == "account" and not await database_sync_to_async(_signed_in)(request):
        return redirect_to_login(request.get_full_path())
    declared = _declared_length(request)
    if declared is not None and declared > route.limit:
        return _too_large(request, route)
    if not _readable_form(request):
        message = _("The form could not be read; send it again.")
        return _refusal(request, route, message, "bad_form", 400)
    return None


def _readable_form(request) -> bool:
    """False for a multipart body whose boundary Django would refuse (missing, or not one
    a browser sends): such a form cannot be read, whatever its body."""
    if request.content_type != "multipart/form-data":
        return True
    boundary = request.content_params.get("boundary")
    return bool(boundary) and MultiPartParser.boundary_re.fullmatch(boundary) is not None


def _secured(request, response: HttpResponse) -> HttpResponse:
    """The headers SecurityMiddleware and its neighbours would have added."""
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'self'"
    response["Cache-Control"] = "no-store"
    if getattr(settings, "SECURE_HSTS_SECONDS", 0) and request.is_secure():
        response["Strict-Transport-Security"] = f"max-age={settings.SECURE_HSTS_SECONDS}"
    return response


async def send_response(send, response: HttpResponse) -> None:
    """A whole response over ASGI; the connection is then closed (the body is unread)."""
    response["Connection"] = "close"
    response["Content-Length"] = str(len(response.content))
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()
    ]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content})


class BodyLimitMiddleware:
    """ASGI middleware around the Django application; see the module's description."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = _head(scope)
        if not _has_body(scope, request):
            return await self.app(scope, receive, send)
        # The address is resolved in its own language (i18n_patterns match the active one).
        with translation.override(_language(request)):
            route = route_of(request.path_info, request.method)
            refusal = await _refuse_before_reading(request, route)
        if refusal is not None:
            return await send_response(send, _secured(request, refusal))
        await self._counted(scope, receive, send, request, route)

    async def _counted(self, scope, receive, send, request, route: Route):
        """The application, with a body that stops at the limit (a chunked body has no
        Content-Length to refuse it by)."""
        state = {"received": 0, "over": False, "started": False}

        async def limited_receive():
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > route.limit:
                    # The application sees the client go; Django stops reading and answers
                    # nothing, so the refusal is sent below.
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message):
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        await self.app(scope, limited_receive, tracked_send)
        if state["over"] and not state["started"]:
            with translation.override(_language(request)):
                response = _too_large(request, route)
            await send_response(send, _secured(request, response))
