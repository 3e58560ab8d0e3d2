"""The worker's side of the mail outbox: delivering a queued message, and trying a failed one
again later. The delivery lives beside its task because a failure schedules the task again;
`mail` queues messages and imports this module, never the other way round."""

import time
from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import OutboxMessage

# A message that could not be sent is tried again after 2, 4, 8 … seconds, then every
# RETRY_CEILING, until the server takes it: nobody has to notice that SMTP was down.
RETRY_CEILING = timedelta(minutes=1)


@task()
def deliver_outbox_message(message_id: int) -> str:
    return deliver(message_id).status


def deliver(message_id: int) -> OutboxMessage:
    """Send one queued message over the configured backend; a sent message is never resent,
    a cancelled one (replaced by a newer message, `mail.queue_mail`) never sent.

    The message's row is locked while it is sent. If the database goes away after the SMTP
    server has taken the message, the send cannot be undone: it is recorded as soon as the
    database is back (`_record_sent`), so that it is not sent a second time."""
    handed_over = False
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update().get(pk=message_id)
            if message.status in (OutboxMessage.Status.SENT, OutboxMessage.Status.CANCELLED):
                return message
            message.attempts += 1
            try:
                _email(message).send(fail_silently=False)
                handed_over = True
            except OSError as error:  # smtplib.SMTPException is an OSError
                message.status = OutboxMessage.Status.FAILED
                message.last_error = f"{type(error).__name__}: {error}"
            else:
                message.status = OutboxMessage.Status.SENT
                message.sent_at = timezone.now()
                message.last_error = ""
            message.save(update_fields=["status", "attempts", "sent_at", "last_error"])
    except DatabaseError:
        if not handed_over:
            raise
        return _record_sent(message_id)
    if message.status == OutboxMessage.Status.FAILED:
        _retry_later(message)
    return message


def _email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        to=message.to,
        cc=message.cc,
        reply_to=message.reply_to or None,
    )
    for name in message.attachments:
        with default_storage.open(name, "rb") as handle:
            email.attach(name.rsplit("/", 1)[-1], handle.read())
    return email


# How long a worker keeps trying to record a message the SMTP server has already taken; within
# DELIVERY_STALE_AFTER, so that the heartbeat does not resume it meanwhile.
RECORD_SENT_FOR = timedelta(seconds=10)


def _record_sent(message_id: int) -> OutboxMessage:
    deadline = time.monotonic() + RECORD_SENT_FOR.total_seconds()
    while True:
        connection.close()  # the connection that failed is of no further use
        try:
            OutboxMessage.objects.filter(pk=message_id).update(
                status=OutboxMessage.Status.SENT,
                sent_at=timezone.now(),
                last_error="",
                attempts=F("attempts") + 1,
            )
            return OutboxMessage.objects.get(pk=message_id)
        except DatabaseError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _retry_later(message: OutboxMessage) -> None:
    delay = min(timedelta(seconds=2 ** min(message.attempts, 16)), RETRY_CEILING)
    deliver_outbox_message.using(run_after=timezone.now() + delay).enqueue(message.pk)


# A delivery still "running" after this long lost its worker or its database (the task's row
# could not even be marked failed). Resuming one that is in fact still running is harmless:
# the second attempt waits for the message's row lock and skips it once sent.
DELIVERY_STALE_AFTER = timedelta(seconds=15)


def resume_stalled_deliveries() -> int:
    """Queue again every unsent message that no delivery task waits for or runs; returns how
    many. A worker that dies or loses its database in the middle of a delivery (or between a
    failure and scheduling the next attempt) leaves such a message behind, and nothing else
    would ever send it. Run by the worker at each heartbeat; sending twice is impossible, since
    `deliver` locks the message and skips one that is sent."""
    tasks = DBTaskResult.objects.filter(task_path=deliver_outbox_message.module_path)
    waiting = tasks.filter(status=TaskResultStatus.READY)
    running = tasks.filter(
        status=TaskResultStatus.RUNNING, started_at__gte=timezone.now() - DELIVERY_STALE_AFTER
    )
    pending = {
        args_kwargs["args"][0]
        for args_kwargs in (waiting | running).values_list("args_kwargs", flat=True)
        if args_kwargs.get("args")
    }
    unsent = OutboxMessage.objects.filter(
        status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.FAILED]
    ).values_list("pk", flat=True)
    stalled = [pk for pk in unsent if pk not in pending]
    for pk in stalled:
        deliver_outbox_message.enqueue(pk)
    return len(stalled)
