"""Live floor fan-out: N WebSocket clients follow the floor while a chair makes changes the
way the console makes them (a message on the chair's own floor socket; `--chair http` for
the form's POST, the console's fallback); each client records when each snapshot arrives
against the chair's send time (one host, one monotonic clock). The same clients, in the same run, follow a bare `websockets` server
that sends each snapshot with broadcast() (the baseline).

Reported per server: last-client latency p50/p99 over the changes, lost updates, server
CPU time and resident memory per connected client. Results: bench/results/floor_fanout.json.

  .venv/bin/python bench/floor_fanout.py --clients 2300 --changes 200
  .venv/bin/python bench/floor_fanout.py --clients 23000 --changes 30 --workers 2 \
      --redis redis://127.0.0.1:6379/11 --load-processes 2
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
        # show as the server's latency). And no collection while a change is on its way:
        # this process collects between changes (outcome()). The same for both servers.
        gc.collect()
        gc.freeze()
        gc.disable()

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

    async def outcome(self, version: int, timeout: float) -> dict:
        """When the first, the median and the last client had `version` (monotonic seconds),
        or how many never had it; and this process's collector pauses meanwhile."""
        paused = PAUSES.total
        if not await self.wait_for(version, timeout):
            missing = sum(1 for record in self.arrivals if version not in record)
            gc.collect()
            return {"missing": missing}
        arrivals = sorted(record[version] for record in self.arrivals)
        outcome = {
            "first": arrivals[0],
            "median": arrivals[len(arrivals) // 2],
            "last": arrivals[-1],
            "gc": PAUSES.total - paused,
        }
        gc.collect()  # every client has it: the next change is not sent yet
        return outcome

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        gc.enable()


class SpreadClients:
    """The same clients spread over several processes of this script, for more clients than
    one process may hold sockets (20,000 here). Each process reports, for each version, when
    its first, median and last client had it; CLOCK_MONOTONIC is the same clock for every
    process of the host, so these compare with the chair's send time. The median reported is
    the median of the processes' medians."""

    def __init__(self, urls: list[str], count: int, headers: dict, processes: int, first: int):
        self.urls, self.count, self.headers = urls, count, headers
        self.processes, self.first = processes, first
        self.children = []

    async def open(self) -> None:
        share = -(-self.count // self.processes)
        for index in range(self.processes):
            count = min(share, self.count - index * share)
            child = await asyncio.create_subprocess_exec(
                PYTHON,
                __file__,
                "--follow",
                self.urls[index % len(self.urls)],
                "--clients",
                str(count),
                "--follow-headers",
                json.dumps(self.headers),
                "--follow-from",
                str(self.first),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=2**20,
            )
            self.children.append(child)
        for child in self.children:
            line = await child.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError(f"a load process did not open its clients: {line!r}")

    async def outcome(self, version: int, timeout: float) -> dict:
        reports = []
        for child in self.children:
            child.stdin.write(f"{version} {timeout}\n".encode())
        await asyncio.gather(*(child.stdin.drain() for child in self.children))
        for child in self.children:
            reports.append(json.loads(await child.stdout.readline()))
        missing = sum(report.get("missing", 0) for report in reports)
        if missing:
            return {"missing": missing}
        return {
            "first": min(report["first"] for report in reports),
            "median": sorted(report["median"] for report in reports)[len(reports) // 2],
            "last": max(report["last"] for report in reports),
            "gc": max(report["gc"] for report in reports),
        }

    async def close(self) -> None:
        for child in self.children:
            child.stdin.close()
        await asyncio.gather(*(child.wait() for child in self.children))


async def _follow(args) -> None:
    """One load process of SpreadClients: open the clients, say "ready", then answer each
    "<version> <timeout>" line on stdin with the outcome of that version as JSON."""
    clients = Clients(args.follow, args.clients, json.loads(args.follow_headers))
    await clients.open()
    await clients.wait_for(args.follow_from, 120)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        version, timeout = line.split()
        sys.stdout.write(json.dumps(await clients.outcome(int(version), float(timeout))) + "\n")
        sys.stdout.flush()
    await clients.close()


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


async def _measure(clients, send_change, changes: int, first_version: int, timeout: float):
    per_change, lost = [], 0
    for n in range(changes):
        version = first_version + n + 1
        sent = time.monotonic()
        await send_change(n)
        answered = time.monotonic()
        row = {"v": version, "request_ms": round((answered - sent) * 1000, 2)}
        outcome = await clients.outcome(version, timeout)
        if "missing" in outcome:
            lost += outcome["missing"]
            row["last_client_ms"] = None
            row["missing"] = outcome["missing"]
        else:
            for name in ("first", "median", "last"):
                row[f"{name}_client_ms"] = round((outcome[name] - sent) * 1000, 2)
            row["load_generator_gc_ms"] = round(outcome["gc"] * 1000, 2)
        per_change.append(row)
    return {"per_change": per_change, "lost": lost}


# --- Plenary ---------------------------------------------------------------------------------


def _prepare_plenary(var_dir: str, database_url: str | None, speakers: int) -> dict:
    env = {
        **os.environ,
        "PLENARY_VAR_DIR": var_dir,
        "DJANGO_SETTINGS_MODULE": "plenary.settings",
        "BENCH_SPEAKERS": str(speakers),
    }
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
from plenary.registration.session import SESSION_KEY
result = load_scenario("vcc2")
c = result.consultation
chair = User.objects.get(email="chair@example.org")
sec = User.objects.get(email="secretariat@example.org")
d = Delegation.objects.get(consultation=c, state__iso2="CH")
p = registration.register(c, delegation=d, name="Viewer", email="viewer@bench.example.org", now=datetime.datetime(2020, 10, 20, tzinfo=datetime.UTC))
registration.approve(p, actor=sec)
services.open_meeting(c, c.meetings.get(kind="meeting", number=1), actor=chair)
services.set_item(c, c.groups.get(number=1).items.get(number=2), actor=chair)
# Speakers waiting in the queue, so that the snapshot has the size of a meeting's (1-2 KB).
from plenary.core.errors import DomainError
waiting = 0
for n, delegation in enumerate(Delegation.objects.filter(consultation=c).order_by("pk")):
    if waiting >= int(os.environ["BENCH_SPEAKERS"]):
        break
    try:
        s = registration.register(c, delegation=delegation, name=f"Speaker {n}", email=f"s{n}@bench.example.org", now=datetime.datetime(2020, 10, 20, tzinfo=datetime.UTC))
        registration.approve(s, actor=sec)
        registration.designate_speaker(s, actor=sec)
        s.refresh_from_db()
        services.ask_for_floor(s)
        waiting += 1
    except DomainError:
        continue
from plenary.floor import snapshot
size = len(snapshot.encode(snapshot.build(c.pk)).encode())
viewer = SessionStore(); viewer[SESSION_KEY] = p.pk; viewer.create()
chair_session = SessionStore()
chair_session[USER_KEY] = str(chair.pk); chair_session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
chair_session[HASH_SESSION_KEY] = chair.get_session_auth_hash(); chair_session.create()
print(json.dumps({"viewer": viewer.session_key, "chair": chair_session.session_key, "version": services.floor_of(c).version, "bytes": size, "waiting": waiting}))
"""
    output = subprocess.run(
        [PYTHON, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


async def _run_plenary(args, var_dir: str) -> dict:
    prepared = _prepare_plenary(var_dir, args.database_url, args.speakers)
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
        clients = await _open_clients(
            args,
            [f"ws://127.0.0.1:{port}/ws/consultations/vcc-2/floor/"],
            headers,
            prepared["version"],
        )
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
        summary = _summary(
            measured,
            args.changes,
            cpu_after - cpu_before,
            (rss_connected - idle_rss) / args.clients,
        )
        return {"snapshot_bytes": prepared["bytes"], "queue": prepared["waiting"], **summary}
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
    """As many bare servers as Plenary has workers, the clients shared among them."""
    ports = [_free_port() for _ in range(args.workers)]
    servers = [
        subprocess.Popen([PYTHON, "-c", BASELINE, str(port)], start_new_session=True)
        for port in ports
    ]
    pids = [server.pid for server in servers]
    try:
        for port in ports:
            await _wait_port(port)
        _idle_cpu, idle_rss = _process_stats(pids)
        clients = await _open_clients(
            args, [f"ws://127.0.0.1:{port}/floor" for port in ports], {}, 0
        )
        cpu_before, rss_connected = _process_stats(pids)
        controls = [
            await connect(f"ws://127.0.0.1:{port}/control", ping_interval=None) for port in ports
        ]
        padding = "x" * max(0, snapshot_bytes - 40)

        async def change(n: int):
            message = f'{{"type":"snapshot","v":{n + 1},"pad":"{padding}"}}'
            for control in controls:
                await control.send(message)

        measured = await _measure(clients, change, args.changes, 0, args.timeout)
        cpu_after, _rss = _process_stats(pids)
        for control in controls:
            await control.close()
        await clients.close()
        return _summary(
            measured,
            args.changes,
            cpu_after - cpu_before,
            (rss_connected - idle_rss) / args.clients,
        )
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


async def _open_clients(args, urls: list[str], headers: dict, first_version: int):
    """The clients in this process, or spread over --load-processes processes (each of
    them on one of `urls` in turn)."""
    if args.load_processes > 1:
        clients = SpreadClients(urls, args.clients, headers, args.load_processes, first_version)
        await clients.open()
        return clients
    if len(urls) > 1:
        raise SystemExit("several servers need --load-processes of at least their number")
    clients = Clients(urls[0], args.clients, headers)
    await clients.open()
    await clients.wait_for(first_version, 60)
    return clients


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
    # The baseline sends frames of the size of Plenary's snapshot in this run.
    baseline = await _run_baseline(args, args.snapshot_bytes or plenary["snapshot_bytes"])
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
        "load_processes": args.load_processes,
        "baseline_processes": args.workers,
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
    parser.add_argument(
        "--speakers",
        type=int,
        default=25,
        help="delegations waiting for the floor, which set the snapshot's size",
    )
    parser.add_argument(
        "--snapshot-bytes",
        type=int,
        default=0,
        help="the baseline's frame size (by default that of Plenary's snapshot in the run)",
    )
    parser.add_argument(
        "--chair",
        choices=["socket", "http"],
        default="socket",
        help="how the chair's changes are sent: the console's socket, or its form's POST",
    )
    parser.add_argument(
        "--load-processes",
        type=int,
        default=1,
        help="spread the clients over this many processes (one holds at most ~20,000 sockets)",
    )
    parser.add_argument("--follow", help=argparse.SUPPRESS)  # a load process's server URL
    parser.add_argument("--follow-headers", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--follow-from", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (min(hard, max(soft, args.clients * 2 + 1000)), hard)
    )
    if args.follow:
        asyncio.run(_follow(args))
        return 0
    result = asyncio.run(main_async(args))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    name = f"floor_fanout_{args.clients}.json"
    (out / name).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
