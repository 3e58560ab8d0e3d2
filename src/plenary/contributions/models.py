"""Written contributions of Member States on Group 1 and 2 items (R15–R20)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaItem, Consultation, Document
from plenary.directory.models import State


class Contribution(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft (not submitted)")
        SUBMITTED = "submitted", _("Submitted")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        FORM = "form", _("Web form")
        DOCX = "docx", _("DOCX file")
        PDF = "pdf", _("PDF file")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="contributions"
    )
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="contributions")
    title = models.CharField(_("document title"), max_length=300)
    comments = models.TextField(_("comments on the document"), blank=True)
    way_forward = models.TextField(_("proposed way forward"), blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    source = models.CharField(
        _("submitted as"), max_length=10, choices=Source.choices, default=Source.FORM
    )
    file = models.FileField(_("file"), upload_to="contributions/", blank=True)
    pages = models.PositiveSmallIntegerField(_("pages"), default=1)
    pages_estimated = models.BooleanField(_("page count estimated"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    late = models.BooleanField(_("accepted after the deadline"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    number = models.PositiveIntegerField(_("VC number"), null=True, blank=True)
    revision = models.PositiveSmallIntegerField(_("revision"), default=0)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["consultation", "number", "created_at"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "number"],
                condition=Q(number__isnull=False),
                name="vc_number_unique",
            ),
            models.CheckConstraint(condition=Q(pages__gte=1), name="contribution_has_pages"),
        ]

    def __str__(self):
        return self.symbol or self.title

    @property
    def symbol(self) -> str:
        if self.number is None:
            return ""
        return f"{self.consultation.contribution_prefix}/{self.number}" + (
            f"(Rev.{self.revision})" if self.revision else ""
        )


class ContributionState(models.Model):
    """A Member State submitting the contribution: the first one, and each co-submitter
    once its focal point (or the secretariat on its behalf, as the focal point wrote) has
    confirmed before the contribution deadline (R19). A co-submitter that declines, or has
    not answered by the deadline, is not among the submitters of the published document."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="states")
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+")
    lead = models.BooleanField(default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf = models.BooleanField(_("recorded by the secretariat"), default=False)
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-lead", "state__iso2"]
        verbose_name = _("submitting Member State")
        verbose_name_plural = _("submitting Member States")
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "state"], name="state_once_per_contribution"
            ),
            models.UniqueConstraint(
                fields=["contribution"], condition=Q(lead=True), name="one_lead_state"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(declined_at__isnull=True),
                name="confirmed_or_declined",
            ),
        ]

    def __str__(self):
        return f"{self.contribution}: {self.state}"
