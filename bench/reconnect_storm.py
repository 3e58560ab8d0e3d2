"""A reconnect storm on the live floor: N clients follow the floor through nginx in front of
several separate `plenary serve` processes (Redis between them, PostgreSQL behind); in the
middle of the meeting one of them is killed with SIGKILL, and its clients come back through
nginx onto the others. Then the same with Redis stopped and started again (a private
redis-server run by this bench, never the shared one on 6379).

Each client behaves like the live page (src/plenary/static/plenary/js/floor.js): the same
jittered back-off, read from floor.js itself (floor_js_backoff), the version sync on every
connection, and an op (a request for the floor, an objection) that got no answer before its
connection dropped is sent again on the next connection unless the snapshot shows it done.
During the storm some clients, speakers of their delegations, send such ops while the chair
keeps changing the speaking time on its own socket.

Reported, for Plenary and for the baseline (bare `websockets` processes behind the same
nginx, broadcasting what is published on Redis): for each dropped client, the time from the
kill (or from Redis being back) until it holds the floor's version of that moment again
(p50/p99/max), the ops lost (sent and not in the database or the baseline's log), the peak
new connections per second seen by the servers, and whether the other servers' clients had
a gap (a disconnection or a version they never received). Results:
bench/results/reconnect_storm.json (git-ignored, like the other benches' results).

  .venv/bin/python bench/reconnect_storm.py --clients 2300 --workers 3 --load-processes 2
  .venv/bin/python bench/reconnect_storm.py --clients 23000 --workers 4 --load-processes 4
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import websockets
from floor_fanout import PYTHON, ROOT, _free_port, _percentile, _wait_port
from websockets.asyncio.client import connect

sys.path.insert(0, str(ROOT))
from tests.faults.nginx import websocket_proxy_conf

FLOOR_JS = ROOT / "src/plenary/static/plenary/js/floor.js"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ADDRESSES = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]  # more loopback 4-tuples
# Each client holds two of an nginx worker's descriptors (its own and the upstream's); with
# `ulimit -Hn` at 20,000 here, four workers (reuseport spreads the clients) hold 40,000.
NGINX_WORKERS = 4
IDEMPOTENT = {"already_waiting", "duplicate", "not_waiting", "once_per_item"}


def floor_js_backoff(source: str | None = None) -> tuple[float, float]:
    """(RETRY_BASE_MS, RETRY_CAP_MS) of floor.js, in seconds: the one place they are set."""
    source = FLOOR_JS.read_text() if source is None else source
    base = re.search(r"var RETRY_BASE_MS = (\d+);", source)
    cap = re.search(r"var RETRY_CAP_MS = (\d+);", source)
    jitter = "Math.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * Math.pow(2, attempt))"
    if not (base and cap and jitter in source):
        raise RuntimeError("floor.js no longer has the back-off this bench reproduces")
    return int(base.group(1)) / 1000, int(cap.group(1)) / 1000


RETRY_BASE, RETRY_CAP = floor_js_backoff()


def retry_delay(attempt: int, draw=random.random) -> float:
    """floor.js's retryDelay(): full jitter under a doubling ceiling."""
    return draw() * min(RETRY_CAP, RETRY_BASE * 2**attempt)


# --- one client, as floor.js ----------------------------------------------------------------

SENDING: set = set()


def _sent(task: asyncio.Task) -> None:
    SENDING.discard(task)
    if not task.cancelled():
        task.exception()  # a send on a socket that died meanwhile: the op stays pending


def _version(text: str) -> int:
    start = text.find('"v":')
    if start < 0:
        return -1
    end = start + 4
    while end < len(text) and text[end].isdigit():
        end += 1
    return int(text[start + 4 : end])


class StormClient:
    """One live page. `op` (speakers only) is what its person sends once during the storm."""

    __slots__ = (
        "attempts",
        "delegation",
        "drops",
        "firsts",
        "headers",
        "op",
        "opens",
        "outcome",
        "pending",
        "quiet",
        "resync",
        "sends",
        "state",
        "url",
        "v",
        "versions",
        "ws",
    )

    def __init__(self, url: str, headers: dict, delegation: int | None = None, op=None):
        self.url, self.headers, self.delegation, self.op = url, headers, delegation, op
        self.v, self.state, self.ws = -1, {}, None
        self.opens, self.drops, self.firsts = [], [], []  # times; firsts: (time, v)
        self.versions: dict[int, float] = {}  # first arrival of each version
        self.attempts = self.sends = 0
        self.pending = self.outcome = None
        self.quiet = self.resync = False

    async def run(self, stop: asyncio.Event, parallel: asyncio.Semaphore) -> None:
        attempt = 0
        while not stop.is_set():
            self.attempts += 1
            opened = False
            try:
                async with parallel:
                    ws = await connect(
                        self.url,
                        additional_headers=self.headers,
                        open_timeout=10,
                        close_timeout=1,
                        ping_interval=None,
                        max_size=2**20,
                        max_queue=None,
                    )
                async with ws:
                    opened, attempt, self.ws, self.resync = True, 0, ws, True  # onopen
                    self.opens.append(time.monotonic())
                    await ws.send(json.dumps({"op": "sync", "v": max(self.v, 0)}))
                    async for text in ws:
                        self.receive(text)
            except (OSError, TimeoutError, websockets.WebSocketException):
                pass
            self.ws = None
            if opened:
                self.drops.append(time.monotonic())
            if stop.is_set():
                return
            await asyncio.sleep(retry_delay(attempt))  # onclose: setTimeout(connect, ...)
            attempt += 1

    def receive(self, text: str) -> None:
        now = time.monotonic()
        if self.delegation is None:  # a viewer: only the version matters
            if text.startswith('{"type":"snapshot"'):
                self._snapshot(_version(text), None, now)
            return
        message = json.loads(text)
        kind = message.get("type")
        if kind == "snapshot":
            self._snapshot(message.get("v", 0), message, now)
        elif kind in ("done", "refused") and self.pending and message.get("code") != "rate_limited":
            code = message.get("code")
            again, self.pending, self.quiet = self.quiet, None, False
            if kind == "done" or (again and code in IDEMPOTENT):
                self.outcome = "done"
            else:
                self.outcome = f"refused:{code}"

    def _snapshot(self, v: int, message: dict | None, now: float) -> None:
        self.versions.setdefault(v, now)
        if v >= self.v:
            self.v = v
            if message is not None:
                self.state = message
        if self.resync:
            self.firsts.append((now, v))
            self.resync = False
            if self.pending:
                if self._shown_done():
                    self.pending, self.outcome = None, "shown"
                else:
                    self.quiet = True
                    self._send()

    def _shown_done(self, op: dict | None = None) -> bool:
        state, me, op = self.state, self.delegation, op or self.pending
        if op["op"] == "ask":
            return any(e["d"] == me for e in state.get("queue") or []) or (
                (state.get("speaking") or {}).get("d") == me
            )
        objections = state.get("objections") or []
        return any(o["d"] == me and o["k"] == op["kind"] for o in objections)

    def act(self) -> None:
        self.pending, self.quiet = self.op, False
        if self.ws is not None and not self.resync:
            self._send()

    def _send(self) -> None:
        self.sends += 1
        ws = self.ws
        if ws is not None:
            task = asyncio.get_running_loop().create_task(ws.send(json.dumps(self.pending)))
            SENDING.add(task)  # held until done: the loop holds tasks only weakly
            task.add_done_callback(_sent)


# --- a load process: its share of the clients ----------------------------------------------


class Load:
    def __init__(self, config: dict):
        self.stop = asyncio.Event()
        self.clients = []
        headers = config["headers"]
        speakers = {s["index"]: s for s in config["speakers"]}
        for index in range(config["first"], config["first"] + config["count"]):
            url = config["urls"][index % len(config["urls"])]
            speaker = speakers.get(index)
            if speaker:
                cookie = {**headers, "Cookie": f"sessionid={speaker['session']}"}
                self.clients.append(StormClient(url, cookie, speaker["delegation"], speaker["op"]))
            else:
                self.clients.append(StormClient(url, headers))
        self.tasks = []

    async def open(self, first_version: int) -> None:
        parallel = asyncio.Semaphore(200)
        self.tasks = [
            asyncio.get_running_loop().create_task(c.run(self.stop, parallel)) for c in self.clients
        ]
        deadline = time.monotonic() + 1200
        while time.monotonic() < deadline:
            if all(c.ws is not None and c.v >= first_version for c in self.clients):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("not every client connected")

    async def act(self, spread: float) -> None:
        """Each speaker sends its op at a random moment within `spread` seconds."""
        for client in self.clients:
            if client.op is not None:
                delay = random.uniform(0, spread)
                asyncio.get_running_loop().call_later(delay, client.act)

    async def settle(self, version: int, timeout: float) -> None:
        """Until every client is connected with `version` and every op is answered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(c.ws is not None and c.v >= version and not c.pending for c in self.clients):
                return
            await asyncio.sleep(0.05)

    def report(self, event: float, target: int, versions: list[int], window: float) -> dict:
        """What happened to these clients since `event` (monotonic): for those that dropped,
        the time until they held `target` again; for the others, when they had it (0 if
        already) and the versions of `versions` they never received."""
        recovered, unrecovered, survivors, survivor_gaps, lags = [], 0, 0, 0, []
        for c in self.clients:
            drops = [t for t in c.drops if event - 0.05 <= t <= event + window]
            if not drops:
                survivors += 1
                survivor_gaps += sum(1 for v in versions if v not in c.versions)
                held = [t for v, t in c.versions.items() if v >= target]
                lags.append(max(0.0, min(held) - event) if held else window)
                continue
            after = [t for t, v in c.firsts if t > drops[0] and v >= target]
            after += [t for v, t in c.versions.items() if v >= target and t > drops[0]]
            if after:
                recovered.append(min(after) - event)
            else:
                unrecovered += 1
        last = {
            v: max((c.versions[v] for c in self.clients if v in c.versions), default=None)
            for v in versions
        }
        return {
            "recovered": recovered,
            "unrecovered": unrecovered,
            "survivors": survivors,
            "survivor_missed_versions": survivor_gaps,
            "opens": [round(t - event, 3) for c in self.clients for t in c.opens if t >= event - 1],
            "attempts": sum(c.attempts for c in self.clients),
            "last_arrival": last,
            "missing": {v: sum(1 for c in self.clients if v not in c.versions) for v in versions},
            "survivor_lags": lags,
            "ops": [
                {
                    "d": c.delegation,
                    "op": c.op["op"],
                    "outcome": c.outcome,
                    "sends": c.sends,
                    "pending": bool(c.pending),
                    "shown": c._shown_done(c.op),
                }
                for c in self.clients
                if c.op is not None
            ],
            "current": sum(1 for c in self.clients if c.ws is not None and c.v >= target),
        }

    async def close(self) -> None:
        self.stop.set()
        # All at once: one by one, each waiting for its closing handshake, takes minutes.
        await asyncio.gather(
            *(c.ws.close() for c in self.clients if c.ws is not None), return_exceptions=True
        )
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def _load_main(config_path: str) -> None:
    """A load process: commands on stdin, one JSON answer per line on stdout."""
    load = Load(json.loads(Path(config_path).read_text()))
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(value) -> None:
        sys.stdout.write(json.dumps(value) + "\n")
        sys.stdout.flush()

    while line := await reader.readline():
        command, *rest = line.decode().split(" ", 1)
        argument = json.loads(rest[0]) if rest else None
        if command == "open":
            await load.open(argument)
            answer("ready")
        elif command == "act":
            await load.act(argument)
            answer("acting")
        elif command == "settle":
            await load.settle(*argument)
            answer("settled")
        elif command == "report":
            answer(load.report(*argument))
    await load.close()


class Loads:
    """The clients spread over several processes of this script."""

    def __init__(self, processes: list):
        self.processes = processes

    @classmethod
    async def start(cls, args, urls: list[str], headers: dict, speakers: list[dict], tmp: str):
        processes, share = [], -(-args.clients // args.load_processes)
        for n in range(args.load_processes):
            first = n * share
            count = min(share, args.clients - first)
            config = {
                "urls": urls,
                "headers": headers,
                "first": first,
                "count": count,
                "speakers": [s for s in speakers if first <= s["index"] < first + count],
            }
            path = Path(tmp) / f"load-{n}.json"
            path.write_text(json.dumps(config))
            processes.append(
                await asyncio.create_subprocess_exec(
                    PYTHON,
                    __file__,
                    "--load",
                    str(path),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=2**26,
                )
            )
        return cls(processes)

    async def ask(self, command: str, argument=None) -> list:
        line = command + ("" if argument is None else " " + json.dumps(argument)) + "\n"
        for process in self.processes:
            process.stdin.write(line.encode())
        await asyncio.gather(*(p.stdin.drain() for p in self.processes))
        answers = []
        for process in self.processes:
            raw = await process.stdout.readline()
            if not raw:
                raise RuntimeError(f"a load process ended during {command}")
            answers.append(json.loads(raw))
        return answers

    async def close(self) -> None:
        for process in self.processes:
            process.stdin.close()
        await asyncio.gather(*(p.wait() for p in self.processes))


# --- servers ------------------------------------------------------------------------------------


def raise_nofile(wanted: int = 200_000) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(hard, wanted)))  # as root
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Nginx:
    """Debian's nginx, not daemonised, with a generated configuration in a temp dir: the
    WebSocket location of docs/operations.md, upstream = the given server ports."""

    def __init__(self, tmp: str, ports: list[int], path: str):
        self.dir = Path(tmp) / "nginx"
        self.dir.mkdir(exist_ok=True)
        self.port = _free_port()
        (self.dir / "nginx.conf").write_text(
            websocket_proxy_conf(
                self.dir,
                ports,
                [f"{a}:{self.port}" for a in ADDRESSES],
                location=path,
                workers=NGINX_WORKERS,
                worker_connections=100_000,
                rlimit_nofile=resource.getrlimit(resource.RLIMIT_NOFILE)[1],
                backlog=8192,
            )
        )
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
            start_new_session=True,
            stderr=subprocess.DEVNULL,
        )

    def urls(self, path: str) -> list[str]:
        return [f"ws://{a}:{self.port}{path}" for a in ADDRESSES]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


class RedisServer:
    """A private redis-server on a free port, to stop and start again."""

    def __init__(self):
        self.port = _free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxclients",
                "10000",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        await _wait_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _kill(process: subprocess.Popen) -> None:
    """SIGKILL to the server and its children (uvicorn), no clean shutdown."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _kill(process)


# --- Plenary -----------------------------------------------------------------------------------

PREPARE = r"""
import datetime, json, os, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY as USER_KEY, BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from plenary.core.errors import DomainError
from plenary.core.models import User
from plenary.floor import services
from plenary.registration import services as registration
from plenary.registration.models import Delegation
from plenary.registration.session import SESSION_KEY
from plenary.scenarios.loader import load_scenario
c = load_scenario("vcc2").consultation
chair = User.objects.get(email="chair@example.org")
sec = User.objects.get(email="secretariat@example.org")
now = datetime.datetime(2020, 10, 20, tzinfo=datetime.UTC)
registration.setup_delegations(c)
viewer = registration.register(c, delegation=Delegation.objects.get(consultation=c, state__iso2="CH"), name="Viewer", email="viewer@storm.example.org", now=now)
registration.approve(viewer, actor=sec)
services.open_meeting(c, c.meetings.get(kind="meeting", number=1), actor=chair)
services.set_item(c, c.groups.get(number=1).items.get(number=2), actor=chair)
speakers = []
wanted = int(sys.argv[1])
# Requests for the floor from Council Member States, objections from observers (recorded only:
# an objection of a Council Member State would defer the item at once).
for category, op in (("council", {"op": "ask"}), ("observer", {"op": "object", "kind": "object"})):
    for d in Delegation.objects.filter(consultation=c, category=category).order_by("pk"):
        if sum(1 for s in speakers if s["op"] == op) >= wanted:
            break
        try:
            s = registration.register(c, delegation=d, name=f"Speaker {d.pk}", email=f"s{d.pk}@storm.example.org", now=now)
            registration.approve(s, actor=sec)
            registration.designate_speaker(s, actor=sec)
        except DomainError:
            continue
        store = SessionStore(); store[SESSION_KEY] = s.pk; store.create()
        speakers.append({"delegation": d.pk, "session": store.session_key, "op": op})
session = SessionStore(); session[SESSION_KEY] = viewer.pk; session.create()
chair_session = SessionStore()
chair_session[USER_KEY] = str(chair.pk); chair_session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
chair_session[HASH_SESSION_KEY] = chair.get_session_auth_hash(); chair_session.create()
floor = services.floor_of(c)
print(json.dumps({"viewer": session.session_key, "chair": chair_session.session_key, "version": floor.version, "item": floor.item_id, "floor": floor.pk, "speakers": speakers}))
"""

FLOOR_PATH = "/ws/consultations/vcc-2/floor/"


class PlenarySite:
    """The bench's own PostgreSQL database and W separate `plenary serve` processes."""

    def __init__(self, args, tmp: str):
        self.args, self.tmp = args, tmp
        self.database = f"{args.database}_{os.getpid()}"
        self.url = f"{args.postgres}/{self.database}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "PLENARY_VAR_DIR": tmp,
            "PLENARY_LOG_LEVEL": "warning",
            "PLENARY_ALLOWED_HOSTS": ",".join([*ADDRESSES, "localhost"]),
            "PYTHONPATH": str(ROOT / "src"),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.workers: list[subprocess.Popen] = []
        self.ports: list[int] = []

    def _admin(self, sql: str) -> None:
        with psycopg.connect(f"{self.args.postgres}/postgres", autocommit=True) as connection:
            connection.execute(sql)

    def create(self, speakers: int) -> dict:
        self._admin(f"DROP DATABASE IF EXISTS {self.database}")
        self._admin(f"CREATE DATABASE {self.database}")
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "plenary.settings"}
        done = subprocess.run(
            [PYTHON, "-c", PREPARE, str(speakers)],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(done.stderr[-3000:])
        return json.loads(done.stdout.strip().splitlines()[-1])

    def drop(self) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url) as connection:
            return connection.execute(sql, params).fetchall()

    async def start(self, redis_url: str) -> None:
        self.ports = [_free_port() for _ in range(self.args.workers)]
        for n, port in enumerate(self.ports):
            log = open(Path(self.tmp) / f"serve-{n}.log", "a")  # noqa: SIM115
            self.workers.append(
                subprocess.Popen(
                    [PYTHON, "-m", "plenary.cli", "serve", "--port", str(port)],
                    env={**self.env, "REDIS_URL": redis_url},
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    start_new_session=True,
                )
            )
            log.close()
        for port in self.ports:
            await _wait_port(port)

    def stop(self) -> None:
        for worker in self.workers:
            _stop(worker)
        self.workers = []


class PlenaryTarget:
    """What the storm needs of Plenary: its chair (changes), the truth (version, ops)."""

    name = "plenary"

    def __init__(self, site: PlenarySite, prepared: dict, nginx_port: int):
        self.site, self.prepared, self.chair = site, prepared, None
        self.nginx_port = nginx_port

    def headers(self) -> dict:
        return {
            "Cookie": f"sessionid={self.prepared['viewer']}",
            "Origin": f"http://127.0.0.1:{self.nginx_port}",
        }

    def speaker_cookie(self, speaker: dict) -> str:
        return speaker["session"]

    async def open_chair(self, port: int) -> None:
        """The chair's console on a server that is not killed."""
        self.chair = await connect(
            f"ws://127.0.0.1:{port}{FLOOR_PATH}",
            additional_headers={
                "Cookie": f"sessionid={self.prepared['chair']}",
                "Origin": f"http://127.0.0.1:{port}",
            },
            ping_interval=None,
            max_size=2**20,
            max_queue=None,
        )

    async def change(self) -> int:
        """One change by the chair; the floor's version it made."""
        # Reopening the open list: a new version of the floor, nothing else changed (the
        # speakers keep asking).
        await self.chair.send(json.dumps({"op": "chair", "action": "open_list"}))
        while True:
            answer = json.loads(await self.chair.recv())
            if answer["type"] == "done":
                return self.version()
            if answer["type"] == "refused":
                raise RuntimeError(f"chair refused: {answer}")

    def version(self) -> int:
        return self.site.query(
            "SELECT version FROM floor_floor WHERE id = %s", (self.prepared["floor"],)
        )[0][0]

    def recorded(self) -> set[tuple[int, str]]:
        asks = self.site.query(
            "SELECT delegation_id FROM floor_floorrequest WHERE floor_id = %s AND item_id = %s"
            " AND status = 'waiting'",
            (self.prepared["floor"], self.prepared["item"]),
        )
        objections = self.site.query(
            "SELECT delegation_id FROM outcomes_objection WHERE item_id = %s AND kind = 'object'"
            " AND withdrawn_at IS NULL",
            (self.prepared["item"],),
        )
        return {(d, "ask") for (d,) in asks} | {(d, "object") for (d,) in objections}

    async def close(self) -> None:
        if self.chair is not None:
            await self.chair.close()


# --- baseline: bare `websockets` processes behind the same nginx --------------------------------

BASELINE = r"""
import asyncio, json, sys
import redis.asyncio as aioredis
from websockets.asyncio.server import broadcast, serve
url, channel, port, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
clients, last = set(), ['{"type":"snapshot","v":0}', 0]
out = open(log, "a", buffering=1)

def deliver(text):
    start = text.find('"v":') + 4
    end = start
    while text[end].isdigit():
        end += 1
    v = int(text[start:end])
    if v > last[1]:
        last[:] = [text, v]
        broadcast(clients, text)

async def listen():
    while True:  # what Redis is to the others; back as soon as Redis is
        try:
            connection = aioredis.from_url(url)
            async with connection.pubsub() as pubsub:
                await pubsub.subscribe(channel)
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        deliver(message["data"].decode())
        except Exception as error:
            print("baseline: Redis:", repr(error), file=sys.stderr)
            await asyncio.sleep(0.1)

async def handler(ws):
    who = ws.request.headers.get("Cookie", "").partition("sessionid=")[2]
    clients.add(ws)
    try:
        await ws.send(last[0])
        async for text in ws:
            message = json.loads(text)
            if message.get("op") in ("ask", "object"):
                out.write(f"{who} {message['op']}\n")
                await ws.send('{"type":"done","op":"%s"}' % message["op"])
    finally:
        clients.discard(ws)

async def main():
    listening = asyncio.get_running_loop().create_task(listen())  # held: tasks are weak
    async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None, backlog=8192):
        await asyncio.Future()
    listening.cancel()
asyncio.run(main())
"""


class BaselineSite:
    def __init__(self, args, tmp: str):
        self.args, self.tmp = args, tmp
        self.log = Path(tmp) / "baseline-ops.log"
        self.channel = f"reconnect-storm-{os.getpid()}"
        self.workers: list[subprocess.Popen] = []
        self.ports: list[int] = []

    async def start(self, redis_url: str) -> None:
        self.log.write_text("")
        self.ports = [_free_port() for _ in range(self.args.workers)]
        self.workers = [
            subprocess.Popen(
                [PYTHON, "-c", BASELINE, redis_url, self.channel, str(port), str(self.log)],
                start_new_session=True,
            )
            for port in self.ports
        ]
        for port in self.ports:
            await _wait_port(port)

    def stop(self) -> None:
        for worker in self.workers:
            _stop(worker)
        self.workers = []


class BaselineTarget:
    name = "baseline"

    def __init__(self, site: BaselineSite, redis_url: str, snapshot_bytes: int, nginx_port: int):
        import redis.asyncio as aioredis

        self.site, self.v = site, 0
        self.redis = aioredis.from_url(redis_url)
        self.padding = "x" * max(0, snapshot_bytes - 40)
        self.nginx_port = nginx_port

    def headers(self) -> dict:
        return {"Cookie": "sessionid=viewer", "Origin": f"http://127.0.0.1:{self.nginx_port}"}

    def speaker_cookie(self, speaker: dict) -> str:
        return str(speaker["delegation"])

    async def open_chair(self, port: int) -> None:
        return None

    async def change(self) -> int:
        """A snapshot of Plenary's size published on Redis (skipped while Redis is away)."""
        self.v += 1
        text = f'{{"type":"snapshot","v":{self.v},"pad":"{self.padding}"}}'
        with contextlib.suppress(Exception):  # Redis is away: this change reaches nobody
            await self.redis.publish(self.site.channel, text)
        return self.v

    def version(self) -> int:
        return self.v

    def recorded(self) -> set[tuple[int, str]]:
        found = set()
        for line in self.site.log.read_text().splitlines():
            who, op = line.split()
            found.add((int(who), op))
        return found

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.redis.aclose()


# --- the storm --------------------------------------------------------------------------------


def _peaks(opens: list[float]) -> tuple[int, int]:
    """The most connections opened in any 1-s window, and in any 100-ms bucket."""
    opens = sorted(opens)
    best, start = 0, 0
    for end, t in enumerate(opens):
        while t - opens[start] > 1.0:
            start += 1
        best = max(best, end - start + 1)
    buckets: dict[int, int] = {}
    for t in opens:
        buckets[int(t * 10)] = buckets.get(int(t * 10), 0) + 1
    return best, max(buckets.values(), default=0)


async def _storm(args, target, loads: Loads, event_action, chair_port: int) -> dict:
    """The chair changes the floor every --change-every s; the speakers send their ops over
    --spread s; in the middle of it the event (a kill, a Redis restart)."""
    await target.open_chair(chair_port)
    changes: list[tuple[int, float]] = []
    stop = asyncio.Event()

    async def chair():
        while not stop.is_set():
            sent = time.monotonic()
            with contextlib.suppress(Exception):
                changes.append((await asyncio.wait_for(target.change(), 10), sent))
            await asyncio.sleep(args.change_every)

    chair_task = asyncio.get_running_loop().create_task(chair())
    await asyncio.sleep(1.0)
    await loads.ask("act", args.spread)
    await asyncio.sleep(args.spread / 2)
    event, event_target = await event_action()
    await asyncio.sleep(args.after)
    stop.set()
    await chair_task
    final = await target.change()
    await loads.ask("settle", [final, 60])
    first = changes[0][0] if changes else final
    versions = list(range(first, final + 1))
    reports = await loads.ask("report", [event, event_target, versions, args.after])
    await target.close()
    return _figures(target, reports, changes, event, final)


def _figures(target, reports: list[dict], changes, event: float, final: int) -> dict:
    recovered = [t for r in reports for t in r["recovered"]]
    lags = [t for r in reports for t in r["survivor_lags"]]
    opens = [t for r in reports for t in r["opens"] if t >= 0]
    ops = [op for r in reports for op in r["ops"]]
    expected = {(op["d"], op["op"]) for op in ops}
    lost = expected - target.recorded()
    per_change = []
    for v, sent in changes:
        last = [r["last_arrival"].get(str(v)) for r in reports]
        last = [t for t in last if t is not None]
        missing = sum(r["missing"].get(str(v), 0) for r in reports)
        per_change.append(
            {
                "v": v,
                "after_event_s": round(sent - event, 2),
                "last_client_ms": round((max(last) - sent) * 1000, 1) if last else None,
                "missing": missing,
            }
        )
    after = [c for c in per_change if c["after_event_s"] > 0]
    per_second, per_100ms = _peaks(opens)
    worst = max(recovered, default=None)
    return {
        "dropped_clients": len(recovered) + sum(r["unrecovered"] for r in reports),
        "not_back": sum(r["unrecovered"] for r in reports),
        "back_and_current_s_p50": _seconds(recovered, 0.5),
        "back_and_current_s_p99": _seconds(recovered, 0.99),
        "back_and_current_s_max": round(worst, 3) if worst is not None else None,
        "others_clients": sum(r["survivors"] for r in reports),
        "others_current_s_p99": _seconds(lags, 0.99),
        "others_current_s_max": round(max(lags), 3) if lags else None,
        "others_missed_versions": sum(r["survivor_missed_versions"] for r in reports),
        "peak_new_connections_per_s": per_second,
        "peak_new_connections_per_100ms": per_100ms,
        "new_connections_after_event": len(opens),
        "connection_attempts_total": sum(r["attempts"] for r in reports),
        "ops_sent": len(ops),
        "ops_lost": len(lost),
        "ops_lost_detail": sorted(lost),
        "ops_outcomes": _count(
            op["outcome"] or ("pending" if op["pending"] else "none") for op in ops
        ),
        "ops_resent": sum(1 for op in ops if op["sends"] > 1),
        "ops_not_in_final_snapshot": sum(1 for op in ops if not op["shown"])
        if target.name == "plenary"
        else None,
        "all_current_at_end": sum(r["current"] for r in reports),
        "final_version": final,
        "chair_changes_after_event_last_client_ms_max": max(
            (c["last_client_ms"] for c in after if c["last_client_ms"] is not None), default=None
        ),
        "per_change": per_change,
    }


def _seconds(values: list[float], share: float) -> float | None:
    value = _percentile(values, share)
    return None if value is None else round(value / 1000, 3)


def _count(values) -> dict:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _speakers(args, pool: list[dict]) -> list[dict]:
    """Speakers among the clients, evenly spaced, so that each server has its share."""
    step = max(1, args.clients // max(1, len(pool)))
    return [{**speaker, "index": n * step} for n, speaker in enumerate(pool)]


async def _round(args, tmp: str, system: str, kind: str, plenary, speakers: list[dict]) -> dict:
    redis = RedisServer() if kind == "redis" else None
    if redis is not None:
        await redis.start()
    redis_url = redis.url if redis else args.redis
    if system == "plenary":
        site, prepared = plenary
        await site.start(redis_url)
        path = FLOOR_PATH
    else:
        site = BaselineSite(args, tmp)
        await site.start(redis_url)
        path = "/floor"
    nginx = Nginx(tmp, site.ports, path)
    await _wait_port(nginx.port)
    if system == "plenary":
        target = PlenaryTarget(site, prepared, nginx.port)
    else:
        target = BaselineTarget(site, redis_url, args.snapshot_bytes, nginx.port)
    pool = [{**s, "session": target.speaker_cookie(s)} for s in speakers]
    loads = await Loads.start(args, nginx.urls(path), target.headers(), _speakers(args, pool), tmp)
    try:
        started = time.monotonic()
        await loads.ask("open", target.version())
        connected_in = time.monotonic() - started

        async def kill():
            _kill(site.workers[0])
            return time.monotonic(), target.version()

        async def restart_redis():
            redis.stop()
            await asyncio.sleep(args.redis_down)
            await redis.start()
            return time.monotonic(), target.version()

        action = kill if kind == "kill" else restart_redis
        load_before = os.getloadavg()[0]
        figures = await _storm(args, target, loads, action, site.ports[1])
        return {
            "connected_in_s": round(connected_in, 1),
            # The machine is shared: its load average (1 min) before and after the storm.
            "machine_load_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            **figures,
        }
    finally:
        await loads.close()
        nginx.stop()
        site.stop()
        if redis is not None:
            redis.stop()


async def main_async(args) -> dict:
    tmp = tempfile.mkdtemp(prefix="plenary-storm-")
    site = PlenarySite(args, tmp)
    if "plenary" in args.systems:
        prepared = site.create(args.speakers * 2)
    else:  # the baseline alone: speakers of made-up delegations
        prepared = {
            "speakers": [
                {
                    "delegation": n,
                    "op": {"op": "ask"} if n % 2 else {"op": "object", "kind": "object"},
                }
                for n in range(args.speakers * 4)
            ]
        }
    asks = [s for s in prepared["speakers"] if s["op"]["op"] == "ask"]
    objections = [s for s in prepared["speakers"] if s["op"]["op"] == "object"]
    half_a, half_o = len(asks) // 2, len(objections) // 2
    sets = {
        "kill": asks[:half_a] + objections[:half_o],
        "redis": asks[half_a:] + objections[half_o:],
    }
    results = {}
    try:
        for kind in args.events:
            for system in args.systems:
                results[f"{system}_{kind}"] = await _round(
                    args, tmp, system, kind, (site, prepared), sets[kind]
                )
                print(
                    json.dumps({f"{system}_{kind}": _headline(results[f"{system}_{kind}"])}),
                    file=sys.stderr,
                )
    finally:
        site.stop()
        if "plenary" in args.systems:
            site.drop()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "clients": args.clients,
        "workers": args.workers,
        "load_processes": args.load_processes,
        "backoff": {"kind": "full jitter", "base_s": RETRY_BASE, "cap_s": RETRY_CAP},
        "redis_for_kill": args.redis,
        "redis_down_s": args.redis_down,
        **results,
    }


def _headline(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k not in ("per_change", "ops_lost_detail")}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=2300)
    parser.add_argument("--workers", type=int, default=3, help="separate server processes")
    parser.add_argument("--load-processes", type=int, default=2)
    parser.add_argument(
        "--speakers",
        type=int,
        default=30,
        help="requests for the floor and objections sent during each storm",
    )
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/12",
        help="the Redis of the kill rounds (the Redis rounds run their own)",
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="plenary_storm")
    parser.add_argument("--events", nargs="+", default=["kill", "redis"], choices=["kill", "redis"])
    parser.add_argument(
        "--systems", nargs="+", default=["plenary", "baseline"], choices=["plenary", "baseline"]
    )
    parser.add_argument(
        "--spread", type=float, default=3.0, help="seconds over which the speakers send their ops"
    )
    parser.add_argument("--after", type=float, default=8.0, help="seconds watched after the event")
    parser.add_argument("--change-every", type=float, default=0.25)
    parser.add_argument("--redis-down", type=float, default=2.0)
    parser.add_argument("--snapshot-bytes", type=int, default=1500)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_nofile()
    if args.load:
        asyncio.run(_load_main(args.load))
        return 0
    result = asyncio.run(main_async(args))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "reconnect_storm.json").write_text(json.dumps(result, indent=2))
    print(
        json.dumps(
            {
                k: _headline(v) if isinstance(v, dict) and "per_change" in v else v
                for k, v in result.items()
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
