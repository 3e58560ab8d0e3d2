"""What the consultation produces per item: a proposed conclusion or a deferral (R1, R22,
R23, R26, R27). Nothing here is a decision: the consultation only proposes (R1)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaItem
from plenary.registration.models import Delegation, Participant


class ItemOutcome(models.Model):
    class State(models.TextChoices):
        NOT_DISCUSSED = "not_discussed", _("Not discussed")
        UNDER_DISCUSSION = "under_discussion", _("Under discussion")
        CONCLUSION_PROPOSED = "conclusion_proposed", _("Conclusion proposed")
        AGREED = "agreed", _("Agreed as proposed conclusion")
        DEFERRED = "deferred", _("Deferred to the next physical session")
        CORRESPONDENCE = "correspondence", _("Proposed for decision by correspondence")
        INFORMATION_NOTED = "information_noted", _("Information noted")

    FINAL = ("agreed", "deferred", "correspondence", "information_noted")

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="outcome")
    state = models.CharField(
        _("state"), max_length=30, choices=State.choices, default=State.NOT_DISCUSSED
    )
    recorded = models.BooleanField(_("outcome recorded"), default=False)
    reason = models.TextField(_("reason"), blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("item outcome")
        verbose_name_plural = _("item outcomes")

    def __str__(self):
        return f"{self.item}: {self.get_state_display()}"


class ProposedConclusion(models.Model):
    """The proposed conclusion of an item, in the languages it exists in; `original`
    names the language it was drafted in. `text` is translated (modeltranslation)."""

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="conclusion")
    text = models.TextField(_("proposed conclusion"))
    original = models.CharField(
        _("original language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    shown = models.BooleanField(_("shown on the live pages"), default=False)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("proposed conclusion")
        verbose_name_plural = _("proposed conclusions")

    def __str__(self):
        return f"{self.item}: {self.text[:60]}"


class Objection(models.Model):
    class Kind(models.TextChoices):
        DEFER_DOCUMENT = "defer_document", _("Wishes the document deferred")
        DEFER_CONCLUSION = "defer_conclusion", _("Wishes the conclusion deferred")
        SUSPEND = "suspend", _("Proposes to suspend the discussion")
        OBJECT = "object", _("Objects to the proposed conclusion")

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="objections")
    delegation = models.ForeignKey(Delegation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf = models.BooleanField(
        _("recorded by the secretariat on the delegation's behalf"), default=False
    )

    class EnteredBy(models.TextChoices):
        CHAIR = "chair", _("entered by the chair")
        SECRETARIAT = "secretariat", _("entered by the secretariat")
        SPEAKER = "speaker", _("entered by the delegation's speaker")

    # Who entered it: the delegation's own speaker, or on its behalf the presiding officer
    # or the secretariat (both may run the console; the label must say which).
    entered_by = models.CharField(
        _("entered by"), max_length=12, choices=EnteredBy.choices, default=EnteredBy.SPEAKER
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["recorded_at"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "delegation", "kind"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_objection",
            )
        ]

    def __str__(self):
        return f"{self.delegation}: {self.get_kind_display()}"
