"""Invitations to staff a consultation (focal points, voting focal points and the other
roles), and the standing voting focal point of a state for the consultation's ballots.

An invitation stores only the SHA-256 of its token: the token is in the mail and nowhere
else, so a copy of the database opens no invitation."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import Appointment, Consultation
from plenary.directory.models import SectorMember, State


class Invitation(models.Model):
    class Role(models.TextChoices):
        FOCAL_POINT = Appointment.Role.FOCAL_POINT.value, Appointment.Role.FOCAL_POINT.label
        VOTING_FOCAL_POINT = "voting_focal_point", _("Voting focal point")
        DELEGATE = Appointment.Role.DELEGATE.value, Appointment.Role.DELEGATE.label
        IT_SUPPORT = Appointment.Role.IT_SUPPORT.value, Appointment.Role.IT_SUPPORT.label
        INTERPRETER = Appointment.Role.INTERPRETER.value, Appointment.Role.INTERPRETER.label
        PRESIDING_OFFICER = (
            Appointment.Role.PRESIDING_OFFICER.value,
            Appointment.Role.PRESIDING_OFFICER.label,
        )

    class Status(models.TextChoices):
        PENDING = "pending", _("Invited")
        EXPIRED = "expired", _("Expired")
        ACCEPTED = "accepted", _("Accepted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    state = models.ForeignKey(State, null=True, blank=True, on_delete=models.PROTECT)
    sector_member = models.ForeignKey(
        SectorMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("last sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["consultation", "-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["consultation", "email", "role"])]

    def __str__(self):
        return f"{self.email} — {self.get_role_display()}"

    def status_at(self, now=None) -> str:
        if self.withdrawn_at is not None:
            return self.Status.WITHDRAWN
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.expires_at <= (now or timezone.now()):
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> str:
        return self.status_at()

    def get_status_display(self) -> str:
        return self.Status(self.status).label

    @property
    def delegation_label(self) -> str:
        return str(self.state or self.sector_member or "")


class VotingFocalPoint(models.Model):
    """The person who replies for a Council Member State to every decision by
    correspondence of the consultation: named on each open ballot when appointed, and on
    each ballot launched later (people.signals)."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="voting_focal_points"
    )
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voting_focal_point_of"
    )
    appointed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["consultation", "state__iso2"]
        verbose_name = _("voting focal point")
        verbose_name_plural = _("voting focal points")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "state"], name="one_voting_focal_point_per_state"
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.state}"
