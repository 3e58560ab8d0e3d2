from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class PlenaryAdminSite(admin.AdminSite):
    site_header = _("Plenary administration")
    site_title = _("Plenary administration")

    def has_permission(self, request):
        return request.user.is_active and request.user.has_perm("core.use_admin")

    def login(self, request, extra_context=None):
        return redirect_to_login(request.GET.get("next", reverse("admin:index")), reverse("account_login"))
