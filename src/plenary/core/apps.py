from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default = True
    name = "plenary.core"
    label = "core"
    verbose_name = _("Core")


class PlenaryAdminConfig(AdminConfig):
    default_site = "plenary.core.admin_site.PlenaryAdminSite"
