"""The fewest speakers per delegation (R11): a delegation short of speakers is flagged on the
secretariat's dashboard, and its focal points are reminded by e-mail before the first
meeting (the consultation's speaker_reminder_days), once, each in their language — by the
worker, over a real SMTP server (aiosmtpd)."""

import datetime

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from plenary.core.models import AuditEvent, OutboxMessage
from plenary.registration import reminders, tasks
from tests import factories
from tests.mailserver import run_worker as _run_worker

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
FOCAL = {"CH": "focal.point.ch@example.org", "BE": "focal.point.be@example.org"}


def _reminders_to(email: str):
    """The reminders sent to one address, each recognised by its subject in its language."""

    def is_reminder(message) -> bool:
        with translation.override(message.language):
            subject = str(_("%(acronym)s: name the speakers of %(delegation)s"))
        fixed = subject.split(")s", 1)[1].split("%(", 1)[0]  # the words between the names
        return fixed in message.subject

    mails = OutboxMessage.objects.filter(to=[email])
    return mails.filter(pk__in=[m.pk for m in mails if is_reminder(m)])


def test_the_reminder_goes_a_week_before_the_first_meeting_and_not_before(consultation):
    assert consultation.speaker_reminder_days == 7
    due = reminders.reminder_due_at(consultation)
    # 16 November 2020, 12:00 in Geneva (UTC+1), a week before: 9 November, 11:00 UTC.
    assert due == datetime.datetime(2020, 11, 9, 11, 0, tzinfo=datetime.UTC)
    assert reminders.remind_speakers(consultation, now=due - HOUR) == 0
    assert not OutboxMessage.objects.filter(to=[FOCAL["CH"]]).exists()
    assert reminders.remind_speakers(consultation, now=consultation.opens_at) == 0


def test_each_delegation_short_of_speakers_is_reminded_once(consultation, focal_ch):
    due = reminders.reminder_due_at(consultation)
    # Switzerland, Belgium: the delegations with a focal point; none has named a speaker.
    assert reminders.remind_speakers(consultation, now=due + HOUR) == 2
    assert reminders.remind_speakers(consultation, now=due + 2 * HOUR) == 0
    assert _reminders_to(FOCAL["CH"]).count() == 1 == _reminders_to(FOCAL["BE"]).count()
    events = AuditEvent.objects.filter(action="registration.speakers_reminded")
    assert events.count() == 2
    swiss = factories.delegation(consultation, "CH")
    assert events.get(target_id=str(swiss.pk)).data == {
        "speakers": 0,
        "fewest": 1,
        "to": [FOCAL["CH"]],
    }


def test_a_delegation_with_its_speaker_is_not_reminded(consultation, focal_ch):
    factories.participant(consultation, "CH", 1, actor=focal_ch)
    assert (
        reminders.remind_speakers(consultation, now=reminders.reminder_due_at(consultation) + HOUR)
        == 1
    )
    assert not _reminders_to(FOCAL["CH"]).exists()
    assert _reminders_to(FOCAL["BE"]).count() == 1


def test_the_settings_are_read_the_days_and_the_fewest(consultation):
    week_before = reminders.reminder_due_at(consultation) + HOUR
    consultation.speaker_reminder_days = 2
    consultation.save(update_fields=["speaker_reminder_days"])
    assert reminders.remind_speakers(consultation, now=week_before) == 0
    consultation.speakers_per_delegation_min = 0
    consultation.save(update_fields=["speakers_per_delegation_min"])
    assert reminders.remind_speakers(consultation, now=consultation.opens_at - DAY) == 0
    consultation.speakers_per_delegation_min = 1
    consultation.save(update_fields=["speakers_per_delegation_min"])
    assert reminders.remind_speakers(consultation, now=consultation.opens_at - DAY) == 2


def test_the_reminder_is_in_each_focal_points_language(consultation):
    belgium = factories.focal_point("BE")
    belgium.language = "ar"
    belgium.save(update_fields=["language"])
    reminders.remind_speakers(consultation, now=consultation.opens_at - DAY)
    swiss, belgian = _reminders_to(FOCAL["CH"]).get(), _reminders_to(FOCAL["BE"]).get()
    assert (swiss.language, belgian.language) == ("fr", "ar")
    assert "/fr/c/vcc-2/delegation/" in swiss.body and "/ar/c/vcc-2/delegation/" in belgian.body
    assert swiss.reply_to == [consultation.registration_email]
    # Its first meeting in the reader's language, in Geneva time.
    assert "16 novembre 2020" in swiss.body and "12:00" in swiss.body
    assert "VCC-2" in swiss.subject and "{" not in swiss.body and "%(" not in swiss.subject


def test_the_dashboard_flags_the_delegations_short_of_speakers(
    client, consultation, secretariat_user, focal_ch
):
    factories.participant(consultation, "CH", 1, actor=focal_ch)
    reminders.remind_speakers(consultation, now=consultation.opens_at - DAY)
    client.force_login(secretariat_user)
    page = client.get("/en/c/vcc-2/registration/").content.decode()
    swiss, belgium = (
        factories.delegation(consultation, "CH"),
        factories.delegation(consultation, "BE"),
    )
    china = factories.delegation(consultation, "CN")
    assert 'id="short-of-speakers"' in page
    assert "63 delegations are short of speakers (fewest: 1)" in page
    assert f'id="short-{swiss.pk}"' not in page
    belgian_row = page.split(f'id="short-{belgium.pk}"')[1].split("</tr>")[0]
    assert "Reminded" in belgian_row and "0 / 1" in belgian_row
    chinese_row = page.split(f'id="short-{china.pk}"')[1].split("</tr>")[0]
    assert "No focal point to remind" in chinese_row


@pytest.mark.django_db(transaction=True)
def test_the_worker_reminds_once_over_smtp_and_schedules_its_next_run(vcc2, smtp_inbox):
    consultation = vcc2.consultation
    # The first meeting three days ahead: within the week of the reminder.
    consultation.starts_on = (timezone.now() + 3 * DAY).date()
    consultation.save(update_fields=["starts_on"])
    assert tasks.schedule_speaker_reminders() is True
    assert tasks.schedule_speaker_reminders() is False  # one run waits already
    _run_worker()

    def received(email):
        return [e for e in smtp_inbox.envelopes if e.rcpt_tos == [email]]

    assert len(received(FOCAL["CH"])) == 1 and len(received(FOCAL["BE"])) == 1
    content = received(FOCAL["CH"])[0].content.decode("utf-8", "replace")
    assert "/fr/c/vcc-2/delegation/" in content
    waiting = DBTaskResult.objects.filter(
        task_path=tasks.remind_speakers.module_path, status="READY"
    ).get()
    assert waiting.run_after > timezone.now() + datetime.timedelta(minutes=55)
    # The next run, made due now, finds them reminded: no second e-mail.
    waiting.run_after = timezone.now()
    waiting.save(update_fields=["run_after"])
    _run_worker()
    assert len(received(FOCAL["CH"])) == 1 and len(received(FOCAL["BE"])) == 1
    assert AuditEvent.objects.filter(action="registration.speakers_reminded").count() == 2
