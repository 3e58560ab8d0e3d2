"""The worker's side of registration: the reminder to name speakers (R11), every hour.

The task schedules its own next run; `plenary worker` schedules one when it starts, in case
none is waiting (as contributions.tasks does for the expiry of drafts)."""

import logging
from datetime import timedelta

from django_tasks import task

from plenary.core.tasks import forget_old_runs, schedule_once

from . import reminders

logger = logging.getLogger(__name__)

REMINDER_INTERVAL = timedelta(hours=1)


@task()
def remind_speakers() -> int:
    try:
        reminded = reminders.remind_all()
        if reminded:
            logger.info("%s delegations short of speakers were reminded.", reminded)
        return reminded
    finally:
        schedule_speaker_reminders(after=REMINDER_INTERVAL)
        forget_old_runs(remind_speakers)


def schedule_speaker_reminders(*, after: timedelta = timedelta(0)) -> bool:
    """One run in the queue unless one already waits; True if enqueued."""
    return schedule_once(remind_speakers, after=after)
