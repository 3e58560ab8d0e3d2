"""The reminder to name speakers (R11): before the first meeting, the focal points of each
delegation with fewer speakers than the consultation's fewest are reminded by e-mail, each
in their language, once per delegation. Below both the services and the worker's task
(`tasks.remind_speakers`), which runs it every hour."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import Consultation
from plenary.core import audit, timezones
from plenary.core.mail import mail_in_language
from plenary.core.models import AuditEvent
from plenary.directory.names import state_name

from .models import Delegation
from .queries import REMINDED, short_of_speakers


def reminder_due_at(consultation: Consultation) -> datetime:
    """When the reminder goes: `speaker_reminder_days` before the first meeting opens."""
    return consultation.opens_at - timedelta(days=consultation.speaker_reminder_days)


def remind_speakers(consultation: Consultation, *, now: datetime | None = None) -> int:
    """Once the reminder is due and until the first meeting opens, each delegation short of
    speakers and with a focal point is reminded, once: the delegation's row is locked and
    the audit log says whether it was; each focal point gets the e-mail in their language.
    Returns how many delegations were reminded."""
    now = now or timezone.now()
    if not reminder_due_at(consultation) <= now < consultation.opens_at:
        return 0
    reminded = 0
    for delegation_id in short_of_speakers(consultation).values_list("pk", flat=True):
        reminded += _remind(consultation, delegation_id)
    return reminded


def _remind(consultation: Consultation, delegation_id: int) -> int:
    with transaction.atomic():
        # Without the default ordering: its outer joins cannot be locked (PostgreSQL).
        delegation = (
            Delegation.objects.select_for_update(of=("self",))
            .select_related("state", "sector_member")
            .filter(pk=delegation_id)
            .order_by("pk")
            .first()
        )
        fewest = consultation.speakers_per_delegation_min
        if delegation is None or delegation.speakers >= fewest:
            return 0
        if AuditEvent.objects.filter(
            action=REMINDED, target_type=Delegation._meta.label, target_id=str(delegation.pk)
        ).exists():
            return 0
        focal_points = [f.user for f in delegation.focal_points.select_related("user")]
        if not focal_points:
            return 0  # the dashboard shows it among the delegations without a focal point
        for user in focal_points:
            _mail(consultation, delegation, user)
        audit.record(
            REMINDED,
            target=delegation,
            data={
                "speakers": delegation.speakers,
                "fewest": fewest,
                "to": [user.email for user in focal_points],
            },
        )
    return 1


def _mail(consultation: Consultation, delegation: Delegation, user) -> None:
    language = user.language
    with translation.override(language):
        name = state_name(delegation.state, language) if delegation.state_id else str(delegation)
        page = settings.PLENARY_BASE_URL + reverse(
            "delegation_page", kwargs={"slug": consultation.slug}
        )
        first = (
            timezones.format_moment(consultation.opens_at, consultation.time_zone, language)
            + f" {consultation.time_zone_label}"
        )
    mail_in_language(
        to=user.email,
        language=language,
        subject=_("%(acronym)s: name the speakers of %(delegation)s"),
        params={"acronym": consultation.acronym, "delegation": name},
        template="registration/email/speakers_reminder.txt",
        context={
            "consultation": consultation,
            "delegation_name": name,
            "speakers": delegation.speakers,
            "fewest": consultation.speakers_per_delegation_min,
            "most": consultation.speakers_per_delegation_max,
            "first_meeting": first,
            "page": page,
        },
        reply_to=[consultation.registration_email],
    )


def remind_all(*, now: datetime | None = None) -> int:
    """The reminder of every consultation whose first meeting is still ahead."""
    now = now or timezone.now()
    total = 0
    for consultation in Consultation.objects.all():
        if consultation.opens_at > now:
            total += remind_speakers(consultation, now=now)
    return total
