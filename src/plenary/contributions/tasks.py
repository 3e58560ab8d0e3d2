"""The worker's side of contributions: drafts older than their consultation's
contribution_draft_days are deleted with their files, once an hour.

The task schedules its own next run; `plenary worker` schedules one when it starts, in case
none is waiting (a first start, or a worker that died in the middle of a run)."""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import drafts

logger = logging.getLogger(__name__)

EXPIRY_INTERVAL = timedelta(hours=1)
# Finished runs kept in the task table, newest first; older ones are removed.
KEPT_RUNS = 24


@task()
def expire_drafts() -> int:
    try:
        deleted = drafts.expire()
        if deleted:
            logger.info("%s drafts past their days were deleted.", deleted)
        return deleted
    finally:
        schedule_expiry(after=EXPIRY_INTERVAL)
        _forget_old_runs()


def schedule_expiry(*, after: timedelta = timedelta(0)) -> bool:
    """One run of the expiry in the queue, unless one already waits (due or not); True if
    enqueued."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=expire_drafts.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return False
    expire_drafts.using(run_after=timezone.now() + after).enqueue()
    return True


def _forget_old_runs() -> None:
    from django_tasks_db.models import DBTaskResult

    finished = DBTaskResult.objects.finished().filter(task_path=expire_drafts.module_path)
    kept = finished.order_by("-finished_at").values_list("pk", flat=True)[:KEPT_RUNS]
    finished.exclude(pk__in=list(kept)).delete()
