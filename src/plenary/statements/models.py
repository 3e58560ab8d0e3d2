"""The text of a statement sent ahead to the interpreters of a meeting ("check against
delivery"): read by them and the secretariat only, withdrawn after the meeting.

The row stays after its withdrawal (who sent what, for which item, and when); the file goes.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaItem, Consultation
from plenary.planning.models import Meeting
from plenary.registration.models import Delegation, Participant


class Statement(models.Model):
    class FileType(models.TextChoices):
        DOCX = "docx", _("DOCX file")
        PDF = "pdf", _("PDF file")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="statements"
    )
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="statements")
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="statements")
    delegation = models.ForeignKey(Delegation, on_delete=models.PROTECT, related_name="+")
    speaker = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="statements")
    language = models.CharField(
        _("language of the statement"), max_length=10, choices=settings.LANGUAGES
    )
    file_type = models.CharField(_("file type"), max_length=4, choices=FileType.choices)
    pages = models.PositiveSmallIntegerField(_("pages"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    # The content's SHA-256: the same file sent twice for one speech is one statement.
    sha256 = models.CharField(max_length=64)
    file = models.FileField(_("file"), upload_to="statements/", blank=True)
    uploaded_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by_participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("statement for interpreters")
        verbose_name_plural = _("statements for interpreters")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "item", "speaker", "sha256"], name="statement_sent_once"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=False) | ~Q(file=""),
                name="statement_has_its_file_until_withdrawn",
            ),
        ]
        indexes = [models.Index(fields=["withdrawn_at", "meeting"], name="statement_to_withdraw")]

    def __str__(self):
        return f"{self.delegation} — {self.item} ({self.language})"
