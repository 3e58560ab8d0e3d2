"""The mail outbox: messages are stored in the transaction that caused them and delivered
by the background worker, so that a failing SMTP server never undoes or blocks an action."""

from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage


def queue_mail(
    *,
    to: list[str],
    subject: str,
    body: str,
    cc: list[str] | None = None,
    language: str = "en",
    attachments: list[str] | None = None,
) -> OutboxMessage:
    """`attachments` are file names in the default storage (e.g. an uploaded contribution)."""
    message = OutboxMessage.objects.create(
        to=list(to),
        cc=list(cc or []),
        subject=subject,
        body=body,
        language=language,
        attachments=list(attachments or []),
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
            email = EmailMessage(
                subject=message.subject, body=message.body, to=message.to, cc=message.cc
            )
            for name in message.attachments:
                with default_storage.open(name, "rb") as handle:
                    email.attach(name.rsplit("/", 1)[-1], handle.read())
            email.send(fail_silently=False)
        except OSError as error:  # smtplib.SMTPException is an OSError
            message.status = OutboxMessage.Status.FAILED
            message.last_error = f"{type(error).__name__}: {error}"
        else:
            message.status = OutboxMessage.Status.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
        message.save(update_fields=["status", "attempts", "sent_at", "last_error"])
    if message.status == OutboxMessage.Status.FAILED:
        _retry_later(message)
    return message


# A message that could not be sent is tried again after 2, 4, 8 … seconds, then every
# RETRY_CEILING, until the server takes it: nobody has to notice that SMTP was down.
RETRY_CEILING = timedelta(minutes=1)


def _retry_later(message: OutboxMessage) -> None:
    from .tasks import deliver_outbox_message

    delay = min(timedelta(seconds=2 ** min(message.attempts, 16)), RETRY_CEILING)
    deliver_outbox_message.using(run_after=timezone.now() + delay).enqueue(message.pk)


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


def mail_in_language(
    *,
    to: str,
    language: str,
    subject,
    params: dict,
    template: str,
    context: dict,
    cc: list[str] | None = None,
    attachments: list[str] | None = None,
) -> OutboxMessage:
    """One message written in its reader's language: `subject` is a (lazy) translation
    taking %-`params`, `template` a text template rendered with `context`."""
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(language):
        return queue_mail(
            to=[to],
            cc=cc,
            subject=str(subject) % params,
            body=render_to_string(template, context),
            language=language,
            attachments=attachments,
        )
