from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from plenary.outcomes.signals import item_concluded, shown_state_changed


class FloorConfig(AppConfig):
    name = "plenary.floor"
    label = "floor"
    verbose_name = _("Live floor")

    def ready(self):
        # live.py imports models, which may be imported only once the app registry is ready.
        from . import live, services

        shown_state_changed.connect(live.outcome_changed, dispatch_uid="floor.live.outcome")
        item_concluded.connect(services.close_concluded_item, dispatch_uid="floor.concluded")
