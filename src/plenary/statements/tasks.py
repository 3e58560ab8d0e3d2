"""The worker's side of statements for interpreters: the files of those whose meeting ended
their consultation's statement_withdraw_hours ago are deleted, every quarter of an hour.
(Reading is refused from that moment on whatever the worker does: the task removes the
files, the check is made at each reading.)

The task schedules its own next run; `plenary worker` schedules one when it starts, in case
none is waiting."""

import logging
from datetime import timedelta

from django_tasks import task

from plenary.core.tasks import forget_old_runs, schedule_once

from . import withdrawal

logger = logging.getLogger(__name__)

WITHDRAWAL_INTERVAL = timedelta(minutes=15)


@task()
def withdraw_statements() -> int:
    try:
        withdrawn = withdrawal.withdraw_after_meetings()
        if withdrawn:
            logger.info("%s statements for interpreters were withdrawn.", withdrawn)
        return withdrawn
    finally:
        schedule_withdrawal(after=WITHDRAWAL_INTERVAL)
        forget_old_runs(withdraw_statements)


def schedule_withdrawal(*, after: timedelta = timedelta(0)) -> bool:
    """One run in the queue unless one already waits; True if enqueued."""
    return schedule_once(withdraw_statements, after=after)
