"""`/health` reports the database, Redis, the worker and LibreOffice in its box, and answers
503 when one is down."""

import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from plenary.cli import main as plenary
from plenary.core.health import HEARTBEAT_TASK_PATH
from plenary.core.tasks import deliver_outbox_message

REDIS_URL = os.environ.get("PLENARY_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


def closed_port() -> int:
    """A loopback port where nothing listens: a real server that cannot be reached."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def use_redis(settings, url: str) -> None:
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 3, "socket_timeout": 3},
        }
    }


def run_worker_once() -> None:
    # The worker commits as it goes, so the tests that run it use transaction=True.
    assert plenary(["worker", "--batch", "--interval", "0"]) == 0


@pytest.mark.django_db
def test_no_worker_seen_is_reported_down_with_503(client):
    response = client.get("/health")

    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "down"
    assert report["components"]["database"]["status"] == "ok"
    engine = django_settings.DATABASES["default"]["ENGINE"]
    expected_vendor = "sqlite" if engine.endswith("sqlite3") else "postgresql"
    assert report["components"]["database"]["vendor"] == expected_vendor
    assert report["components"]["redis"] == {"status": "not configured"}
    assert report["components"]["worker"]["status"] == "down"
    assert report["components"]["worker"]["last_seen"] is None
    assert report["components"]["worker"]["problems"] == ["no worker has been seen"]


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_ran_its_heartbeat_makes_health_ok(client):
    run_worker_once()

    response = client.get("/health")

    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok"
    worker = report["components"]["worker"]
    assert worker["status"] == "ok"
    assert worker["seconds_since_seen"] <= 5
    assert worker["oldest_overdue_task_seconds"] is None
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db(transaction=True)
def test_a_silent_worker_is_reported_down(client, settings):
    run_worker_once()
    long_ago = timezone.now() - timedelta(seconds=settings.PLENARY_WORKER_SILENT_AFTER_SECONDS + 60)
    DBTaskResult.objects.filter(task_path=HEARTBEAT_TASK_PATH).update(finished_at=long_ago)

    response = client.get("/health")

    assert response.status_code == 503
    worker = response.json()["components"]["worker"]
    assert worker["status"] == "down"
    assert worker["problems"] == ["no worker has been seen recently"]
    assert worker["seconds_since_seen"] >= settings.PLENARY_WORKER_SILENT_AFTER_SECONDS + 60


@pytest.mark.django_db(transaction=True)
def test_a_task_waiting_beyond_its_due_time_is_reported(client, settings):
    run_worker_once()
    waiting = deliver_outbox_message.enqueue(0)
    overdue = settings.PLENARY_TASK_OVERDUE_AFTER_SECONDS + 120
    DBTaskResult.objects.filter(pk=waiting.id).update(
        enqueued_at=timezone.now() - timedelta(seconds=overdue)
    )
    # A task planned for later is not overdue.
    deliver_outbox_message.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(0)

    response = client.get("/health")

    assert response.status_code == 503
    worker = response.json()["components"]["worker"]
    assert worker["problems"] == ["a task waits beyond its due time"]
    assert overdue <= worker["oldest_overdue_task_seconds"] <= overdue + 30


@pytest.mark.django_db(transaction=True)
def test_a_task_due_a_short_while_ago_is_not_a_problem(client, settings):
    run_worker_once()
    waiting = deliver_outbox_message.enqueue(0)
    DBTaskResult.objects.filter(pk=waiting.id).update(
        enqueued_at=timezone.now() - timedelta(seconds=10)
    )

    response = client.get("/health")

    assert response.status_code == 200
    assert 10 <= response.json()["components"]["worker"]["oldest_overdue_task_seconds"] < 60


@pytest.mark.django_db(transaction=True)
def test_redis_answering_is_reported_ok(client, settings):
    use_redis(settings, REDIS_URL)
    run_worker_once()

    response = client.get("/health")

    assert response.status_code == 200
    redis = response.json()["components"]["redis"]
    assert redis["status"] == "ok"
    assert redis["latency_ms"] >= 0


@pytest.mark.django_db(transaction=True)
def test_unreachable_redis_is_reported_down_with_503(client, settings):
    use_redis(settings, f"redis://127.0.0.1:{closed_port()}/12")
    run_worker_once()

    response = client.get("/health")

    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "down"
    assert report["components"]["redis"] == {"status": "down", "error": "ConnectionError"}
    assert report["components"]["database"]["status"] == "ok"
    assert report["components"]["worker"]["status"] == "ok"


def test_unreachable_database_is_reported_down_with_503(tmp_path):
    script = (
        "import json, django; django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/health')\n"
        "print(json.dumps({'code': response.status_code, 'report': response.json()}))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "plenary.settings",
        "PLENARY_ALLOWED_HOSTS": "testserver",
        "PLENARY_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/plenary",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["code"] == 503
    components = answer["report"]["components"]
    assert components["database"] == {
        "status": "down",
        "vendor": "postgresql",
        "error": "OperationalError",
    }
    assert components["worker"]["status"] == "unknown"


def _database_url() -> str:
    database = django_settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    return (
        f"postgres://{database['USER']}{password}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_keeps_health_ok_with_its_heartbeat(client, tmp_path):
    env = {
        **os.environ,
        "PLENARY_VAR_DIR": str(tmp_path),
        "DATABASE_URL": _database_url(),
        "PLENARY_WORKER_HEARTBEAT_SECONDS": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "plenary.cli", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        beats = 0
        while time.monotonic() < deadline:
            response = client.get("/health")
            beats = DBTaskResult.objects.successful().filter(task_path=HEARTBEAT_TASK_PATH).count()
            if response.status_code == 200 and beats >= 2:
                break
            time.sleep(0.3)
        assert worker.poll() is None, worker.stderr.read().decode()
        assert response.status_code == 200, response.json()
        # A second heartbeat: the thread keeps beating, it did not just run once.
        assert beats >= 2
    finally:
        worker.terminate()
        worker.wait(timeout=15)


@pytest.mark.django_db(transaction=True)
def test_libreoffice_and_its_box_are_reported(client, monkeypatch, settings):
    run_worker_once()
    settings.PLENARY_RENDER_CONCURRENCY = 3
    response = client.get("/health")
    assert response.status_code == 200, response.json()
    office = response.json()["components"]["libreoffice"]
    assert office["status"] == "ok"
    assert office["sandbox"] == "bwrap" and office["command"].endswith("soffice")
    assert office["render_slots"] == 3

    # Without a box DOCX uploads are refused: /health says LibreOffice is down.
    monkeypatch.setenv("PLENARY_SANDBOX", "none")
    response = client.get("/health")
    assert response.status_code == 503
    office = response.json()["components"]["libreoffice"]
    assert office["status"] == "down" and office["sandbox"] is None
    assert office["problems"] == ["neither bwrap nor unshare can isolate a program"]

    # Without LibreOffice on the PATH, the same.
    monkeypatch.delenv("PLENARY_SANDBOX")
    monkeypatch.setenv("PATH", "/nonexistent")
    office = client.get("/health").json()["components"]["libreoffice"]
    assert office["status"] == "down" and office["command"] is None
    assert "LibreOffice (soffice) is not installed" in office["problems"]
