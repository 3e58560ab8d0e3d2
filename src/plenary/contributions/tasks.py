"""The worker's side of contributions: drafts older than their consultation's
contribution_draft_days are deleted with their files, once an hour.

The task schedules its own next run; `plenary worker` schedules one when it starts, in case
none is waiting (a first start, or a worker that died in the middle of a run)."""

import logging
from datetime import timedelta

from django_tasks import task

from plenary.core.tasks import forget_old_runs, schedule_once

from . import drafts

logger = logging.getLogger(__name__)

EXPIRY_INTERVAL = timedelta(hours=1)


@task()
def expire_drafts() -> int:
    try:
        deleted = drafts.expire()
        if deleted:
            logger.info("%s drafts past their days were deleted.", deleted)
        return deleted
    finally:
        schedule_expiry(after=EXPIRY_INTERVAL)
        forget_old_runs(expire_drafts)


def schedule_expiry(*, after: timedelta = timedelta(0)) -> bool:
    """One run in the queue unless one already waits; True if enqueued."""
    return schedule_once(expire_drafts, after=after)
