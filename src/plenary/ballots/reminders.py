"""The reminder of a decision by correspondence: the voting focal points who have not yet
replied, reminded in their language. Below both `services` (which schedules it and offers
it to the pages and the API) and `tasks` (which runs it), so neither imports the other."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.core import audit
from plenary.core.mail import mail_in_language

from .models import Ballot, Reply
from .queries import deadline_offset


def remind(ballot_id: int) -> int:
    """Before the deadline, the voting focal points of states that have not replied to every
    proposal are reminded, in their language. Returns how many were reminded."""
    ballot = Ballot.objects.get(pk=ballot_id)
    if ballot.status != Ballot.Status.OPEN or timezone.now() > ballot.deadline:
        return 0
    proposals = ballot.proposals.count()
    reminded = 0
    for elector in ballot.electors.filter(has_vote=True, focal_point__isnull=False).select_related(
        "focal_point", "state"
    ):
        if Reply.objects.filter(elector=elector, current=True).count() >= proposals:
            continue
        user = elector.focal_point
        mail_in_language(
            to=user.email,
            language=user.language,
            subject=_("Reminder: %(title)s"),
            params={"title": ballot.title[:120]},
            template="ballots/email/reminder.txt",
            context={"ballot": ballot, "elector": elector, "offset": deadline_offset(ballot)},
        )
        reminded += 1
    audit.record("ballot.reminders_sent", target=ballot, data={"count": reminded})
    return reminded
