from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .health import health_report


@require_POST
def set_language(request):
    """Django's language switch, which also remembers the choice on the person's account."""
    code = request.POST.get("language", "")
    supported = {code for code, _name in settings.LANGUAGES}
    # The page we came from is resolved in its own language, so that its address can be
    # translated into the chosen one.
    came_from = translation.get_language_from_path(request.POST.get("next", ""))
    if came_from:
        translation.activate(came_from)
    if code not in supported:
        messages.warning(
            request,
            _("The language “%(code)s” is not available; the page is shown in English.")
            % {"code": code[:20]},
        )
        request.POST = request.POST.copy()
        request.POST["language"] = settings.LANGUAGE_CODE
    response = django_set_language(request)
    if request.user.is_authenticated and request.POST["language"] != request.user.language:
        request.user.language = request.POST["language"]
        request.user.save(update_fields=["language"])
    return response


@never_cache
def health(request):
    """The database, Redis and the worker, each "ok" or "down"; HTTP 503 when one is down."""
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
