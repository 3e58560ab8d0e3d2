"""The mail outbox: messages are stored in the transaction that caused them and delivered
by the background worker (`tasks`), so that a failing SMTP server never undoes or blocks
an action."""

from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboxMessage

# `deliver` is named here too: the outbox is used through this module, its delivery included.
from .tasks import deliver, deliver_outbox_message  # noqa: F401


def queue_mail(
    *,
    to: list[str],
    subject: str,
    body: str,
    cc: list[str] | None = None,
    language: str = "en",
    attachments: list[str] | None = None,
    reply_to: list[str] | None = None,
    key: str = "",
    delay: timedelta | None = None,
) -> OutboxMessage:
    """`attachments` are file names in the default storage (e.g. an uploaded contribution).

    A message with a `key` replaces the unsent (queued or failed) messages of the same key,
    which are cancelled and never go: the reader gets only the newest, e.g. one personal
    link rather than a dead one followed by the good one. `delay` holds the message back so
    that a change following close behind replaces it before it is sent."""
    if key:
        OutboxMessage.objects.filter(
            key=key, status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.FAILED]
        ).update(status=OutboxMessage.Status.CANCELLED, last_error="replaced by a newer message")
    message = OutboxMessage.objects.create(
        to=list(to),
        cc=list(cc or []),
        subject=subject,
        body=body,
        language=language,
        attachments=list(attachments or []),
        reply_to=list(reply_to or []),
        key=key,
    )
    if delay:
        deliver_outbox_message.using(run_after=timezone.now() + delay).enqueue(message.pk)
        return message
    # The delivery task is a row of the same database, written in the same transaction as the
    # message: both are committed or neither. Enqueued after commit instead, a crash between
    # the two commits (seen with PostgreSQL killed during a registration burst) left a message
    # queued with no task to send it.
    deliver_outbox_message.enqueue(message.pk)
    return message


def retry_failed() -> int:
    """Queue every failed message again; returns how many."""
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
    reply_to: list[str] | None = None,
) -> OutboxMessage:
    """One message written in its reader's language: `subject` is a (lazy) translation
    taking %-`params`, `template` a text template rendered with `context`."""
    with translation.override(language):
        return queue_mail(
            to=[to],
            cc=cc,
            subject=str(subject) % params,
            body=render_to_string(template, context),
            language=language,
            attachments=attachments,
            reply_to=reply_to,
        )
