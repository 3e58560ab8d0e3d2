"""Remote participation (R10, R14, R28–R30): the video platform each meeting runs on, its
interpretation channels and booths, captions and webcast, and the IT support desk.

Plenary does not carry audio or video. It decides who may do what on the platform and
hands each person only the access of their role."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import Consultation
from plenary.planning.models import Meeting
from plenary.registration.models import Participant


class RemoteSettings(models.Model):
    """How one consultation reaches its video platform."""

    class Platform(models.TextChoices):
        EXTERNAL = "external", _("External platform (addresses entered per meeting)")
        LIVEKIT = "livekit", _("LiveKit (rooms and tokens issued by Plenary)")

    consultation = models.OneToOneField(
        Consultation, on_delete=models.CASCADE, related_name="remote_settings"
    )
    platform = models.CharField(
        _("video platform"), max_length=20, choices=Platform.choices, default=Platform.EXTERNAL
    )
    webcast_public = models.BooleanField(
        _("webcast open to the public"),
        default=False,
        help_text=_("When set, anyone may watch the webcast page without a registration."),
    )
    lobby_minutes = models.PositiveSmallIntegerField(
        _("minutes before a meeting when its access opens"), default=60
    )

    class Meta:
        verbose_name = _("remote participation settings")
        verbose_name_plural = _("remote participation settings")

    def __str__(self):
        return f"{self.consultation}: {self.get_platform_display()}"


class MeetingLinks(models.Model):
    """The addresses of one meeting on an external platform, and its public webcast."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="links")
    speaker_url = models.URLField(_("address for speakers"), blank=True)
    viewer_url = models.URLField(_("address for viewers"), blank=True)
    interpreter_url = models.URLField(_("address for interpreters"), blank=True)
    webcast_url = models.URLField(_("public webcast address"), blank=True)

    class Meta:
        verbose_name = _("meeting addresses")
        verbose_name_plural = _("meeting addresses")

    def __str__(self):
        return str(self.meeting)


class CaptionFeed(models.Model):
    """Live captions of one meeting in one language, from a captioning provider (R28)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="caption_feeds")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    url = models.URLField(_("caption feed address"))

    class Meta:
        ordering = ["meeting", "language"]
        verbose_name = _("caption feed")
        verbose_name_plural = _("caption feeds")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "language"], name="one_caption_feed")
        ]

    def __str__(self):
        return f"{self.meeting} ({self.language})"


class Interpreter(models.Model):
    """An interpreter of the consultation, in the booth of one language (R29)."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="interpreters"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interpreter_of"
    )
    booth = models.CharField(_("booth (language)"), max_length=10, choices=settings.LANGUAGES)
    relay = models.CharField(
        _("relay language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["consultation", "booth", "user__email"]
        verbose_name = _("interpreter")
        verbose_name_plural = _("interpreters")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "user"], name="interpreter_once"),
            models.CheckConstraint(condition=~Q(relay=models.F("booth")), name="relay_not_booth"),
        ]

    def __str__(self):
        return f"{self.user} ({self.booth})"


class BoothCheckIn(models.Model):
    """An interpreter took their booth for a meeting: their access was issued."""

    interpreter = models.ForeignKey(Interpreter, on_delete=models.CASCADE, related_name="check_ins")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="booth_check_ins")
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interpreter", "meeting"], name="check_in_once")
        ]

    def __str__(self):
        return f"{self.interpreter} — {self.meeting}"


class ListeningChoice(models.Model):
    """The language a participant listens to; remembered from one meeting to the next."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="listening"
    )
    language = models.CharField(_("listening language"), max_length=10)

    def __str__(self):
        return f"{self.participant}: {self.language}"


class SupportRequest(models.Model):
    """A request to IT support (R30): by the web form, by e-mail, a chat or a call-back."""

    class Channel(models.TextChoices):
        FORM = "form", _("Web form")
        EMAIL = "email", _("E-mail")
        CHAT = "chat", _("Chat")
        CALLBACK = "callback", _("Call-back")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ASSIGNED = "assigned", _("Assigned")
        WAITING = "waiting", _("Waiting for the participant")
        RESOLVED = "resolved", _("Resolved")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="support_requests"
    )
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("telephone"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="new")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="callback") | ~Q(phone=""), name="callback_has_a_phone"
            )
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"


class SupportMessage(models.Model):
    """One message of a support request, from the participant or from IT support. Stored as
    plain text and always shown escaped."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="messages")
    from_support = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("message"))
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self):
        return f"#{self.request_id} {self.sent_at:%Y-%m-%d %H:%M}"
