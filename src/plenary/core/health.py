"""What `/health` reports: the database, Redis, the background worker and LibreOffice in its
box (what counts a DOCX's pages and makes the report's PDF), each ok or down.

django-tasks' database backend records tasks, not workers. So `plenary worker` enqueues a
small heartbeat task at a fixed interval and runs it like any other: a recent finished
heartbeat shows that a worker is alive *and* takes tasks from the queue. A task that stays
ready long after it was due shows that the queue is not being served.
"""

import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks import task

from plenary.core import sandbox, tasks

OK = "ok"
DOWN = "down"
UNKNOWN = "unknown"
NOT_CONFIGURED = "not configured"

logger = logging.getLogger(__name__)


@dataclass
class Component:
    status: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"status": self.status, **self.details}


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def check_database() -> Component:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure of the database means it is down
        return Component(DOWN, {"vendor": connection.vendor, "error": type(error).__name__})
    return Component(OK, {"vendor": connection.vendor, "latency_ms": _elapsed_ms(started)})


def check_redis() -> Component:
    """A write and a read through the cache, which uses the same server as the channel layer."""
    if not settings.REDIS_URL:
        return Component(NOT_CONFIGURED)
    key = f"plenary:health:{secrets.token_hex(8)}"
    started = time.monotonic()
    try:
        cache.set(key, "pong", timeout=10)
        answer = cache.get(key)
        cache.delete(key)
    except Exception as error:  # any failure of Redis means it is down
        return Component(DOWN, {"error": type(error).__name__})
    if answer != "pong":
        return Component(DOWN, {"error": "the value written was not read back"})
    return Component(OK, {"latency_ms": _elapsed_ms(started)})


def _seconds_since(moment) -> int | None:
    if moment is None:
        return None
    return max(0, int((timezone.now() - moment).total_seconds()))


def oldest_overdue_task_age() -> int | None:
    """Seconds since the longest-waiting ready task became due (None if none is waiting)."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    ready = DBTaskResult.objects.ready()
    # A task without a start time is due from the moment it was enqueued.
    immediate = (
        ready.filter(run_after=get_date_max())
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    scheduled = (
        ready.exclude(run_after=get_date_max())
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    ages = [
        age for age in (_seconds_since(immediate), _seconds_since(scheduled)) if age is not None
    ]
    return max(ages) if ages else None


def last_heartbeat():
    from django_tasks_db.models import DBTaskResult

    return (
        DBTaskResult.objects.successful()
        .filter(task_path=HEARTBEAT_TASK_PATH)
        .order_by("-finished_at")
        .only("finished_at", "worker_ids")
        .first()
    )


def check_worker() -> Component:
    """Down when no worker ran a heartbeat lately or a ready task waits beyond its due time."""
    try:
        beat = last_heartbeat()
        overdue = oldest_overdue_task_age()
    except Exception as error:  # without the database nothing is known
        return Component(UNKNOWN, {"error": type(error).__name__})
    seen = _seconds_since(beat.finished_at) if beat else None
    details = {
        "last_seen": beat.finished_at.isoformat() if beat else None,
        "seconds_since_seen": seen,
        "oldest_overdue_task_seconds": overdue,
    }
    problems = []
    if seen is None:
        problems.append("no worker has been seen")
    elif seen > settings.PLENARY_WORKER_SILENT_AFTER_SECONDS:
        problems.append("no worker has been seen recently")
    if overdue is not None and overdue > settings.PLENARY_TASK_OVERDUE_AFTER_SECONDS:
        problems.append("a task waits beyond its due time")
    if problems:
        return Component(DOWN, {**details, "problems": problems})
    return Component(OK, details)


def check_libreoffice() -> Component:
    """Down when LibreOffice is not installed or no box isolates it (bubblewrap, or
    unshare): DOCX uploads are then refused, since their pages cannot be counted."""
    office = sandbox.soffice()
    box = sandbox.mechanism()
    details = {"command": office, "sandbox": box, "render_slots": sandbox.concurrency()}
    problems = []
    if office is None:
        problems.append("LibreOffice (soffice) is not installed")
    if box is None:
        problems.append("neither bwrap nor unshare can isolate a program")
    if problems:
        return Component(DOWN, {**details, "problems": problems})
    return Component(OK, details)


def health_report() -> tuple[bool, dict]:
    """Whether every component is up, and the report for `/health`."""
    components = {
        "database": check_database(),
        "redis": check_redis(),
        "worker": check_worker(),
        "libreoffice": check_libreoffice(),
    }
    healthy = all(c.status in (OK, NOT_CONFIGURED) for c in components.values())
    return healthy, {
        "status": OK if healthy else DOWN,
        "components": {name: c.as_dict() for name, c in components.items()},
    }


# --- The worker's heartbeat -------------------------------------------------------------


@task()
def worker_heartbeat(sender: str) -> str:
    """Run by whichever worker takes it; older heartbeats are removed, the newest kept."""
    from django_tasks_db.models import DBTaskResult

    kept = timedelta(seconds=settings.PLENARY_WORKER_SILENT_AFTER_SECONDS * 10)
    DBTaskResult.objects.finished().filter(
        task_path=HEARTBEAT_TASK_PATH, finished_at__lt=timezone.now() - kept
    ).delete()
    return sender


HEARTBEAT_TASK_PATH = worker_heartbeat.module_path


# This process's name as a worker: the id `plenary worker` gives the database worker (it is
# in the `worker_ids` of each task it takes) and the argument of its heartbeats.
WORKER_ID = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def _worker_name() -> str:
    return WORKER_ID


def enqueue_heartbeat() -> bool:
    """This worker's heartbeat in the queue, enqueued now: a new one, or the one of this worker
    still waiting there (the worker is busy with a long task) moved to now. Its time is the
    worker's last sign of life (workers_alive)."""
    from django_tasks_db.models import DBTaskResult

    mine = DBTaskResult.objects.ready().filter(
        task_path=HEARTBEAT_TASK_PATH, args_kwargs__args__0=_worker_name()
    )
    if mine.update(enqueued_at=timezone.now()):
        return False
    worker_heartbeat.enqueue(_worker_name())
    return True


def workers_alive() -> set[str]:
    """The workers that enqueued a heartbeat within PLENARY_WORKER_SILENT_AFTER_SECONDS."""
    from django_tasks_db.models import DBTaskResult

    since = timezone.now() - timedelta(seconds=settings.PLENARY_WORKER_SILENT_AFTER_SECONDS)
    beats = DBTaskResult.objects.filter(task_path=HEARTBEAT_TASK_PATH, enqueued_at__gte=since)
    return {args["args"][0] for args in beats.values_list("args_kwargs", flat=True) if args["args"]}


def recover_abandoned_tasks() -> int:
    """Tasks left running by a worker that is gone, queued again (core.tasks)."""
    own = _worker_name()
    return len(tasks.recover_abandoned_tasks(workers_alive() | {own}, own=own))


def start_heartbeat() -> threading.Thread:
    """A background thread of `plenary worker` that enqueues a heartbeat at each interval."""

    def beat() -> None:
        while True:
            try:
                enqueue_heartbeat()
                recover_abandoned_tasks()
                resumed = tasks.resume_stalled_deliveries()
                if resumed:
                    logger.warning("%s unsent e-mails had no delivery task: queued again.", resumed)
            except Exception:
                # The next beat tries again; meanwhile /health shows the gap.
                logger.exception("The worker's heartbeat could not be enqueued.")
            finally:
                close_old_connections()
                connection.close()
            time.sleep(settings.PLENARY_WORKER_HEARTBEAT_SECONDS)

    thread = threading.Thread(target=beat, name="plenary-heartbeat", daemon=True)
    thread.start()
    return thread
