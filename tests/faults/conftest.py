"""A whole Plenary site of separate processes for the fault tests: a private PostgreSQL
cluster and a private Redis (never the shared ones on 5432 and 6379), the application
server and the background worker, on free loopback ports.

The fault tests do not use the test run's own database: they run the same way in the
SQLite run and in the PostgreSQL run of bin/test, because what they exercise — a crash of
PostgreSQL, Redis or the server under load — needs servers that they own and may kill."""

import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from .processes import REPO, App, Postgres, Redis, Worker, free_port, plenary


class Site:
    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.postgres = Postgres(free_port(), log_dir)
        self.redis = Redis(free_port(), log_dir)
        self.var_dir = Path(tempfile.mkdtemp(prefix="plenary-faults-var-"))
        self.app: App | None = None
        self.worker: Worker | None = None

    def env(self, **extra) -> dict:
        return {
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "PLENARY_VAR_DIR": str(self.var_dir),
            "PLENARY_LOG_LEVEL": "warning",
            **extra,
        }

    def prepare(self, scenario: str, **arguments) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.prepare", scenario, json.dumps(arguments)],
            env={**_clean_environment(), **self.env()},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"prepare {scenario} failed:\n{done.stdout}\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_app(self, **extra_env) -> App:
        self.app = App(free_port(), self.log_dir, self.env(**extra_env))
        self.app.start(timeout=60)
        return self.app

    def start_worker(self, **extra_env) -> Worker:
        self.worker = Worker(0, self.log_dir, self.env(**extra_env))
        self.worker.start()
        return self.worker

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.app.port}"

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """What the database holds, read directly: the test's measure of the truth."""
        with psycopg.connect(
            host="127.0.0.1",
            port=self.postgres.port,
            user="postgres",
            dbname="plenary",
            connect_timeout=3,
        ) as connection:
            return connection.execute(sql, params).fetchall()

    def stop_processes(self) -> None:
        for process in (self.worker, self.app):
            if process is not None:
                process.kill()
        self.worker = self.app = None


def _clean_environment() -> dict:
    import os

    env = os.environ.copy()
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@pytest.fixture(scope="session")
def fault_site():
    """PostgreSQL and Redis of their own, migrated, with VCC-2 loaded once for all the
    fault scenarios (each scenario works on data of its own: other delegations, e-mail
    addresses, a ballot of its own)."""
    log_dir = Path(tempfile.mkdtemp(prefix="plenary-faults-logs-"))
    site = Site(log_dir)
    try:
        site.postgres.start()
        site.postgres.create_database()
        site.redis.start()
        plenary(site.env(), "manage", "migrate", "--noinput", "--verbosity", "0")
        plenary(site.env(), "load-scenario", "vcc2")
        yield site
    finally:
        site.stop_processes()
        site.redis.kill()
        site.postgres.remove()
        import shutil

        shutil.rmtree(site.var_dir, ignore_errors=True)


@pytest.fixture
def site(fault_site, request):
    """The shared site with the application server and the worker started for one test and
    killed after it; PostgreSQL and Redis brought back if the test left them down."""
    for server in (fault_site.postgres, fault_site.redis):
        if server.popen is None or server.popen.poll() is not None:
            server.start()
    yield fault_site
    fault_site.stop_processes()
    for server in (fault_site.postgres, fault_site.redis):
        if server.popen is None or server.popen.poll() is not None:
            server.start()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        for path in sorted(fault_site.log_dir.glob("*.log")):
            with contextlib.suppress(OSError):
                print(f"--- {path.name}\n" + path.read_text(errors="replace")[-4000:])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
