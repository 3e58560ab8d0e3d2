"""One subscription per server process and consultation: the snapshot arrives once from the
channel layer and is written to every local connection, already encoded. (A Channels group
per client would queue one message per connection; this keeps the cost per client to one
socket write.)"""

import asyncio
import contextlib

from channels.layers import get_channel_layer

from .publish import group_name


class Hub:
    def __init__(self):
        self.rooms: dict[int, set] = {}
        self.listeners: dict[int, asyncio.Task] = {}
        self.last: dict[int, tuple[int, str]] = {}

    async def join(self, consultation_id: int, connection) -> None:
        self.rooms.setdefault(consultation_id, set()).add(connection)
        task = self.listeners.get(consultation_id)
        if task is None or task.done():
            ready = asyncio.Event()
            self.listeners[consultation_id] = asyncio.get_running_loop().create_task(
                self._listen(consultation_id, ready)
            )
            await ready.wait()

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
                known = self.last.get(consultation_id)
                if known and known[0] > version:
                    continue  # an older snapshot arriving late never replaces a newer one
                self.last[consultation_id] = (version, text)
                # No await per client: each connection's own writer sends it (consumers.py),
                # so a client whose socket is full never holds up the others.
                for connection in list(self.rooms.get(consultation_id, ())):
                    connection.offer(text)
        finally:
            with contextlib.suppress(Exception):
                await layer.group_discard(group_name(consultation_id), channel)


hub = Hub()
