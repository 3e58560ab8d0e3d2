"""A consultation with every number of its letter as a setting, and its agenda (R1, R2,
R5–R7, R9, R10, R14, R18, R24)."""

import re
from datetime import date, time, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from plenary.core import timezones
from plenary.directory.models import CouncilTerm, SectorMember, State


def all_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


def queue_classes_default() -> list[list[str]]:
    """Council Member States first (R21); then observer Member States and the State of
    Palestine; then Sector Members."""
    return [["council"], ["observer", "palestine"], ["sector_member"]]


def once_per_item_default() -> list[str]:
    return ["observer", "palestine", "sector_member"]


class Consultation(models.Model):
    """One virtual consultation. Defaults are the values of VCC-2 (letter DM-20/1013)."""

    slug = models.SlugField(_("short name in addresses"), unique=True)
    acronym = models.CharField(_("acronym"), max_length=30)
    title = models.CharField(_("title"), max_length=300)  # translated
    body = models.CharField(_("body"), max_length=200, default="ITU Council")  # translated
    letter_reference = models.CharField(_("letter reference"), max_length=50, blank=True)
    letter_date = models.DateField(_("letter date"), null=True, blank=True)
    legal_basis = models.CharField(  # translated
        _("legal basis"),
        max_length=300,
        default="Rule 3.1 of the Rules of Procedure of the Council",
    )
    presiding_officer = models.CharField(_("presiding officer"), max_length=200, blank=True)
    presiding_officer_title = models.CharField(  # translated
        _("presiding officer's title"), max_length=200, blank=True
    )
    council_term = models.ForeignKey(
        CouncilTerm, verbose_name=_("Council term"), on_delete=models.PROTECT
    )

    # R24: daily window, start, maximum length.
    starts_on = models.DateField(_("first day"), default=date(2020, 11, 16))
    max_days = models.PositiveSmallIntegerField(
        _("maximum number of meeting days"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    meeting_weekdays = models.JSONField(_("weekdays with meetings (0 = Monday)"), default=weekdays)
    daily_start = models.TimeField(_("daily start"), default=time(12, 0))
    daily_end = models.TimeField(_("daily end"), default=time(15, 0))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Zurich")
    time_zone_label = models.CharField(  # translated
        _("name of the time zone"), max_length=60, default="Geneva time"
    )

    # R9, R10, R11, R12, R14.
    registration_opens_on = models.DateField(_("registration opens"), default=date(2020, 10, 15))
    speakers_per_delegation_min = models.PositiveSmallIntegerField(
        _("fewest speakers per delegation"), default=1
    )
    speakers_per_delegation_max = models.PositiveSmallIntegerField(
        _("most speakers per delegation"), default=3
    )
    extra_speakers_per_request = models.PositiveSmallIntegerField(
        _("additional speakers per request"), default=1
    )
    # R11: the focal point of a delegation with fewer speakers than the fewest is reminded
    # this many days before the first meeting. VCC-2: a week, so that the speakers named
    # then can test their link at the rehearsal (10 November, six days before).
    speaker_reminder_days = models.PositiveSmallIntegerField(
        _("reminder to name speakers, days before the first meeting"),
        default=7,
        help_text=_(
            "The focal point of a delegation with fewer speakers than the fewest is reminded "
            "by e-mail, once."
        ),
    )
    speaker_capacity = models.PositiveIntegerField(_("speaker capacity"), default=300)
    viewer_capacity = models.PositiveIntegerField(_("viewer capacity"), default=2000)
    rehearsal_on = models.DateField(
        _("rehearsal"), null=True, blank=True, default=date(2020, 11, 10)
    )

    # R15–R18.
    contribution_days_before = models.PositiveSmallIntegerField(
        _("contribution deadline, days before the first day"), default=14
    )
    contribution_deadline_time = models.TimeField(
        _("contribution deadline, time of day"),
        null=True,
        blank=True,
        help_text=_("Empty: the end of the day (24:00)."),
    )
    contribution_max_pages = models.PositiveSmallIntegerField(
        _("most pages per contribution"), default=2
    )
    contribution_groups = models.JSONField(_("groups open to contributions"), default=list)
    # A page larger than this (either way round) counts as over the limit: a 10-metre page is
    # not "one page". ISO 216 sizes, the name of the largest accepted.
    contribution_max_page_size = models.CharField(
        _("largest page size"),
        max_length=2,
        choices=[("A4", "A4"), ("A3", "A3"), ("A2", "A2")],
        default="A3",
    )
    contribution_draft_days = models.PositiveSmallIntegerField(
        _("days an unsubmitted upload is kept"),
        default=7,
        help_text=_("An uploaded file that is not submitted is deleted after this many days."),
    )

    # The symbols of the session's documents: C20/21, C20/INF/2 and contributions VC/8.
    document_prefix = models.CharField(
        _("prefix of the Council documents"), max_length=20, default="C20"
    )
    contribution_prefix = models.CharField(
        _("prefix of the contributions"), max_length=20, default="VC"
    )

    # R3: Sector Members nominated to the session, per Sector.
    sector_members_per_sector = models.PositiveSmallIntegerField(
        _("Sector Members per Sector"), default=3
    )

    # R4: the secretariat's mailboxes.
    registration_email = models.EmailField(
        _("registration mailbox"), default="sg-registration@itu.int"
    )
    remote_participation_email = models.EmailField(
        _("remote participation mailbox"), default="remote.participation@itu.int"
    )
    contributions_email = models.EmailField(
        _("contributions mailbox"), default="contributions@itu.int"
    )

    # R3: who is invited besides the Council Member States.
    observer_states = models.ManyToManyField(
        State, verbose_name=_("invited observers"), blank=True, related_name="+"
    )
    sector_members = models.ManyToManyField(
        SectorMember,
        verbose_name=_("invited Sector Members"),
        blank=True,
        related_name="consultations",
    )

    # R8, R24: the time management plan. The letter gives no durations; these are the
    # secretariat's planning assumptions.
    plan_item_base_minutes = models.PositiveSmallIntegerField(
        _("planned minutes per item before any speaker"), default=10
    )
    plan_speaking_minutes = models.PositiveSmallIntegerField(
        _("planned minutes per delegation that will speak"), default=3
    )

    # R21: the order of the speakers' queue, where the letter leaves room.
    queue_classes = models.JSONField(
        _("classes of the speakers' queue, first to last"), default=queue_classes_default
    )
    once_per_item = models.JSONField(
        _("categories that speak at most once per item"), default=once_per_item_default
    )
    # Speaking time per category, as many UN bodies give it (Member States 3 minutes,
    # observers 2); the chair may extend one speech.
    speaking_seconds_council = models.PositiveIntegerField(
        _("speaking time of a Council Member State (seconds)"), default=180
    )
    speaking_seconds_observer = models.PositiveIntegerField(
        _("speaking time of an observer (seconds)"),
        default=120,
        help_text=_("Observer Member States and the State of Palestine."),
    )
    speaking_seconds_sector_member = models.PositiveIntegerField(
        _("speaking time of a Sector Member (seconds)"), default=120
    )
    right_of_reply = models.BooleanField(
        _("right of reply"),
        default=True,
        help_text=_("A delegation may ask; the chair grants it, after the list of speakers."),
    )
    # Statements sent ahead to the interpreters ("check against delivery") are withdrawn
    # from them this many hours after their meeting's end (0: at its end).
    statement_withdraw_hours = models.PositiveSmallIntegerField(
        _("hours after a meeting when its statements are withdrawn"),
        default=1,
        help_text=_(
            "The texts sent to the interpreters are deleted this many hours after the end of "
            "their meeting."
        ),
    )

    # R7, R25.
    agenda_confirmed_at = models.DateTimeField(_("agenda confirmed at"), null=True, blank=True)

    # R29 and the interface.
    languages = models.JSONField(_("languages"), default=all_languages)
    # The language the secretariat drafts in (the proposed conclusions' original).
    working_language = models.CharField(
        _("working language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )

    # R27.
    correspondence_rule = models.CharField(
        _("rule for decisions by correspondence"),
        max_length=200,
        default="Rule 3.2 of the Rules of Procedure of the Council",
    )

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_end__gt=F("daily_start")), name="window_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(speakers_per_delegation_max__gte=F("speakers_per_delegation_min")),
                name="speaker_quota_ordered",
            ),
            models.CheckConstraint(condition=Q(max_days__gte=1), name="at_least_one_day"),
            models.CheckConstraint(
                condition=Q(registration_opens_on__lt=F("starts_on")),
                name="registration_before_start",
            ),
        ]

    def __str__(self):
        return self.acronym

    # --- derived dates (R18, R24) ------------------------------------------------------
    def meeting_days(self) -> list[date]:
        """The days that may hold meetings: the first `max_days` meeting weekdays."""
        days: list[date] = []
        day = self.starts_on
        allowed = set(self.meeting_weekdays or weekdays())
        while len(days) < self.max_days:
            if day.weekday() in allowed:
                days.append(day)
            day += timedelta(days=1)
        return days

    @property
    def ends_on(self) -> date:
        return self.meeting_days()[-1]

    def window_on(self, day: date):
        """The UTC start and end of the meeting window on a day (12:00–15:00 Geneva)."""
        return (
            timezones.at(day, self.daily_start, self.time_zone),
            timezones.at(day, self.daily_end, self.time_zone),
        )

    @property
    def opens_at(self):
        return self.window_on(self.starts_on)[0]

    @property
    def registration_opens_at(self):
        return timezones.at(self.registration_opens_on, time(0, 0), self.time_zone)

    @property
    def contribution_deadline_day(self) -> date:
        return self.starts_on - timedelta(days=self.contribution_days_before)

    @property
    def contribution_deadline(self):
        """The deadline in the consultation's zone: the deadline day at its time, or the end
        of that day when no time is set (VCC-2: 2 November 2020, 24:00)."""
        if self.contribution_deadline_time is None:
            return timezones.end_of_day(self.contribution_deadline_day, self.time_zone)
        return timezones.at(
            self.contribution_deadline_day, self.contribution_deadline_time, self.time_zone
        )

    @property
    def open_groups(self) -> str:
        """The groups open to contributions as the reader's language lists them: "1, 2",
        "1、2", "1، 2"."""
        separator = {"zh-hans": "、", "ar": "، "}.get(translation.get_language(), ", ")
        return separator.join(str(number) for number in sorted(self.contribution_groups or []))

    @property
    def agenda_is_final(self) -> bool:
        return self.agenda_confirmed_at is not None

    @property
    def rehearsal_window(self):
        return self.window_on(self.rehearsal_on) if self.rehearsal_on else None


class AgendaGroup(models.Model):
    """Group 1 (urgent), 2 (if time allows) or 3 (for information, deferred) — R5."""

    class Kind(models.TextChoices):
        URGENT = "urgent", _("Urgent: on the agenda")
        IF_TIME = "if_time", _("May be discussed if time allows")
        FOR_INFORMATION = "information", _("For information: deferred to the next session")

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.TextField(_("title"))  # translated

    class Meta:
        ordering = ["consultation", "number"]
        verbose_name = _("agenda group")
        verbose_name_plural = _("agenda groups")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "number"], name="group_number_unique")
        ]

    def __str__(self):
        return f"{self.consultation} — {_('Group')} {self.number}"

    @property
    def is_for_information(self) -> bool:
        return self.kind == self.Kind.FOR_INFORMATION


class Document(models.Model):
    """A document of the consultation: C20/n, a revision, C20/INF/n or a contribution VC/n."""

    class Kind(models.TextChoices):
        COUNCIL = "council", _("Council document")
        INFORMATION = "information", _("Information document")
        CONTRIBUTION = "contribution", _("Contribution")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="documents"
    )
    symbol = models.CharField(_("symbol"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COUNCIL)
    title = models.CharField(_("title"), max_length=300, blank=True)  # translated
    pending = models.BooleanField(_("not yet available"), default=False)
    url = models.URLField(_("link"), blank=True)
    file = models.FileField(_("file"), upload_to="documents/", blank=True)
    languages = models.JSONField(_("languages available"), default=list, blank=True)

    class Meta:
        ordering = ["consultation", "symbol"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "symbol"], name="document_symbol_unique"
            )
        ]

    def __str__(self):
        return self.symbol

    @property
    def revision(self) -> int:
        """3 for C20/21(Rev.3); 0 for an original."""
        match = re.search(r"\(Rev\.(\d+)\)$", self.symbol)
        return int(match[1]) if match else 0

    @property
    def href(self) -> str:
        return self.file.url if self.file else self.url


class AgendaItem(models.Model):
    group = models.ForeignKey(AgendaGroup, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField(_("number"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    subject = models.TextField(_("subject"))  # translated
    references = models.JSONField(_("references"), default=list, blank=True)
    instruments = models.TextField(_("resolutions and decisions"), blank=True)  # translated
    note = models.CharField(_("note"), max_length=200, blank=True)  # translated
    base_minutes = models.PositiveSmallIntegerField(
        _("planned minutes before any speaker"), null=True, blank=True
    )
    documents = models.ManyToManyField(
        Document, through="AgendaItemDocument", related_name="items", blank=True
    )

    class Meta:
        ordering = ["group__number", "position", "number"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.UniqueConstraint(fields=["group", "number"], name="item_number_unique_in_group")
        ]

    def __str__(self):
        return f"{self.group.number}.{self.number}"

    @property
    def label(self) -> str:
        return f"{self.group.number}.{self.number}"


class AgendaItemDocument(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE)
    document = models.ForeignKey(Document, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "document"], name="document_once_per_item")
        ]

    def __str__(self):
        return f"{self.item}: {self.document}"


class AgendaVersion(models.Model):
    """A frozen agenda: version 1 is the one confirmed at the opening meeting (R7, R25);
    every later change makes a new version with its reason."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="agenda_versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    snapshot = models.JSONField()

    class Meta:
        ordering = ["consultation", "number"]
        verbose_name = _("agenda version")
        verbose_name_plural = _("agenda versions")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "number"], name="agenda_version_unique")
        ]

    def __str__(self):
        return f"{self.consultation} — {self.number}"


class Appointment(models.Model):
    """A role held by a person: in every consultation (empty `consultation`) or in one,
    and for focal points and delegates, on behalf of one state."""

    class Role(models.TextChoices):
        SECRETARIAT = "secretariat", _("Secretariat")
        PRESIDING_OFFICER = "presiding_officer", _("Presiding officer")
        FOCAL_POINT = "focal_point", _("Delegation focal point")
        DELEGATE = "delegate", _("Delegate")
        IT_SUPPORT = "it_support", _("IT support")
        INTERPRETER = "interpreter", _("Interpreter")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appointments"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    consultation = models.ForeignKey(
        Consultation, null=True, blank=True, on_delete=models.CASCADE, related_name="appointments"
    )
    state = models.ForeignKey(State, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            # Coalesce so that "every consultation" (NULL) counts as one value too.
            models.UniqueConstraint(
                F("user"),
                F("role"),
                Coalesce("consultation", Value(0)),
                Coalesce("state", Value(0)),
                name="appointment_unique",
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}"
