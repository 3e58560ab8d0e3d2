"""A WebSocket client of the live floor that behaves like the live page's script.

What src/plenary/static/plenary/js/floor.js does, and this client with it:
- it opens /ws/consultations/<slug>/floor/ with the page's session cookie;
- on open it resets its retry delay and sends {"op": "sync", "v": <version it holds>};
- it keeps a snapshot whose version is at least the one it holds (`v >= state.v`);
- on close it waits a random time between 0 and a ceiling that doubles from RETRY_BASE_MS
  to RETRY_CAP_MS ("full jitter"), then reconnects — both read from floor.js itself
  (floor_js_backoff), so that this client retries exactly as browsers do;
- a request whose answer it never received is tried again once it has resynchronised and
  the snapshot does not show it (floor.js does the same by itself; here the test drives it
  through follow_up()).
"""

import asyncio
import contextlib
import json
import random
import re
import time
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

FLOOR_JS = Path(__file__).resolve().parents[2] / "src/plenary/static/plenary/js/floor.js"


def floor_js_backoff() -> tuple[float, float]:
    """(RETRY_BASE_MS, RETRY_CAP_MS) in seconds, as floor.js has them."""
    source = FLOOR_JS.read_text()
    base = re.search(r"var RETRY_BASE_MS = (\d+);", source)
    ceiling = re.search(r"var RETRY_CAP_MS = (\d+);", source)
    assert base and ceiling, "floor.js no longer has the reconnect backoff this client mirrors"
    return int(base.group(1)) / 1000, int(ceiling.group(1)) / 1000


RETRY_BASE, RETRY_CEILING = floor_js_backoff()


def retry_delay(attempt: int) -> float:
    """floor.js's retryDelay() for the attempt-th wait after a drop (0 first)."""
    return random.random() * min(RETRY_CEILING, RETRY_BASE * 2**attempt)


class Intent:
    """One thing a person wants done (ask for the floor, object): tried until the server
    accepts it or refuses it in words."""

    def __init__(self, op: dict):
        self.op = op
        self.attempts = 0
        self.dropped = 0  # attempts whose connection closed before any answer
        self.outcome: str | None = None  # "accepted" or "refused:<code>"
        self.request: int | None = None  # the accepted request for the floor
        self.sent_at = 0.0
        self.answered_after: float | None = None


class FloorClient:
    def __init__(self, url: str, origin: str, session: str, delegation: int | None = None):
        self.url = url
        self.origin = origin
        self.session = session
        self.delegation = delegation
        self.state: dict = {"v": 0}
        self.connected = False
        self.socket = None
        self.connects = 0
        self.closes = 0
        self.seen_requests: set[int] = set()  # my delegation's requests seen in a snapshot
        self.pending: Intent | None = None
        self.intents: list[Intent] = []
        self.refusals: list[dict] = []
        self.synced = asyncio.Event()
        self._stop = False
        self._task: asyncio.Task | None = None

    # --- the floor.js loop ---------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stop = True
        if self.socket is not None:
            await self.socket.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _run(self) -> None:
        attempt = 0
        while not self._stop:
            try:
                async with connect(
                    self.url,
                    origin=self.origin,
                    additional_headers={"Cookie": f"sessionid={self.session}"},
                    open_timeout=5,
                    ping_interval=None,
                    max_queue=None,
                ) as socket:
                    self.socket = socket
                    attempt = 0  # socket.onopen
                    self.connected = True
                    self.connects += 1
                    await socket.send(json.dumps({"op": "sync", "v": self.state.get("v", 0)}))
                    async for text in socket:
                        self._receive(json.loads(text))
            except (TimeoutError, OSError, WebSocketException):
                pass  # the page shows its banner and tries again, below
            self.connected = False
            self.socket = None
            self.synced.clear()
            self.closes += 1
            if self.pending is not None and self.pending.outcome is None and self.pending.sent_at:
                self.pending.dropped += 1
                self.pending.sent_at = 0.0  # to be tried again once resynchronised
            if self._stop:
                return
            await asyncio.sleep(retry_delay(attempt))  # socket.onclose: setTimeout(connect, ...)
            attempt += 1

    def _receive(self, message: dict) -> None:
        if message.get("type") == "snapshot":
            if message.get("v", 0) >= self.state.get("v", 0):
                self.state = message
            self.synced.set()
            self._settle()
        elif message.get("type") == "refused":
            self.refusals.append(message)
            intent = self.pending
            if intent is not None and intent.outcome is None and intent.sent_at:
                self._resolve(intent, f"refused:{message.get('code')}")

    # --- what the person sees --------------------------------------------------------------
    def mine_in_snapshot(self) -> set[int]:
        entries = list(self.state.get("queue") or [])
        if self.state.get("speaking"):
            entries.append(self.state["speaking"])
        return {e["r"] for e in entries if e.get("d") == self.delegation}

    def waiting(self) -> bool:
        return any(e.get("d") == self.delegation for e in self.state.get("queue") or []) or (
            (self.state.get("speaking") or {}).get("d") == self.delegation
        )

    def objections(self) -> set[tuple[int, str]]:
        return {(o["d"], o["k"]) for o in self.state.get("objections") or []}

    def _settle(self) -> None:
        new = self.mine_in_snapshot() - self.seen_requests
        self.seen_requests |= new
        intent = self.pending
        if intent is None or intent.outcome is not None:
            return
        if intent.op["op"] in {"ask", "point_of_order"} and new:
            intent.request = min(new)
            self._resolve(intent, "accepted")
        elif (
            intent.op["op"] == "object"
            and (self.delegation, intent.op["kind"]) in self.objections()
        ):
            self._resolve(intent, "accepted")

    def _resolve(self, intent: Intent, outcome: str) -> None:
        intent.outcome = outcome
        if intent.sent_at:
            intent.answered_after = time.monotonic() - intent.sent_at
        self.pending = None

    # --- acting ---------------------------------------------------------------------------
    async def act(self, op: dict) -> None:
        """Start an intent (one at a time, as a person does)."""
        intent = Intent(op)
        self.intents.append(intent)
        self.pending = intent
        if op["op"] == "object" and (self.delegation, op["kind"]) in self.objections():
            self._resolve(intent, "accepted")
            return
        await self._send(intent)

    async def _send(self, intent: Intent) -> None:
        if self.socket is None or not self.synced.is_set():
            return
        intent.attempts += 1
        intent.sent_at = time.monotonic()
        try:
            await self.socket.send(json.dumps(intent.op))
        except WebSocketException:
            intent.sent_at = 0.0

    async def follow_up(self) -> None:
        """An intent whose attempt was cut off is tried again once the page has resynced and
        does not show it — what a person does after the banner disappears."""
        intent = self.pending
        if intent is None or intent.outcome is not None or intent.sent_at:
            return
        self._settle()
        if self.pending is intent and intent.outcome is None:
            await self._send(intent)
