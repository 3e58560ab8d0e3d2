"""Replies of Member States on the items, pins, published plans and meetings (R8, R14, R24)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaItem, Consultation
from plenary.directory.models import State


class ItemReply(models.Model):
    """A Member State's answer, before the meeting, to "will you take the floor on this item?"."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="replies")
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+")
    will_speak = models.BooleanField(_("will take the floor"))
    minutes = models.PositiveSmallIntegerField(_("about how many minutes"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("reply on an item")
        verbose_name_plural = _("replies on items")
        constraints = [
            models.UniqueConstraint(fields=["item", "state"], name="one_reply_per_state_and_item"),
            models.CheckConstraint(
                condition=Q(minutes__isnull=True) | Q(minutes__lte=120),
                name="reply_minutes_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.state.iso2} — {self.item}"


class PlanPin(models.Model):
    """The secretariat's choice of day for an item (0 = the first meeting day)."""

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="pin")
    day_index = models.PositiveSmallIntegerField(_("day"))

    class Meta:
        verbose_name = _("pinned item")
        verbose_name_plural = _("pinned items")

    def __str__(self):
        return f"{self.item} → {self.day_index + 1}"


class ItemProgress(models.Model):
    """When an item actually started and ended during the meeting (for re-planning)."""

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="progress")
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Its outcome is recorded (outcomes.services.record_outcome): it is not started again
    # from the planning desk until the outcome is reopened.
    concluded = models.BooleanField(_("concluded"), default=False)

    class Meta:
        verbose_name = _("item progress")
        verbose_name_plural = _("item progress")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="progress_ends_after_start",
            )
        ]

    def __str__(self):
        return str(self.item)


class PlanVersion(models.Model):
    """A published time management plan. `slots` and `unscheduled` are frozen as published."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="plan_versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    slots = models.JSONField(default=list)
    unscheduled = models.JSONField(default=list)
    missing_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["consultation", "number"]
        verbose_name = _("published plan")
        verbose_name_plural = _("published plans")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "number"], name="plan_version_unique")
        ]

    def __str__(self):
        return f"{self.consultation} — {self.number}"


class Meeting(models.Model):
    """A daily meeting of the consultation, or its rehearsal (R14), with its own link."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        REHEARSAL = "rehearsal", _("Rehearsal")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="meetings"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("number"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    join_url = models.URLField(_("link to join"), blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "kind", "number"], name="meeting_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.consultation} — {self.get_kind_display()} {self.number}"
