"""Decisions by correspondence under Rule 3.2 (R27): ballots, their frozen electorate, and
the replies of the Council Member States, every one kept."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from plenary.consultations.models import AgendaItem, Consultation
from plenary.directory.models import State

from . import tally


class Ballot(models.Model):
    """A decision by correspondence. The secretariat prepares it as a draft; the presiding
    officer approves it, which launches it (the electorate is frozen then), or sends it back
    with a note. A draft may be changed or withdrawn until it is approved."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Pending the presiding officer's approval")
        RETURNED = "returned", _("Sent back by the presiding officer")
        WITHDRAWN = "withdrawn", _("Withdrawn before approval")
        OPEN = "open", pgettext_lazy("ballot status", "Open")
        CLOSED = "closed", _("Closed")

    class Rule(models.TextChoices):
        ELECTORATE = (
            tally.OF_ELECTORATE,
            _("More than half of the Council Member States having the right to vote"),
        )
        VOTES_CAST = tally.OF_VOTES_CAST, _("More votes in favour than against")
        REPLIES = tally.OF_REPLIES, _("More than half of the replies")

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="ballots")
    title = models.CharField(_("title"), max_length=300)
    question = models.TextField(_("question"))
    documents = models.CharField(_("documents"), max_length=500, blank=True)
    deadline = models.DateTimeField(_("deadline"))
    rule = models.CharField(
        _("majority rule"), max_length=20, choices=Rule.choices, default=Rule.ELECTORATE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # The secretariat member who prepared it (the launch is made at the approval).
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(default=timezone.now)
    # The presiding officer who approved it, signed in; empty until then.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    # The presiding officer's note when a draft is sent back to the secretariat.
    returned_note = models.TextField(_("note of the presiding officer"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = [models.F("launched_at").desc(nulls_first=True), "-pk"]
        verbose_name = _("decision by correspondence")
        verbose_name_plural = _("decisions by correspondence")

    def __str__(self):
        return self.title

    @property
    def is_draft(self) -> bool:
        """Not launched yet: pending approval or sent back (not withdrawn)."""
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @property
    def is_launched(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.CLOSED)


class Proposal(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="proposals")
    item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("proposal"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["ballot", "position"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")

    def __str__(self):
        return self.text[:80]


class Elector(models.Model):
    """A Council Member State in the electorate as frozen at launch, with its voting focal
    point; a state without the right to vote is listed with the reason and cannot vote."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="electors")
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+")
    has_vote = models.BooleanField(default=True)
    exclusion = models.CharField(_("reason for exclusion"), max_length=300, blank=True)
    focal_point = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["ballot", "state__iso2"]
        constraints = [models.UniqueConstraint(fields=["ballot", "state"], name="elector_once")]

    def __str__(self):
        return f"{self.ballot}: {self.state}"


class Reply(models.Model):
    """One reply of one state on one proposal. Changing a reply adds a row; only the newest
    is `current`, and a constraint keeps that to one per state and proposal."""

    class Choice(models.TextChoices):
        IN_FAVOUR = tally.IN_FAVOUR, _("In favour")
        AGAINST = tally.AGAINST, _("Against")
        ABSTAIN = tally.ABSTAIN, _("Abstain")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online, by the voting focal point")
        EMAIL = "email", _("By e-mail on the template, entered by the secretariat")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="replies")
    elector = models.ForeignKey(Elector, on_delete=models.PROTECT, related_name="replies")
    choice = models.CharField(_("reply"), max_length=10, choices=Choice.choices)
    current = models.BooleanField(default=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    evidence = models.FileField(upload_to="ballots/evidence/", blank=True)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cast_at = models.DateTimeField()
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["cast_at", "pk"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "elector"],
                condition=Q(current=True),
                name="one_current_reply_per_state",
            )
        ]

    def __str__(self):
        return f"{self.elector.state}: {self.choice}"
