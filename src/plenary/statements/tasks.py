"""The worker's side of statements for interpreters: the files of those whose meeting ended
their consultation's statement_withdraw_hours ago are deleted, every quarter of an hour.
(Reading is refused from that moment on whatever the worker does: the task removes the
files, the check is made at each reading.)

The task schedules its own next run; `plenary worker` schedules one when it starts, in case
none is waiting."""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import withdrawal

logger = logging.getLogger(__name__)

WITHDRAWAL_INTERVAL = timedelta(minutes=15)
# Finished runs kept in the task table, newest first; older ones are removed.
KEPT_RUNS = 24


@task()
def withdraw_statements() -> int:
    try:
        withdrawn = withdrawal.withdraw_after_meetings()
        if withdrawn:
            logger.info("%s statements for interpreters were withdrawn.", withdrawn)
        return withdrawn
    finally:
        schedule_withdrawal(after=WITHDRAWAL_INTERVAL)
        _forget_old_runs()


def schedule_withdrawal(*, after: timedelta = timedelta(0)) -> bool:
    """One run of the withdrawal in the queue, unless one already waits; True if enqueued."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=withdraw_statements.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return False
    withdraw_statements.using(run_after=timezone.now() + after).enqueue()
    return True


def _forget_old_runs() -> None:
    from django_tasks_db.models import DBTaskResult

    finished = DBTaskResult.objects.finished().filter(task_path=withdraw_statements.module_path)
    kept = finished.order_by("-finished_at").values_list("pk", flat=True)[:KEPT_RUNS]
    finished.exclude(pk__in=list(kept)).delete()
