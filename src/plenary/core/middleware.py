import re

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .accounts import has_totp, requires_mfa
from .errors import DomainError, Kind

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
