"""Loading the consultation of a view and checking a rule for it, in one place."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Consultation


def consultation_permission(permission: str | None):
    """View decorator: `slug` becomes `consultation`; a visitor who may not is sent to the
    login page (not signed in) or refused (signed in)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, slug, *args, **kwargs):
            try:
                consultation = Consultation.objects.select_related("council_term").get(slug=slug)
            except Consultation.DoesNotExist:
                raise Http404 from None
            if permission and not request.user.has_perm(permission, consultation):
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                raise PermissionDenied
            return view(request, consultation, *args, **kwargs)

        return wrapper

    return decorator
