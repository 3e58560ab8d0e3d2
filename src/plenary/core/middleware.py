import logging
import re

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.signals import got_request_exception
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import uploads
from .accounts import has_totp, requires_mfa
from .errors import DomainError, Kind

log = logging.getLogger("django.request")

_PREFIX = re.compile(r"^/(?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)(?P<rest>/.*)?$")
# First path segments that are ours and not languages.
_NOT_LANGUAGES = {"api", "ws", "static", "media", "admin", "i18n", "health"}


class UnknownLanguageMiddleware:
    """`/de/agenda/` has no German page: send the reader to the English one and say so."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        match = _PREFIX.match(request.path_info)
        if match:
            code = match["code"].lower().replace("_", "-")
            if code not in self.supported and code not in _NOT_LANGUAGES and _is_language(code):
                target = f"/{settings.LANGUAGE_CODE}{match['rest'] or '/'}"
                return HttpResponseRedirect(f"{target}?unsupported_language={code}")
        return self.get_response(request)


def _is_language(code: str) -> bool:
    try:
        Locale.parse(code, sep="-")
    except (ValueError, UnknownLocaleError):
        return False
    return True


class RequireMFAMiddleware:
    """Secretariat staff set up a second factor before anything else (allauth MFA, TOTP)."""

    _open_prefixes = ("/static/", "/i18n/", "/health")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path_info.startswith(self._open_prefixes)
            and "/accounts/" not in request.path_info
            and requires_mfa(user)
            and not has_totp(user)
        ):
            messages.warning(
                request,
                _(
                    "Your role requires a second sign-in factor. Please set up an authenticator app first."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class DomainErrorMiddleware:
    """A refusal answers the status of its code's kind (core.errors.REFUSALS), like the API.
    An action refused as "not now, or not this way" (400) goes back to the page it came from,
    with the reason shown, so that the person can correct it; any other refusal — not you
    (403), not found (404), not so often (429) — is a page of its own with that status,
    since sending the same form again cannot succeed. Without a page to go back to, every
    refusal is that page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        referer = request.headers.get("referer", "")
        if not url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            referer = ""
        if request.method == "POST" and referer and exception.kind is Kind.INVALID:
            messages.error(request, exception.user_message())
            return HttpResponseRedirect(referer)
        return render(
            request,
            "core/refused.html",
            {"message": exception.user_message(), "home": reverse("home"), "back": referer},
            status=exception.status,
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _form_refusal(exception) -> tuple[str, str, int] | None:
    """What to tell a person whose form Django could not read: message, code, status."""
    if isinstance(exception, RequestDataTooBig):
        return (
            _("The form is larger than %(mb)s MB. Shorten it and send it again.")
            % {"mb": _megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)},
            "too_large",
            413,
        )
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        return _("The form has too many fields or files."), "too_many_fields", 400
    if isinstance(exception, MultiPartParserError):
        return _("The form could not be read; send it again."), "bad_form", 400
    return None


class FormErrorMiddleware:
    """A form Django cannot read (a broken multipart body, too many fields, too much text)
    is answered with what happened, on a page or as the API's JSON error, instead of a bare
    "Bad Request" or a server error. Django reads the form when something first asks for
    it: here for the views CSRF protects (before CsrfViewMiddleware, which reads it), and
    for the others (the API, the contribution upload) when their view does.

    It also lets a file's part carry a long name (core.uploads.allow_long_file_names)."""

    def __init__(self, get_response):
        self.get_response = get_response
        uploads.allow_long_file_names()

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        if request.method != "POST" or getattr(view, "csrf_exempt", False):
            return None
        try:
            request.POST  # noqa: B018 (reads the form, as CsrfViewMiddleware would)
        except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as e:
            return self.process_exception(request, e)
        return None

    def process_exception(self, request, exception):
        refusal = _form_refusal(exception)
        if refusal is None:
            return None
        message, code, status = refusal
        log.warning("Form not read (%s): %s", exception, request.path)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message, "code": code}, status=status)
        return render(
            request,
            "core/refused.html",
            {"message": message, "home": reverse("home")},
            status=status,
        )


# Errors Django answers with their own status (404, 403, 400), not as a server error.
_ANSWERED_BY_DJANGO = (
    Http404,
    PermissionDenied,
    BadRequest,
    SuspiciousOperation,
    MultiPartParserError,
)


class ApiServerErrorMiddleware:
    """An unexpected error of an API endpoint is answered as the API's JSON error, without
    its traceback (the error page of the pages is templates/500.html). With DEBUG on (the
    demo), Django's own page is left to show it. First in MIDDLEWARE, so that it is asked
    last."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if (
            settings.DEBUG
            or not request.path_info.startswith("/api/")
            or isinstance(exception, _ANSWERED_BY_DJANGO)
        ):
            return None
        # As Django does for an error it answers itself (the test client re-raises it).
        got_request_exception.send(sender=self.__class__, request=request)
        log.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=(type(exception), exception, exception.__traceback__),
            extra={"status_code": 500, "request": request},
        )
        message = _(
            "The server could not complete your request. Please try again in a moment; "
            "if it happens again, contact IT support."
        )
        return JsonResponse({"detail": message, "code": "server_error"}, status=500)
