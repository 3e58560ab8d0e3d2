"""The participation guide (R13): its text per language, edited and previewed by the
secretariat, sent with every personal link and to everyone approved, its delivery per
person, and one link e-mail per change of role — over a real SMTP server (aiosmtpd)."""

import re

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent, OutboxMessage
from plenary.registration import services
from plenary.registration.models import AccessLink, Participant, ParticipationGuide
from tests import factories
from tests.mailserver import Inbox
from tests.mailserver import free_port as _free_port
from tests.mailserver import run_worker as _run_worker

GUIDE = "/en/c/vcc-2/registration/guide/"
LINK = re.compile(r"https?://\S+/j/[\w-]+")


def _guides_to(email: str):
    return OutboxMessage.objects.filter(to=[email], key__startswith="registration:").order_by("pk")


def test_the_link_mail_is_the_guide_filled_for_its_reader(consultation, focal_ch):
    person = factories.registered(consultation, "CH", name="Amélie", language="fr")
    services.approve(person, actor=focal_ch)
    mail = _guides_to(person.email).get()
    assert (mail.language, mail.status) == ("fr", OutboxMessage.Status.QUEUED)
    assert mail.reply_to == [consultation.registration_email]
    assert "VCC-2" in mail.subject and "{" not in mail.subject
    body = mail.body
    assert "Amélie" in body and "{" not in body
    token = LINK.search(body).group(0).rsplit("/", 1)[1]
    assert services.resolve_link(token).participant == person
    # The daily window in Geneva and in UTC (16 November 2020: UTC+1), the check and help pages.
    assert "12:00–15:00 heure de Genève (11:00–14:00 UTC)" in body
    assert "/fr/c/vcc-2/rehearsal/check/" in body and "/fr/c/vcc-2/help/" in body
    assert consultation.remote_participation_email in body


def test_the_secretariat_edits_and_previews_the_guide_per_language(
    client, consultation, secretariat_user, focal_ch
):
    client.force_login(secretariat_user)
    page = client.get(GUIDE)
    assert page.status_code == 200
    html = page.content.decode()
    for language in consultation.languages:
        assert f'id="guide-{language}"' in html
    assert "Sample Participant" in html  # the default text's preview

    text = {
        "language": "fr",
        "subject": "{acronym} : votre lien",
        "body": "Bonjour {name},\n{link}",
    }
    preview = client.post(GUIDE, {**text, "action": "preview"})
    assert preview.status_code == 200
    # The sample participant is named in the guide's own language.
    with translation.override("fr"):
        sample = str(_("Sample Participant"))
    assert sample != "Sample Participant"
    assert f"Bonjour {sample}," in preview.content.decode()
    assert not ParticipationGuide.objects.exists()  # a preview saves nothing

    assert client.post(GUIDE, {**text, "action": "save"}).status_code == 302
    guide = ParticipationGuide.objects.get(consultation=consultation, language="fr")
    assert (guide.subject, guide.updated_by) == ("{acronym} : votre lien", secretariat_user)
    assert AuditEvent.objects.filter(action="registration.guide_changed").exists()

    person = factories.registered(consultation, "CH", language="fr")
    services.approve(person, actor=focal_ch)
    mail = _guides_to(person.email).get()
    assert mail.subject == "VCC-2 : votre lien"
    assert mail.body.startswith(f"Bonjour {person.name},\nhttp")
    english = factories.registered(consultation, "CH", 2, language="en")
    services.approve(english, actor=focal_ch)
    assert _guides_to(english.email).get().body.startswith(f"Dear {english.name},")

    assert client.post(GUIDE, {**text, "action": "reset"}).status_code == 302
    assert not ParticipationGuide.objects.exists()


@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        ("Bonjour {nom},", "bad_placeholder", "{nom}"),
        ("Bonjour {name.__class__}", "bad_placeholder", "{name.__class__}"),
        ("Bonjour {name!r}", "bad_placeholder", "{name!r}"),
        ("Bonjour {}", "bad_placeholder", "{}"),
        ("Bonjour {name", "unbalanced_brace", "unmatched brace"),
        ("Bonjour name}", "unbalanced_brace", "unmatched brace"),
    ],
)
def test_a_broken_placeholder_is_refused_naming_it_and_the_language(
    client, consultation, secretariat_user, body, code, named
):
    with pytest.raises(DomainError) as refused:
        services.save_guide(consultation, "fr", subject="S", body=body, actor=secretariat_user)
    assert refused.value.code == code
    assert named in refused.value.user_message() and "French" in refused.value.user_message()
    client.force_login(secretariat_user)
    page = client.post(GUIDE, {"language": "fr", "subject": "S", "body": body, "action": "save"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "French" in html and body in html  # the text is shown back to be corrected
    assert not ParticipationGuide.objects.exists()


def test_an_empty_or_huge_guide_is_refused(consultation, secretariat_user):
    with pytest.raises(DomainError) as refused:
        services.save_guide(consultation, "en", subject=" ", body="x", actor=secretariat_user)
    assert refused.value.code == "guide_empty" and "subject" in refused.value.user_message()
    with pytest.raises(DomainError) as refused:
        services.save_guide(
            consultation, "en", subject="S", body="x" * 20_001, actor=secretariat_user
        )
    assert refused.value.code == "guide_too_long"
    assert not ParticipationGuide.objects.exists()


def test_a_focal_point_cannot_edit_or_send_the_guide(client, consultation, focal_ch):
    client.force_login(focal_ch)
    assert client.get(GUIDE).status_code == 403
    text = {"language": "en", "subject": "S", "body": "B", "action": "save"}
    assert client.post(GUIDE, text).status_code == 403
    assert client.post(GUIDE + "send/").status_code == 403
    assert client.get(GUIDE + "deliveries/").status_code == 403
    with pytest.raises(DomainError) as refused:
        services.save_guide(consultation, "en", subject="S", body="B", actor=focal_ch)
    assert refused.value.code == "not_secretariat"
    assert not ParticipationGuide.objects.exists()


def test_sending_to_everyone_approved_each_in_their_language_with_their_own_link(
    client, consultation, secretariat_user, focal_ch
):
    french = factories.participant(consultation, "CH", 1, speaker=False, language="fr")
    spanish = factories.participant(consultation, "CH", 2, language="es")
    user_token = factories.signed_in_by_link(client, spanish)  # a link in use
    pending = factories.registered(consultation, "CH", 3)
    refused = factories.refused(consultation, "CH", 4)
    gone = factories.withdrawn(consultation, "CH", 5)
    waiting_link_mail = _guides_to(french.email).get()
    before = OutboxMessage.objects.order_by("-pk").first().pk

    counts = services.send_guide_to_all(consultation, actor=secretariat_user)

    approved = Participant.objects.filter(consultation=consultation, status="approved").count()
    assert counts == {"participants": approved, "new_links": approved - 1, "kept_links": 1}
    for person in (pending, refused, gone):
        assert not OutboxMessage.objects.filter(pk__gt=before, to=[person.email]).exists()
    # The French viewer's link had not reached them yet: a new one, the waiting e-mail cancelled.
    waiting_link_mail.refresh_from_db()
    assert waiting_link_mail.status == OutboxMessage.Status.CANCELLED
    mail = _guides_to(french.email).exclude(status=OutboxMessage.Status.CANCELLED).get()
    assert mail.language == "fr" and mail.reply_to == [consultation.registration_email]
    token = LINK.search(mail.body).group(0).rsplit("/", 1)[1]
    link = services.resolve_link(token)
    assert (link.participant, link.role) == (french, Participant.Role.VIEWER)
    # The Spanish speaker keeps the link in use; the guide names it without killing it.
    mail = _guides_to(spanish.email).filter(key__endswith=":guide").get()
    assert mail.language == "es" and not LINK.search(mail.body)
    assert services.resolve_link(user_token).participant == spanish
    event = AuditEvent.objects.get(action="registration.guide_sent")
    assert event.data["participants"] == approved


def test_sending_again_to_one_person(consultation, secretariat_user, focal_ch):
    person = factories.participant(consultation, "CH", 1, speaker=False)
    first = services.send_guide_again(person, actor=secretariat_user)
    # The earlier link never reached them: a new link, the unsent e-mail replaced.
    assert first.key.endswith(":link") and LINK.search(first.body)
    assert _guides_to(person.email).exclude(status=OutboxMessage.Status.CANCELLED).get() == first
    first_token = LINK.search(first.body).group(0).rsplit("/", 1)[1]
    services.resolve_link(first_token)  # now used: it works for them
    again = services.send_guide_again(person, actor=secretariat_user)
    assert again.key.endswith(":guide") and not LINK.search(again.body)
    services.resolve_link(first_token)
    fresh = services.send_guide_again(person, actor=secretariat_user, new_link=True)
    assert LINK.search(fresh.body)
    with pytest.raises(DomainError):
        services.resolve_link(first_token)
    pending = factories.registered(consultation, "CH", 2)
    with pytest.raises(DomainError) as refused:
        services.send_guide_again(pending, actor=secretariat_user)
    assert refused.value.code == "not_approved"


@pytest.mark.django_db(transaction=True)
def test_approving_then_naming_a_speaker_sends_one_mail_whose_link_works(
    client, vcc2, smtp_inbox, settings
):
    settings.PLENARY_LINK_MAIL_DELAY_SECONDS = 60
    consultation = vcc2.consultation
    focal = factories.focal_point("CH")
    person = factories.registered(consultation, "CH", name="Ana", email="ana@example.org")
    services.approve(person, actor=focal)
    services.designate_speaker(person, actor=focal)
    _run_worker()

    def link_mails():
        return [
            envelope.content.decode("utf-8", "replace")
            for envelope in smtp_inbox.envelopes
            if envelope.rcpt_tos == ["ana@example.org"] and b"/j/" in envelope.content
        ]

    assert link_mails() == []  # held back for the delay
    # The delay passes (the waiting deliveries are due now).
    DBTaskResult.objects.filter(run_after__isnull=False).update(run_after=timezone.now())
    _run_worker()
    assert len(link_mails()) == 1
    content = link_mails()[0]
    assert f"Reply-To: {consultation.registration_email}" in content
    token = LINK.search(content).group(0).rsplit("/", 1)[1]
    assert client.get(f"/j/{token}").status_code == 302
    assert AccessLink.objects.get(participant=person, revoked_at__isnull=True).role == "speaker"
    statuses = sorted(_guides_to("ana@example.org").values_list("status", flat=True))
    assert statuses == [OutboxMessage.Status.CANCELLED, OutboxMessage.Status.SENT]


@pytest.mark.django_db(transaction=True)
def test_the_delivery_report_after_a_real_delivery_and_a_failing_server(client, vcc2, settings):
    settings.PLENARY_LINK_MAIL_DELAY_SECONDS = 0
    consultation = vcc2.consultation
    secretariat = factories.secretariat()
    people = [factories.participant(consultation, "CH", n, speaker=False) for n in (1, 2)]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_TIMEOUT, settings.EMAIL_USE_TLS = "127.0.0.1", 2, False
    dead_port = _free_port()
    settings.EMAIL_PORT = dead_port  # nobody listens: the server is down
    services.send_guide_to_all(consultation, actor=secretariat)
    _run_worker()
    counts, rows = services.guide_deliveries(consultation)
    assert counts["failed"] == counts["total"] == 2
    assert all(row.message.attempts >= 1 and row.message.last_error for row in rows)
    client.force_login(secretariat)
    page = client.get(GUIDE + "deliveries/?state=failed").content.decode()
    assert "failed, being retried" in page and people[0].email in page

    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=dead_port)
    controller.start()
    try:
        client.post(GUIDE + f"deliveries/{people[0].pk}/send/")
        _run_worker()
    finally:
        controller.stop()
    counts, rows = services.guide_deliveries(consultation)
    assert counts["sent"] == 1 and counts["failed"] == 1
    sent = next(row for row in rows if row.participant == people[0]).message
    assert sent.status == OutboxMessage.Status.SENT and sent.sent_at is not None
    assert [e.rcpt_tos for e in inbox.envelopes] == [[people[0].email]]
    page = client.get(GUIDE + "deliveries/").content.decode()
    assert "sent</span> 1</a>" in page and "failed, being retried</span> 1</a>" in page


def test_withdrawing_cancels_a_link_mail_still_waiting(consultation, focal_ch):
    """The link e-mail waits a moment in the outbox; a participant withdrawn meanwhile must
    not receive a link that no longer works."""
    from plenary.core.models import OutboxMessage
    from plenary.registration import services as registration
    from tests import factories

    factories.open_registration(consultation)
    person = factories.participant(consultation, "CH", speaker=False, actor=focal_ch)
    mine = f"registration:{consultation.pk}:{person.pk}:"
    waiting = OutboxMessage.objects.filter(key__startswith=mine, status=OutboxMessage.Status.QUEUED)
    assert waiting.exists(), "the link e-mail waits in the outbox"
    registration.withdraw(person, actor=focal_ch)
    assert not OutboxMessage.objects.filter(
        key__startswith=mine, status=OutboxMessage.Status.QUEUED
    ).exists()
    assert OutboxMessage.objects.filter(
        key__startswith=mine, status=OutboxMessage.Status.CANCELLED
    ).exists()
