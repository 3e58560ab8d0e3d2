from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatementsConfig(AppConfig):
    name = "plenary.statements"
    verbose_name = _("Statements for interpreters")
