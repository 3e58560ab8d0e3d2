"""Delegations, their focal points and participants, speakers and viewers under the
platform's capacity, extra-speaker requests and personal links (R3, R4, R9–R14).

Quotas hold under concurrency because they are counters guarded by check constraints:
a designation increments a counter in one UPDATE, and the database refuses the row that
would pass the limit, whatever the number of requests at the same moment.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaItem, Consultation
from plenary.directory.models import SectorMember, State


class Capacity(models.Model):
    """What the platform holds for one consultation (R10): used places against the limits."""

    consultation = models.OneToOneField(
        Consultation, on_delete=models.CASCADE, related_name="capacity"
    )
    speaker_limit = models.PositiveIntegerField()
    viewer_limit = models.PositiveIntegerField()
    speakers = models.PositiveIntegerField(default=0)
    viewers = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("capacity")
        verbose_name_plural = _("capacities")
        constraints = [
            models.CheckConstraint(
                condition=Q(speakers__lte=F("speaker_limit")), name="speakers_within_capacity"
            ),
            models.CheckConstraint(
                condition=Q(viewers__lte=F("viewer_limit")), name="viewers_within_capacity"
            ),
        ]

    def __str__(self):
        return f"{self.consultation}: {self.speakers}/{self.speaker_limit}, {self.viewers}/{self.viewer_limit}"


class Delegation(models.Model):
    class Category(models.TextChoices):
        COUNCIL = "council", _("Council Member State")
        OBSERVER = "observer", _("Observer Member State")
        PALESTINE = "palestine", _("State of Palestine (observer)")
        SECTOR_MEMBER = "sector_member", _("Sector Member")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="delegations"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    state = models.ForeignKey(
        State, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sector_member = models.ForeignKey(
        SectorMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    speaker_limit = models.PositiveSmallIntegerField(_("most speakers"))
    speakers = models.PositiveSmallIntegerField(_("speakers named"), default=0)

    class Meta:
        ordering = ["consultation", "category", "state__iso2", "sector_member__name"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(
                condition=Q(speakers__lte=F("speaker_limit")), name="delegation_speaker_quota"
            ),
            models.CheckConstraint(
                condition=(Q(state__isnull=False) & Q(sector_member__isnull=True))
                | (Q(state__isnull=True) & Q(sector_member__isnull=False)),
                name="delegation_of_a_state_or_a_sector_member",
            ),
            models.UniqueConstraint(
                fields=["consultation", "state"], name="one_delegation_per_state"
            ),
            models.UniqueConstraint(
                fields=["consultation", "sector_member"], name="one_delegation_per_sector_member"
            ),
        ]

    def __str__(self):
        if self.state_id:
            return str(self.state)
        return str(self.sector_member)

    @property
    def region(self):
        return self.state.region if self.state_id else None


class FocalPoint(models.Model):
    """A delegation's registration focal point: approves its registrations, names its speakers."""

    delegation = models.ForeignKey(
        Delegation, on_delete=models.CASCADE, related_name="focal_points"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="focal_point_of"
    )

    class Meta:
        verbose_name = _("focal point")
        verbose_name_plural = _("focal points")
        constraints = [
            models.UniqueConstraint(fields=["delegation", "user"], name="focal_point_once")
        ]

    def __str__(self):
        return f"{self.user} — {self.delegation}"


class Participant(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Role(models.TextChoices):
        SPEAKER = "speaker", _("Speaker")
        VIEWER = "viewer", _("Viewer")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="participants"
    )
    delegation = models.ForeignKey(
        Delegation, on_delete=models.PROTECT, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participations",
    )
    email = models.EmailField(_("e-mail address"))
    name = models.CharField(_("name"), max_length=200)
    function = models.CharField(_("function"), max_length=200, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["delegation", "name"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "email"], name="register_once_per_consultation"
            ),
            models.CheckConstraint(
                condition=Q(role="viewer") | Q(status="approved"),
                name="only_approved_participants_speak",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.delegation})"

    @property
    def is_speaker(self) -> bool:
        return self.status == self.Status.APPROVED and self.role == self.Role.SPEAKER


class ExtraSpeakerRequest(models.Model):
    """One more speaker for one meeting or one agenda item (R12), granted or refused by the
    secretariat depending on capacity."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    delegation = models.ForeignKey(
        Delegation, on_delete=models.CASCADE, related_name="extra_speaker_requests"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="extra_speaker_requests"
    )
    meeting = models.ForeignKey(
        "planning.Meeting", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("extra speaker request")
        verbose_name_plural = _("extra speaker requests")
        constraints = [
            models.CheckConstraint(
                condition=(Q(meeting__isnull=False) & Q(item__isnull=True))
                | (Q(meeting__isnull=True) & Q(item__isnull=False)),
                name="extra_speaker_for_a_meeting_or_an_item",
            )
        ]

    def __str__(self):
        return f"{self.delegation}: {self.participant} ({self.get_status_display()})"


class AccessLink(models.Model):
    """A personal link to the meetings and the rehearsal. Only the SHA-256 of its token is
    stored; the token itself exists once, in the e-mail to its holder."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="links")
    role = models.CharField(_("role"), max_length=10, choices=Participant.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    first_used_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("personal link")
        verbose_name_plural = _("personal links")
        constraints = [
            # One link in force per participant.
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_link_per_participant",
            )
        ]

    def __str__(self):
        return f"{self.participant} ({self.role})"


class ParticipationGuide(models.Model):
    """The participation guide in one language, as the secretariat wrote it (R13). With none
    saved, the default text of the language is sent (registration.services.default_guide).
    Its {placeholders} are filled for each person: their name, role and personal link."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="guides")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("participation guide")
        verbose_name_plural = _("participation guides")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "language"], name="one_guide_per_language"
            )
        ]

    def __str__(self):
        return f"{self.consultation} ({self.language})"
