"""One subscription per server process and consultation: the snapshot arrives once from the
channel layer and is written to every local connection, already encoded. (A Channels group
per client would queue one message per connection; this keeps the cost per client to one
socket write.)"""

import asyncio
import contextlib
import logging
import time

from channels.layers import get_channel_layer
from django.conf import settings
from websockets.frames import Frame, Opcode

from . import snapshot
from .db import floor_db
from .live import group_name

logger = logging.getLogger(__name__)


class Hub:
    def __init__(self):
        self.rooms: dict[int, set] = {}
        self.listeners: dict[int, asyncio.Task] = {}
        self.last: dict[int, tuple[int, str]] = {}
        self.watchers: dict[int, asyncio.Task] = {}
        self.checked: dict[int, float] = {}  # when the watch last found `last` current

    def current(self, consultation_id: int) -> str | None:
        """The snapshot of the database's version as the watch saw it less than two ticks
        ago, or None. A connection that opens is given this without a query: it joins the
        room at once, so anything newer reaches it with the next publish or watch."""
        known = self.last.get(consultation_id)
        every = getattr(settings, "PLENARY_FLOOR_WATCH_SECONDS", 1.0)
        checked = self.checked.get(consultation_id, 0.0)
        if known is None or time.monotonic() - checked > 2 * every:
            return None
        return known[1]

    async def join(self, consultation_id: int, connection) -> None:
        self.rooms.setdefault(consultation_id, set()).add(connection)
        task = self.listeners.get(consultation_id)
        if task is None or task.done():
            ready = asyncio.Event()
            self.listeners[consultation_id] = asyncio.get_running_loop().create_task(
                self._listen(consultation_id, ready)
            )
            await ready.wait()
        watcher = self.watchers.get(consultation_id)
        if watcher is None or watcher.done():
            self.watchers[consultation_id] = asyncio.get_running_loop().create_task(
                self._watch(consultation_id)
            )

    def leave(self, consultation_id: int, connection) -> None:
        self.rooms.get(consultation_id, set()).discard(connection)

    def count(self, consultation_id: int) -> int:
        return len(self.rooms.get(consultation_id, ()))

    async def _listen(self, consultation_id: int, ready: asyncio.Event) -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(group_name(consultation_id), channel)
        ready.set()
        try:
            while True:
                message = await layer.receive(channel)
                version, text = message.get("v", 0), message["text"]
                self._deliver(consultation_id, version, text)
        finally:
            with contextlib.suppress(Exception):
                await layer.group_discard(group_name(consultation_id), channel)

    def _deliver(self, consultation_id: int, version: int, text: str) -> None:
        known = self.last.get(consultation_id)
        if known and known[0] >= version:
            return  # an older snapshot arriving late never replaces a newer one
        self.last[consultation_id] = (version, text)
        # One frame for every client, as `websockets.broadcast()` encodes it: a server's
        # frames are not masked, so the bytes are the same for all. No await per client:
        # each connection writes it or, if its socket is full, waits alone (consumers.py).
        frame = Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])
        for connection in list(self.rooms.get(consultation_id, ())):
            connection.offer(text, frame)

    async def _watch(self, consultation_id: int) -> None:
        """The database is the truth: if it holds a newer version than this process has
        sent (a publish lost while Redis was down, a process that missed it), send it.
        One small query per process and consultation every PLENARY_FLOOR_WATCH_SECONDS."""
        every = getattr(settings, "PLENARY_FLOOR_WATCH_SECONDS", 1.0)
        while self.rooms.get(consultation_id):
            await asyncio.sleep(every)
            try:
                version = await floor_db(snapshot.version)(consultation_id)
                known = self.last.get(consultation_id)
                if version > (known[0] if known else 0):
                    data = await floor_db(snapshot.build)(consultation_id)
                    self._deliver(consultation_id, data.get("v", 0), snapshot.encode(data))
                self.checked[consultation_id] = time.monotonic()
            except Exception:  # the database is away: try again at the next tick
                logger.warning("floor watch of consultation %s failed", consultation_id)


hub = Hub()
