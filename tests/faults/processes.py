"""The parts of a Plenary site as separate processes on loopback, each of which a fault test
can kill (SIGKILL, no clean shutdown) and start again on the same port: a private PostgreSQL
cluster, a private Redis, the application server and the background worker.

Never the shared PostgreSQL (5432) or Redis (6379): other test runs use them."""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .nginx import websocket_proxy_conf

PG_BIN = Path(os.environ.get("PLENARY_PG_BIN", "/usr/lib/postgresql/15/bin"))
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not reached within {timeout} s")


class Process:
    """One child process in a session of its own, so that SIGKILL reaches all of it."""

    name = "process"

    def __init__(self, port: int, log_dir: Path):
        self.port = port
        self.log_path = log_dir / f"{self.name}-{port}.log"
        self.popen: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict:
        return os.environ.copy()

    def popen_options(self) -> dict:
        return {}

    def ready(self) -> bool:
        return port_open(self.port)

    def start(self, timeout: float = 30) -> float:
        """Start and wait until it serves; returns the monotonic time it became ready."""
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.environment(),
            cwd=REPO,
            start_new_session=True,
            **self.popen_options(),
        )
        log.close()

        def up():
            if self.popen.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.popen.returncode}; last log lines:\n"
                    + self.tail()
                )
            return self.ready()

        wait_until(up, timeout, f"{self.name} on port {self.port}")
        return time.monotonic()

    def kill(self) -> None:
        """A crash: SIGKILL to the whole process group, no chance to clean up."""
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        wait_until(lambda: not port_open(self.port), 10, f"{self.name} port closed")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Postgres(Process):
    """A throw-away cluster (initdb, trust authentication) owned by the `postgres` user when
    the tests run as root, since PostgreSQL refuses to run as root."""

    name = "postgres"

    def __init__(self, port: int, log_dir: Path):
        super().__init__(port, log_dir)
        for program in ("initdb", "postgres", "pg_isready"):
            if not (PG_BIN / program).exists():
                raise AssertionError(
                    f"PostgreSQL server binaries not found: {PG_BIN / program} is missing. "
                    "The fault tests start their own PostgreSQL; install postgresql-15 "
                    "(or set PLENARY_PG_BIN to the directory holding initdb and postgres)."
                )
        self.root = Path(tempfile.mkdtemp(prefix="plenary-faults-pg-"))
        self.data = self.root / "data"
        # As root, the server runs as `postgres`, switched to by Popen itself (not runuser),
        # so that the test reaps the killed postmaster: a zombie would keep its pid alive and
        # the restart would refuse to start ("lock file postmaster.pid already exists").
        self.user: dict = {}
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise AssertionError(
                    "Running as root, but there is no `postgres` user to own the test cluster "
                    "(PostgreSQL refuses to run as root)."
                ) from None
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self.user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        subprocess.run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=self.root,
            **self.user,
        )

    def popen_options(self) -> dict:
        return self.user

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/plenary"

    def command(self) -> list[str]:
        return [
            str(PG_BIN / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self.root}",
            "-c",
            "max_connections=200",
            # Crashes are of the server process, not of the machine: durability against
            # power loss is not what is tested, and fsync would slow every commit.
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=on",
            "-c",
            "full_page_writes=off",
        ]

    def ready(self) -> bool:
        return (
            subprocess.run(
                [
                    str(PG_BIN / "pg_isready"),
                    "-q",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                ],
                check=False,
            ).returncode
            == 0
        )

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute("CREATE DATABASE plenary")

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


class Redis(Process):
    name = "redis"

    def command(self) -> list[str]:
        return [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class PlenaryProcess(Process):
    """`plenary serve` or `plenary worker` on the private database and Redis."""

    def __init__(self, port: int, log_dir: Path, env: dict):
        super().__init__(port, log_dir)
        self.env = env

    def environment(self) -> dict:
        env = os.environ.copy()
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(self.env)
        return env


class App(PlenaryProcess):
    name = "app"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "plenary.cli", "serve", "--port", str(self.port)]

    def ready(self) -> bool:
        return port_open(self.port)


class Worker(PlenaryProcess):
    name = "worker"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "plenary.cli", "worker", "--interval", "0.2"]

    def ready(self) -> bool:
        return True

    def kill(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


def plenary(env: dict, *args: str, timeout: float = 300) -> str:
    """Run a `plenary` command against the private site; its standard output."""
    full = os.environ.copy()
    full.pop("DJANGO_SETTINGS_MODULE", None)
    full.update(env)
    done = subprocess.run(
        [sys.executable, "-m", "plenary.cli", *args],
        env=full,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"plenary {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class Nginx(Process):
    """Debian's nginx in front of several application servers, configured as
    docs/operations.md shows for the live floor's WebSocket; not daemonised, with its
    configuration, pid file and temp paths in a directory of its own. One worker process,
    so that it hands connections to the servers strictly in turn."""

    name = "nginx"

    def __init__(self, port: int, log_dir: Path, upstreams: list[int]):
        super().__init__(port, log_dir)
        self.dir = Path(tempfile.mkdtemp(prefix="plenary-faults-nginx-"))
        (self.dir / "nginx.conf").write_text(
            websocket_proxy_conf(
                self.dir, upstreams, [f"127.0.0.1:{port}"], error_log=self.log_path
            )
        )

    def command(self) -> list[str]:
        return [NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")]

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
