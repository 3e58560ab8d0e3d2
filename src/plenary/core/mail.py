"""The mail outbox: messages are stored in the transaction that caused them and delivered
by the background worker, so that a failing SMTP server never undoes or blocks an action."""

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage


def queue_mail(
    *, to: list[str], subject: str, body: str, cc: list[str] | None = None, language: str = "en"
) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        to=list(to), cc=list(cc or []), subject=subject, body=body, language=language
    )
    from .tasks import deliver_outbox_message

    transaction.on_commit(lambda: deliver_outbox_message.enqueue(message.pk))
    return message


def deliver(message_id: int) -> OutboxMessage:
    """Send one queued message over the configured backend; a sent message is never resent."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.status == OutboxMessage.Status.SENT:
            return message
        message.attempts += 1
        try:
            EmailMessage(
                subject=message.subject, body=message.body, to=message.to, cc=message.cc
            ).send(fail_silently=False)
        except OSError as error:  # smtplib.SMTPException is an OSError
            message.status = OutboxMessage.Status.FAILED
            message.last_error = f"{type(error).__name__}: {error}"
        else:
            message.status = OutboxMessage.Status.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
        message.save(update_fields=["status", "attempts", "sent_at", "last_error"])
    return message


def retry_failed() -> int:
    """Queue every failed message again; returns how many."""
    from .tasks import deliver_outbox_message

    ids = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).values_list(
            "pk", flat=True
        )
    )
    for message_id in ids:
        deliver_outbox_message.enqueue(message_id)
    return len(ids)
