from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "plenary.people"
    label = "people"
    verbose_name = _("People of a consultation")

    def ready(self):
        # A ballot launched after a voting focal point accepted names them for their state:
        # the receiver is connected once the models are loaded.
        from . import signals  # noqa: F401
