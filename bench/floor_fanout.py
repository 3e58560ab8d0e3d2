"""Live floor fan-out: N WebSocket clients follow the floor while a chair makes changes the
way the console makes them (a message on the chair's own floor socket; `--chair http` for
the form's POST, the console's fallback); each client records when each snapshot arrives
against the chair's send time (one host, one monotonic clock). The same clients, in the same run, follow a bare `websockets` server
that sends each snapshot with broadcast() (the baseline).

Reported per server: last-client latency p50/p99 over the changes, lost updates, server
CPU time and resident memory per connected client. Results: bench/results/floor_fanout.json.

  .venv/bin/python bench/floor_fanout.py --clients 2300 --changes 200
  .venv/bin/python bench/floor_fanout.py --clients 23000 --workers 2 --redis redis://127.0.0.1:6379/5
"""

import argparse
import asyncio
import gc
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _process_stats(pids: list[int]) -> tuple[float, int]:
    """CPU seconds and resident KiB of the processes (and their children, for uvicorn)."""
    cpu, rss = 0.0, 0
    ticks = os.sysconf("SC_CLK_TCK")
    seen = set()
    queue = list(pids)
    while queue:
        pid = queue.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / ticks
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            queue.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return cpu, rss


class Clients:
    """N connections; each records (version, arrival time) of every snapshot."""

    def __init__(self, url: str, count: int, headers: dict, parallel: int = 200):
        self.url, self.count, self.headers, self.parallel = url, count, headers, parallel
        self.arrivals: list[dict[int, float]] = [dict() for _ in range(count)]
        self.sockets = []
        self.tasks = []

    async def open(self) -> None:
        semaphore = asyncio.Semaphore(self.parallel)

        async def one(index: int):
            async with semaphore:
                ws = await connect(
                    self.url,
                    additional_headers=self.headers,
                    open_timeout=60,
                    max_size=2**20,
                    ping_interval=None,
                )
            self.sockets.append(ws)
            self.tasks.append(asyncio.create_task(self._read(ws, index)))

        await asyncio.gather(*(one(i) for i in range(self.count)))
        # The connections live to the end of the run: out of the collector's way, so that
        # a full collection of this process does not stall every client at once (and
        # show as the server's latency). Done the same way for both servers.
        gc.collect()
        gc.freeze()

    async def _read(self, ws, index: int) -> None:
        record = self.arrivals[index]
        try:
            async for message in ws:
                now = time.monotonic()
                start = message.find('"v":')
                if start < 0:
                    continue
                end = start + 4
                while end < len(message) and message[end].isdigit():
                    end += 1
                record[int(message[start + 4 : end])] = now
        except websockets.ConnectionClosed:
            pass

    async def wait_for(self, version: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(version in record for record in self.arrivals):
                return True
            await asyncio.sleep(0.002)
        return False

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)


def _summary(measured: dict, changes: int, cpu: float, rss_per_client_kib: float) -> dict:
    per_change = measured["per_change"]
    latencies = [c["last_client_ms"] / 1000 for c in per_change if c["last_client_ms"] is not None]
    requests = [c["request_ms"] / 1000 for c in per_change]
    return {
        "changes": changes,
        "measured": len(latencies),
        "last_client_latency_ms_p50": _percentile(latencies, 0.5),
        "last_client_latency_ms_p99": _percentile(latencies, 0.99),
        "lost_updates": measured["lost"],
        "server_cpu_seconds": round(cpu, 2),
        "server_rss_per_client_kib": round(rss_per_client_kib, 1),
        "change_request_ms_p50": _percentile(requests, 0.5),
        "change_request_ms_p99": _percentile(requests, 0.99),
        # One row per change, in order, so that a tail can be traced to the changes that
        # made it: until the chair's answer (or the trigger's send), until the first, the
        # median and the last client had the snapshot, and the clients that never had it.
        "per_change": per_change,
    }


class CollectorPauses:
    """Time the load generator spends in Python's garbage collector: a full collection over
    thousands of client connections stalls every client of this process at once, which
    would show as the server's latency."""

    def __init__(self):
        self.total = 0.0
        self._started = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._started


PAUSES = CollectorPauses()


async def _measure(clients: Clients, send_change, changes: int, first_version: int, timeout: float):
    per_change, lost = [], 0
    for n in range(changes):
        version = first_version + n + 1
        paused = PAUSES.total
        sent = time.monotonic()
        await send_change(n)
        answered = time.monotonic()
        row = {"v": version, "request_ms": round((answered - sent) * 1000, 2)}
        if await clients.wait_for(version, timeout):
            arrivals = sorted(record[version] for record in clients.arrivals)
            row["first_client_ms"] = round((arrivals[0] - sent) * 1000, 2)
            row["median_client_ms"] = round((arrivals[len(arrivals) // 2] - sent) * 1000, 2)
            row["last_client_ms"] = round((arrivals[-1] - sent) * 1000, 2)
            row["load_generator_gc_ms"] = round((PAUSES.total - paused) * 1000, 2)
        else:
            missing = sum(1 for record in clients.arrivals if version not in record)
            lost += missing
            row["last_client_ms"] = None
            row["missing"] = missing
        per_change.append(row)
    return {"per_change": per_change, "lost": lost}


# --- Plenary ---------------------------------------------------------------------------------


def _prepare_plenary(var_dir: str, database_url: str | None) -> dict:
    env = {**os.environ, "PLENARY_VAR_DIR": var_dir, "DJANGO_SETTINGS_MODULE": "plenary.settings"}
    if database_url:
        env["DATABASE_URL"] = database_url
    script = r"""
import datetime, json, os
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY as USER_KEY, BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from plenary.scenarios.loader import load_scenario
from plenary.core.models import User
from plenary.floor import services
from plenary.registration import services as registration
from plenary.registration.models import Delegation
from plenary.registration.views import SESSION_KEY
result = load_scenario("vcc2")
c = result.consultation
chair = User.objects.get(email="chair@example.org")
sec = User.objects.get(email="secretariat@example.org")
d = Delegation.objects.get(consultation=c, state__iso2="CH")
p = registration.register(c, delegation=d, name="Viewer", email="viewer@bench.example.org", now=datetime.datetime(2020, 10, 20, tzinfo=datetime.UTC))
registration.approve(p, actor=sec)
services.open_meeting(c, c.meetings.get(kind="meeting", number=1), actor=chair)
services.set_item(c, c.groups.get(number=1).items.get(number=2), actor=chair)
viewer = SessionStore(); viewer[SESSION_KEY] = p.pk; viewer.create()
chair_session = SessionStore()
chair_session[USER_KEY] = str(chair.pk); chair_session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
chair_session[HASH_SESSION_KEY] = chair.get_session_auth_hash(); chair_session.create()
print(json.dumps({"viewer": viewer.session_key, "chair": chair_session.session_key, "version": services.floor_of(c).version}))
"""
    output = subprocess.run(
        [PYTHON, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


async def _run_plenary(args, var_dir: str) -> dict:
    prepared = _prepare_plenary(var_dir, args.database_url)
    port = _free_port()
    env = {**os.environ, "PLENARY_VAR_DIR": var_dir, "PLENARY_LOG_LEVEL": "warning"}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.redis:
        env["REDIS_URL"] = args.redis
    log = open(Path(var_dir) / "server.log", "w")  # noqa: SIM115 — open for the server's lifetime
    server = subprocess.Popen(
        [PYTHON, "-m", "plenary.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    try:
        await _wait_port(port)
        _idle_cpu, idle_rss = _process_stats([server.pid])
        headers = {
            "Cookie": f"sessionid={prepared['viewer']}",
            "Origin": f"http://127.0.0.1:{port}",
        }
        clients = Clients(
            f"ws://127.0.0.1:{port}/ws/consultations/vcc-2/floor/", args.clients, headers
        )
        await clients.open()
        await clients.wait_for(prepared["version"], 60)
        cpu_before, rss_connected = _process_stats([server.pid])
        chair_headers = {
            "Cookie": f"sessionid={prepared['chair']}",
            "Origin": f"http://127.0.0.1:{port}",
        }
        if args.chair == "socket":
            change, done = await _chair_over_socket(port, chair_headers)
        else:
            change, done = await _chair_over_http(port, prepared["chair"])

        measured = await _measure(clients, change, args.changes, prepared["version"], args.timeout)
        cpu_after, _rss = _process_stats([server.pid])
        await done()
        await clients.close()
        return _summary(
            measured,
            args.changes,
            cpu_after - cpu_before,
            (rss_connected - idle_rss) / args.clients,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _chair_action(n: int) -> str:
    return "close_list" if n % 2 == 0 else "open_list"


async def _chair_over_socket(port: int, headers: dict):
    """What the console does: the chair's button as a message on its own floor connection;
    the change counts as done when the server answers {"type": "done"}."""
    chair = await connect(
        f"ws://127.0.0.1:{port}/ws/consultations/vcc-2/floor/",
        additional_headers=headers,
        ping_interval=None,
        max_size=2**20,
    )

    async def change(n: int):
        await chair.send(json.dumps({"op": "chair", "action": _chair_action(n)}))
        while True:
            answer = json.loads(await chair.recv())
            if answer["type"] == "done":
                return
            if answer["type"] == "refused":
                raise RuntimeError(f"chair action refused: {answer}")

    return change, chair.close


async def _chair_over_http(port: int, session: str):
    """The console without its socket: the form's POST, answered with a redirect."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    csrf = "benchcsrftoken0123456789abcdefgh"  # 32 characters, as Django expects

    async def change(n: int):
        body = f"action={_chair_action(n)}&csrfmiddlewaretoken={csrf}".encode()
        writer.write(
            f"POST /en/c/vcc-2/console/action/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
            + f"Cookie: sessionid={session}; csrftoken={csrf}\r\n".encode()
            + f"Origin: http://127.0.0.1:{port}\r\nReferer: http://127.0.0.1:{port}/\r\n".encode()
            + b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if length:
            await reader.readexactly(length)
        if b" 302 " not in status:
            raise RuntimeError(f"chair action failed: {status!r}")

    async def done():
        writer.close()

    return change, done


# --- baseline ----------------------------------------------------------------------------------

BASELINE = r"""
import asyncio, sys
from websockets.asyncio.server import serve, broadcast
clients = set()
async def handler(ws):
    if ws.request.path == "/control":
        async for message in ws:
            broadcast(clients, message)
        return
    clients.add(ws)
    try:
        await ws.send('{"type":"snapshot","v":0}')
        await ws.wait_closed()
    finally:
        clients.discard(ws)
async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1]), ping_interval=None, max_queue=None):
        await asyncio.Future()
asyncio.run(main())
"""


async def _run_baseline(args, snapshot_bytes: int) -> dict:
    port = _free_port()
    server = subprocess.Popen([PYTHON, "-c", BASELINE, str(port)], start_new_session=True)
    try:
        await _wait_port(port)
        _idle_cpu, idle_rss = _process_stats([server.pid])
        clients = Clients(f"ws://127.0.0.1:{port}/floor", args.clients, {})
        await clients.open()
        await clients.wait_for(0, 60)
        cpu_before, rss_connected = _process_stats([server.pid])
        control = await connect(f"ws://127.0.0.1:{port}/control", ping_interval=None)
        padding = "x" * max(0, snapshot_bytes - 40)

        async def change(n: int):
            await control.send(f'{{"type":"snapshot","v":{n + 1},"pad":"{padding}"}}')

        measured = await _measure(clients, change, args.changes, 0, args.timeout)
        cpu_after, _rss = _process_stats([server.pid])
        await control.close()
        await clients.close()
        return _summary(
            measured,
            args.changes,
            cpu_after - cpu_before,
            (rss_connected - idle_rss) / args.clients,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


async def _wait_port(port: int) -> None:
    for _ in range(600):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


async def main_async(args) -> dict:
    var_dir = tempfile.mkdtemp(prefix="plenary-fanout-")
    plenary = await _run_plenary(args, var_dir)
    baseline = await _run_baseline(args, args.snapshot_bytes)
    ratio = None
    if plenary["last_client_latency_ms_p99"] and baseline["last_client_latency_ms_p99"]:
        ratio = round(
            plenary["last_client_latency_ms_p99"] / baseline["last_client_latency_ms_p99"], 2
        )
    return {
        "clients": args.clients,
        "workers": args.workers,
        "channel_layer": "redis" if args.redis else "in-memory",
        "database": "postgresql" if args.database_url else "sqlite",
        "chair": args.chair,
        "plenary": plenary,
        "baseline_websockets_broadcast": baseline,
        "p99_ratio_to_baseline": ratio,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=2300)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis", default="")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--snapshot-bytes", type=int, default=1200)
    parser.add_argument(
        "--chair",
        choices=["socket", "http"],
        default="socket",
        help="how the chair's changes are sent: the console's socket, or its form's POST",
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (min(hard, max(soft, args.clients * 2 + 1000)), hard)
    )
    result = asyncio.run(main_async(args))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    name = f"floor_fanout_{args.clients}.json"
    (out / name).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
