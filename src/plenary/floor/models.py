"""The live meeting: its state, the requests for the floor and the speeches (R2, R12, R20, R21)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaItem, Consultation
from plenary.registration.models import Delegation, Participant

from .speaking import Clock, used


class Floor(models.Model):
    """The state of a consultation's live meeting. `version` grows by one with every change:
    clients compare it with the snapshot they hold."""

    consultation = models.OneToOneField(
        Consultation, on_delete=models.CASCADE, related_name="floor"
    )
    meeting = models.ForeignKey(
        "planning.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    list_open = models.BooleanField(_("list of speakers open"), default=True)
    speaking = models.ForeignKey(
        "FloorRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The speech a point of order interrupted: it resumes when the point of order ends.
    interrupted = models.ForeignKey(
        "FloorRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("live floor")
        verbose_name_plural = _("live floors")

    def __str__(self):
        return f"{self.consultation} (v{self.version})"


class FloorRequest(models.Model):
    class Kind(models.TextChoices):
        SPEAK = "speak", _("Take the floor")
        POINT_OF_ORDER = "point_of_order", _("Point of order")
        REPLY = "reply", _("Right of reply")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        SPEAKING = "speaking", _("Speaking")
        INTERRUPTED = "interrupted", _("Interrupted")
        DONE = "done", _("Spoke")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    floor = models.ForeignKey(Floor, on_delete=models.CASCADE, related_name="requests")
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="floor_requests")
    delegation = models.ForeignKey(Delegation, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="floor_requests"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SPEAK)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.WAITING)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A right of reply waits for the chair's grant before it is in line.
    granted = models.BooleanField(default=False)
    # The speech's clock (floor.speaking): allowed by the category's limit when given, the
    # chair's extensions, the seconds spoken in finished parts, the start of the part
    # under way.
    allowed_seconds = models.PositiveIntegerField(default=0)
    extra_seconds = models.PositiveIntegerField(default=0)
    used_seconds = models.FloatField(default=0.0)
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("request for the floor")
        verbose_name_plural = _("requests for the floor")
        constraints = [
            # A delegation has at most one waiting request of each kind per item.
            models.UniqueConstraint(
                fields=["item", "delegation", "kind"],
                condition=Q(status="waiting"),
                name="one_waiting_request_per_delegation_and_kind",
            ),
            # One speech at a time.
            models.UniqueConstraint(
                fields=["floor"], condition=Q(status="speaking"), name="one_speaker_at_a_time"
            ),
        ]

    def __str__(self):
        return f"{self.delegation} — {self.item} ({self.status})"

    @property
    def clock(self):
        return Clock(self.allowed_seconds, self.extra_seconds, self.used_seconds, self.resumed_at)

    def set_clock(self, clock) -> list[str]:
        """Store a speech's clock; the fields to save."""
        self.allowed_seconds = clock.allowed
        self.extra_seconds = clock.extra
        self.used_seconds = clock.used
        self.resumed_at = clock.since
        return ["allowed_seconds", "extra_seconds", "used_seconds", "resumed_at"]

    def seconds_spoken(self, now=None) -> float | None:
        """Seconds this speech had the floor (the time of a point of order that interrupted
        it not counted), the part under way up to `now`; None if it never had the floor.
        A speech recorded before speeches kept their own clock counts from its start to
        its end."""
        if self.started_at is None:
            return None
        if self.used_seconds or self.resumed_at is not None or self.ended_at is None:
            return used(self.clock, now or self.ended_at or timezone.now())
        return max((self.ended_at - self.started_at).total_seconds(), 0.0)
