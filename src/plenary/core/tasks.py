"""The worker's side of the mail outbox: delivering a queued message, and trying a failed one
again later. The delivery lives beside its task because a failure schedules the task again;
`mail` queues messages and imports this module, never the other way round."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task
from django_tasks.signals import task_finished, task_started
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import audit
from .models import OutboxMessage

log = logging.getLogger(__name__)

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


# --- Tasks whose worker died --------------------------------------------------------------------


class TaskAbandoned(Exception):
    """Recorded as the error of a task whose workers died under it too many times."""


def _abandoned_after() -> timedelta:
    return timedelta(seconds=settings.PLENARY_TASK_ABANDONED_AFTER_SECONDS)


# The task this process's worker is running now (set by django-tasks' signals): a task this
# worker claimed and is not running was dropped when the database failed under it.
_in_hand: dict[str, str | None] = {"task": None}


@receiver(task_started)
def _took(sender, task_result, **kwargs) -> None:
    _in_hand["task"] = str(task_result.id)


@receiver(task_finished)
def _done(sender, task_result, **kwargs) -> None:
    _in_hand["task"] = None


def recover_abandoned_tasks(alive: set[str], *, own: str = "", now=None) -> list[DBTaskResult]:
    """Put back in the queue every task that has been "running" longer than
    PLENARY_TASK_ABANDONED_AFTER_SECONDS for a worker that is not among `alive` (the
    workers that showed a sign of life lately, core.health.workers_alive): that worker was
    killed or lost its machine in the middle, and nothing else would ever finish the task.
    `own` is this process's worker: its own tasks count as abandoned unless it is running them
    (it lost the database under one, and took others since). A task is tried
    PLENARY_TASK_MAX_ATTEMPTS times in all (each worker that took it is in
    its `worker_ids`); then it is marked failed. Each decision is one audit event and a
    warning in the log. Returns the tasks changed.

    Our tasks are safe to run again from the start (a delivery locks its message and skips
    a sent one); a task cut off half-way has committed either everything or nothing."""
    now = now or timezone.now()
    changed = []
    running = DBTaskResult.objects.running().filter(started_at__lt=now - _abandoned_after())
    for task_result in running.order_by("started_at"):
        worker = task_result.worker_ids[-1] if task_result.worker_ids else ""
        in_hand = worker != own or str(task_result.pk) == _in_hand["task"]
        if worker in alive and in_hand:
            continue  # a long task, still being run
        if _recover(task_result, worker, now):
            changed.append(task_result)
    return changed


def _recover(task_result: DBTaskResult, worker: str, now) -> bool:
    attempts = len(task_result.worker_ids)
    failed = attempts >= settings.PLENARY_TASK_MAX_ATTEMPTS
    with transaction.atomic():
        # Only if nobody changed it since it was read (another worker's heartbeat, or the
        # worker itself, late but alive): one recovery per abandonment.
        unchanged = DBTaskResult.objects.filter(
            pk=task_result.pk, status=TaskResultStatus.RUNNING, started_at=task_result.started_at
        )
        if failed:
            error = TaskAbandoned(f"Its worker stopped in the middle, {attempts} times.")
            updated = unchanged.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{TaskAbandoned.__module__}.{TaskAbandoned.__qualname__}",
                traceback=f"{TaskAbandoned.__qualname__}: {error}\n",
            )
        else:
            updated = unchanged.update(status=TaskResultStatus.READY, started_at=None)
        if not updated:
            return False
        task_result.refresh_from_db()
        action = "task.abandoned" if failed else "task.requeued"
        audit.record(
            action,
            target=task_result,
            data={"task": task_result.task_path, "worker": worker, "attempts": attempts},
        )
    log.warning(
        "Task %s (%s) was left running by worker %s: %s after %s attempts.",
        task_result.pk,
        task_result.task_path,
        worker or "?",
        "given up" if failed else "queued again",
        attempts,
    )
    return True


# --- tasks that run again and again ---------------------------------------------------------
# Finished runs of such a task kept in the task table, newest first; older ones are removed.
KEPT_RUNS = 24


def schedule_once(recurring, *, after: timedelta = timedelta(0)) -> bool:
    """One run of a recurring task (one that schedules its own next run) in the queue,
    unless one already waits, due or not; True if enqueued. `plenary worker` calls this for
    each when it starts, in case none is waiting."""
    waiting = DBTaskResult.objects.filter(
        task_path=recurring.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return False
    recurring.using(run_after=timezone.now() + after).enqueue()
    return True


def forget_old_runs(recurring, kept: int = KEPT_RUNS) -> None:
    """Remove the finished runs of a recurring task but the newest `kept`."""
    finished = DBTaskResult.objects.finished().filter(task_path=recurring.module_path)
    newest = finished.order_by("-finished_at").values_list("pk", flat=True)[:kept]
    finished.exclude(pk__in=list(newest)).delete()
