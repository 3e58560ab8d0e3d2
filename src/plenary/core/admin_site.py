from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class PlenaryAdminSite(admin.AdminSite):
    site_header = _("Plenary administration")
    site_title = _("Plenary administration")

    def has_permission(self, request):
        return request.user.is_active and request.user.has_perm("core.use_admin")

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            # Signed in, but not secretariat: no way round by signing in again.
            raise PermissionDenied(_("The administration is for the secretariat."))
        return redirect_to_login(
            request.GET.get("next", reverse("admin:index")), reverse("account_login")
        )
