"""A ballot launched after a state's voting focal point was appointed names them: the
ballots app freezes its electorate without knowing of this app, which sits above it."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from plenary.ballots.models import Elector

from . import services


@receiver(post_save, sender=Elector, dispatch_uid="people.name_on_new_ballot")
def _name_on_new_ballot(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        services.name_on_new_ballot(instance)
