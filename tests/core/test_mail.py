"""The mail outbox is delivered by the background worker over real SMTP (aiosmtpd)."""

import pytest
from aiosmtpd.controller import Controller

from plenary.core import mail
from plenary.core.models import OutboxMessage
from tests.mailserver import Inbox
from tests.mailserver import free_port as _free_port
from tests.mailserver import run_worker as _run_worker


@pytest.fixture
def smtp_server(smtp_inbox):
    return smtp_inbox


@pytest.mark.django_db(transaction=True)
def test_queued_mail_is_delivered_by_the_worker(smtp_server):
    message = mail.queue_mail(
        to=["focal.point@example.org"],
        cc=["remote.participation@example.org"],
        subject="VCC-2 : lien de participation",
        body="Bonjour — 您好 — مرحبا",
        language="fr",
    )
    assert smtp_server.envelopes == []  # nothing is sent by the request itself
    _run_worker()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.attempts == 1
    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert set(envelope.rcpt_tos) == {"focal.point@example.org", "remote.participation@example.org"}
    assert (
        "Bonjour" in envelope.content.decode("utf-8", "replace") or b"=?utf-8?" in envelope.content
    )


@pytest.mark.django_db(transaction=True)
def test_unreachable_server_marks_failed_then_delivers_once_when_back(settings):
    dead_port = _free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = dead_port
    settings.EMAIL_TIMEOUT = 2
    message = mail.queue_mail(to=["someone@example.org"], subject="Reminder", body="Text")
    _run_worker()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=dead_port)
    controller.start()
    try:
        assert mail.retry_failed() == 1
        _run_worker()
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.SENT
        assert message.attempts == 2
        # A sent message is never sent again, even if asked.
        mail.deliver(message.pk)
        assert len(inbox.envelopes) == 1
    finally:
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_mail_of_a_rolled_back_action_is_never_sent(smtp_server):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        mail.queue_mail(to=["x@example.org"], subject="Never", body="-")
        raise RuntimeError("the action failed")
    _run_worker()
    assert OutboxMessage.objects.count() == 0
    assert smtp_server.envelopes == []


@pytest.mark.django_db(transaction=True)
def test_a_message_and_its_delivery_task_are_committed_together(smtp_server):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    with pytest.raises(RuntimeError), transaction.atomic():
        mail.queue_mail(to=["x@example.org"], subject="Never", body="-")
        assert DBTaskResult.objects.count() == 1  # written in the action's transaction
        raise RuntimeError("the action failed")
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_message_left_without_a_delivery_task_is_sent_once_at_the_next_heartbeat(smtp_server):
    from django_tasks_db.models import DBTaskResult

    from plenary.core import tasks

    stranded = mail.queue_mail(to=["stranded@example.org"], subject="Link", body="-")
    waiting = mail.queue_mail(to=["waiting@example.org"], subject="Link", body="-")
    # A worker that lost its database in the middle of the first delivery: its task is
    # gone (here: failed and removed), the message still queued.
    DBTaskResult.objects.filter(args_kwargs__args=[stranded.pk]).delete()
    assert tasks.resume_stalled_deliveries() == 1  # the waiting one has its task already
    assert tasks.resume_stalled_deliveries() == 0  # queued again once, not at every beat
    _run_worker()
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == [
        "stranded@example.org",
        "waiting@example.org",
    ]
    assert tasks.resume_stalled_deliveries() == 0  # nothing left unsent
    for message in (stranded, waiting):
        message.refresh_from_db()
        assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 1)


@pytest.mark.django_db(transaction=True)
def test_a_delivery_left_running_by_a_lost_database_is_resumed_once_stale(smtp_server):
    import datetime

    from django.utils import timezone
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from plenary.core import tasks

    message = mail.queue_mail(to=["cut@example.org"], subject="Link", body="-")
    task = DBTaskResult.objects.get(args_kwargs__args=[message.pk])
    # The worker took it, then lost PostgreSQL: the row still says running.
    DBTaskResult.objects.filter(pk=task.pk).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now()
    )
    assert tasks.resume_stalled_deliveries() == 0  # it may still be running
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() - tasks.DELIVERY_STALE_AFTER - datetime.timedelta(seconds=1)
    )
    assert tasks.resume_stalled_deliveries() == 1
    _run_worker()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["cut@example.org"]]
