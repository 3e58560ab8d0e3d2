"""Who exists: states and their membership, regions, Council terms and seats, the right to
vote, Sector Members and regional telecommunication organizations (R3, R27)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .names import state_name


class Region(models.Model):
    """An ITU administrative region, A to E. `name` is translated (modeltranslation)."""

    code = models.CharField(_("code"), max_length=1, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return f"{self.code} — {self.name}"


class State(models.Model):
    """A state in the directory: an ITU Member State, or an observer state (Palestine).

    Membership has dates: `joined_on` is empty where the shipped table records no date
    (a member since before any date a consultation uses), `left_on` is empty while a member.
    """

    class Status(models.TextChoices):
        MEMBER = "member", _("Member State")
        OBSERVER = "observer", _("Observer")

    iso2 = models.CharField(_("ISO 3166-1 alpha-2 code"), max_length=2, unique=True)
    iso3 = models.CharField(_("ISO 3166-1 alpha-3 code"), max_length=3, unique=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.MEMBER
    )
    status_basis = models.CharField(_("basis of status"), max_length=200, blank=True)
    joined_on = models.DateField(_("member since"), null=True, blank=True)
    left_on = models.DateField(_("member until"), null=True, blank=True)

    class Meta:
        ordering = ["iso2"]
        verbose_name = _("state")
        verbose_name_plural = _("states")
        constraints = [
            models.CheckConstraint(condition=Q(iso2__regex=r"^[A-Z]{2}$"), name="state_iso2_upper"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(left_on__gt=models.F("joined_on")),
                name="state_leaves_after_joining",
            ),
        ]

    def __str__(self):
        return state_name(self)

    def is_member_on(self, day) -> bool:
        return (
            self.status == self.Status.MEMBER
            and (self.joined_on is None or self.joined_on <= day)
            and (self.left_on is None or self.left_on > day)
        )


class OfficialName(models.Model):
    """The organisation's name for a state in one language, where it differs from CLDR's."""

    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="official_names")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["state__iso2", "language"]
        verbose_name = _("official name")
        verbose_name_plural = _("official names")
        constraints = [
            models.UniqueConstraint(
                fields=["state", "language"], name="one_official_name_per_language"
            )
        ]

    def __str__(self):
        return self.name


class CouncilTerm(models.Model):
    """The Council elected by one Plenipotentiary Conference, e.g. 2019–2022 (PP-18)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    seat_count = models.PositiveSmallIntegerField(_("seats on the Council"), default=48)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("Council term")
        verbose_name_plural = _("Council terms")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="term_ends_after_start"
            )
        ]

    def __str__(self):
        return self.name


class CouncilSeat(models.Model):
    term = models.ForeignKey(CouncilTerm, on_delete=models.CASCADE, related_name="seats")
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="council_seats")
    region = models.ForeignKey(Region, on_delete=models.PROTECT)

    class Meta:
        ordering = ["term", "region__code", "state__iso2"]
        verbose_name = _("Council seat")
        verbose_name_plural = _("Council seats")
        constraints = [
            models.UniqueConstraint(fields=["term", "state"], name="one_seat_per_state_per_term")
        ]

    def __str__(self):
        return f"{self.term}: {self.state}"


class VotingRightSuspension(models.Model):
    """A period in which a Member State has no vote (Constitution No. 169; Resolution 41).

    Arrears moved to a special arrears account do not suspend the vote while the repayment
    schedule is kept: record `schedule_kept` and the suspension does not apply.
    """

    class Reason(models.TextChoices):
        ARREARS = (
            "arrears",
            _(
                "Arrears equal to or above the contributions due for the two preceding years (CS No. 169)"
            ),
        )
        OTHER = "other", _("Other")

    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="vote_suspensions")
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(
        _("reason"), max_length=20, choices=Reason.choices, default=Reason.ARREARS
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    schedule_kept = models.BooleanField(_("special arrears account schedule kept"), default=False)

    class Meta:
        ordering = ["state__iso2", "-since"]
        verbose_name = _("loss of the right to vote")
        verbose_name_plural = _("losses of the right to vote")

    def __str__(self):
        return f"{self.state}: {self.get_reason_display()}"

    def applies_on(self, day) -> bool:
        return (
            not self.schedule_kept
            and self.since <= day
            and (self.until is None or self.until > day)
        )


class SectorMember(models.Model):
    class Sector(models.TextChoices):
        R = "R", _("Radiocommunication (ITU-R)")
        T = "T", _("Telecommunication Standardization (ITU-T)")
        D = "D", _("Telecommunication Development (ITU-D)")

    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("Sector"), max_length=1, choices=Sector.choices)
    state = models.ForeignKey(
        State, verbose_name=_("state"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["sector", "name"]
        verbose_name = _("Sector Member")
        verbose_name_plural = _("Sector Members")
        constraints = [
            models.UniqueConstraint(fields=["name", "sector"], name="sector_member_unique")
        ]

    def __str__(self):
        return f"{self.name} (ITU-{self.sector})"


class RegionalOrganization(models.Model):
    acronym = models.CharField(_("acronym"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["acronym"]
        verbose_name = _("regional telecommunication organization")
        verbose_name_plural = _("regional telecommunication organizations")

    def __str__(self):
        return f"{self.acronym} — {self.name}"
