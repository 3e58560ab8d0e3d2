"""The worker's side of registration: the reminder to name speakers (R11), every hour.

The task schedules its own next run; `plenary worker` schedules one when it starts, in case
none is waiting (as contributions.tasks does for the expiry of drafts)."""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import reminders

logger = logging.getLogger(__name__)

REMINDER_INTERVAL = timedelta(hours=1)
# Finished runs kept in the task table, newest first; older ones are removed.
KEPT_RUNS = 24


@task()
def remind_speakers() -> int:
    try:
        reminded = reminders.remind_all()
        if reminded:
            logger.info("%s delegations short of speakers were reminded.", reminded)
        return reminded
    finally:
        schedule_speaker_reminders(after=REMINDER_INTERVAL)
        _forget_old_runs()


def schedule_speaker_reminders(*, after: timedelta = timedelta(0)) -> bool:
    """One run of the reminder in the queue, unless one already waits (due or not); True if
    enqueued."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=remind_speakers.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return False
    remind_speakers.using(run_after=timezone.now() + after).enqueue()
    return True


def _forget_old_runs() -> None:
    from django_tasks_db.models import DBTaskResult

    finished = DBTaskResult.objects.finished().filter(task_path=remind_speakers.module_path)
    kept = finished.order_by("-finished_at").values_list("pk", flat=True)[:KEPT_RUNS]
    finished.exclude(pk__in=list(kept)).delete()
