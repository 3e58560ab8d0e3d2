"""A task whose worker died in the middle does not stay "running" for ever: once it has run
longer than PLENARY_TASK_ABANDONED_AFTER_SECONDS for a worker that no longer beats, it is
queued again and another worker runs it — at most PLENARY_TASK_MAX_ATTEMPTS times in all,
each decision in the audit trail."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from plenary.core import health
from plenary.core.models import AuditEvent
from plenary.core.tasks import recover_abandoned_tasks

from .slow_tasks import sleep_then_answer
from .test_health import _database_url

REPO = Path(__file__).resolve().parents[2]


def _running(worker_ids: list[str], *, for_seconds: float) -> DBTaskResult:
    """A task as a worker leaves it when it is killed while running it."""
    result = sleep_then_answer.enqueue(0)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=for_seconds),
        worker_ids=worker_ids,
    )
    return DBTaskResult.objects.get(pk=result.id)


@pytest.mark.django_db
def test_only_a_task_left_long_enough_by_a_silent_worker_is_queued_again(settings):
    settings.PLENARY_TASK_ABANDONED_AFTER_SECONDS = 60
    settings.PLENARY_TASK_MAX_ATTEMPTS = 3
    abandoned = _running(["gone"], for_seconds=120)
    long_task = _running(["alive"], for_seconds=3600)  # its worker still beats
    recent = _running(["gone"], for_seconds=10)  # may still be starting up elsewhere
    tried_out = _running(["gone-1", "gone-2", "gone"], for_seconds=120)

    changed = recover_abandoned_tasks({"alive"})

    assert {t.pk for t in changed} == {abandoned.pk, tried_out.pk}
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses[abandoned.pk] == TaskResultStatus.READY
    assert statuses[long_task.pk] == statuses[recent.pk] == TaskResultStatus.RUNNING
    failed = DBTaskResult.objects.get(pk=tried_out.pk)
    assert failed.status == TaskResultStatus.FAILED
    assert failed.exception_class_path == "plenary.core.tasks.TaskAbandoned"
    requeued = AuditEvent.objects.get(action="task.requeued")
    assert requeued.target_id == str(abandoned.pk)
    assert requeued.data == {"task": abandoned.task_path, "worker": "gone", "attempts": 1}
    assert AuditEvent.objects.get(action="task.abandoned").target_id == str(tried_out.pk)
    # Done once: a second heartbeat finds nothing left to recover.
    assert recover_abandoned_tasks({"alive"}) == []


@pytest.mark.django_db
def test_a_task_its_own_worker_dropped_is_queued_again(settings):
    """The database went away under the task: the worker lives on, but no longer runs it."""
    settings.PLENARY_TASK_ABANDONED_AFTER_SECONDS = 60
    dropped = _running([health.WORKER_ID], for_seconds=120)
    assert [t.pk for t in recover_abandoned_tasks({health.WORKER_ID}, own=health.WORKER_ID)] == [
        dropped.pk
    ]


@pytest.mark.django_db
def test_a_busy_worker_still_shows_it_is_alive():
    """A worker busy with a long task does not run its heartbeat, but its heartbeat thread
    moves the waiting one to now: the worker is seen, its task left alone."""
    assert health.enqueue_heartbeat() is True
    waiting = DBTaskResult.objects.get(task_path=health.HEARTBEAT_TASK_PATH)
    DBTaskResult.objects.filter(pk=waiting.pk).update(
        enqueued_at=timezone.now() - timedelta(hours=1)
    )
    assert health.WORKER_ID not in health.workers_alive()
    assert health.enqueue_heartbeat() is False  # the same one, moved to now
    assert DBTaskResult.objects.filter(task_path=health.HEARTBEAT_TASK_PATH).count() == 1
    assert health.WORKER_ID in health.workers_alive()


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "plenary.cli", "worker", "--interval", "0.2"],
        env=env,
        cwd=REPO,  # the test task is imported from tests.core
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_was_killed_is_finished_by_the_next_worker(tmp_path):
    env = {
        **os.environ,
        "PLENARY_VAR_DIR": str(tmp_path),
        "DATABASE_URL": _database_url(),
        "PLENARY_WORKER_HEARTBEAT_SECONDS": "1",
        "PLENARY_WORKER_SILENT_AFTER_SECONDS": "3",
        "PLENARY_TASK_ABANDONED_AFTER_SECONDS": "2",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    task_id = sleep_then_answer.enqueue(6).id
    first = _worker(env)
    second = None
    try:
        running = _until(
            lambda: DBTaskResult.objects.filter(pk=task_id, status="RUNNING").first(),
            30,
            "the first worker takes the task",
        )
        os.killpg(first.pid, signal.SIGKILL)  # in the middle of the task, no clean-up
        first.wait(timeout=10)
        time.sleep(1)
        assert DBTaskResult.objects.get(pk=task_id).status == TaskResultStatus.RUNNING
        second = _worker(env)
        done = _until(
            lambda: DBTaskResult.objects.filter(pk=task_id, status="SUCCESSFUL").first(),
            60,
            "the second worker finishes the task",
        )
        assert second.poll() is None, second.stderr.read().decode()[-2000:]
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=15)
    assert done.return_value == "done"
    killed = running.worker_ids[-1]
    assert len(done.worker_ids) == 2 and done.worker_ids[0] == killed != done.worker_ids[1]
    event = AuditEvent.objects.get(action="task.requeued", target_id=str(task_id))
    assert event.data["worker"] == killed
