"""A task for the tests of abandoned tasks: it takes its time, so that a worker can be
killed while it runs. Imported by the worker processes the tests start (by its path)."""

import time

from django_tasks import task


@task()
def sleep_then_answer(seconds: float) -> str:
    time.sleep(seconds)
    return "done"
