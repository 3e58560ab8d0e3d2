"""The live chat with IT support: /ws/consultations/<slug>/support/<request>/.

Both ends, the person who asked and IT support staff, join one group per request. A message
is stored first (`services.post_message`), then sent to the group as plain text; pages
insert it with textContent, never as HTML. Floods are answered, then the socket is closed,
as on the floor."""

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation

from plenary.core.errors import DomainError, kind_of
from plenary.core.socket_session import load

from . import queries, services
from .models import SupportRequest

MAX_FRAME = 8 * 1024
BURST, BURST_SECONDS, FLOOD_CLOSE = 5, 5.0, 40


def group(request_id: int) -> str:
    return f"support.{request_id}"


class SupportChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        found = await self._identify(kwargs["slug"], kwargs["request_id"])
        if found is None:
            await self.close(code=4403)
            return
        self.request_id, self.from_support, self.language = found
        self.sent: list[float] = []
        await self.channel_layer.group_add(group(self.request_id), self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "request_id"):
            await self.channel_layer.group_discard(group(self.request_id), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        now = time.monotonic()
        self.sent = [t for t in self.sent if now - t < 60] + [now]
        if len(self.sent) > FLOOD_CLOSE:
            await self.close(code=4429)
            return
        if sum(1 for t in self.sent if now - t < BURST_SECONDS) > BURST:
            await self._refused("rate_limited")
            return
        try:
            if text_data is None or len(text_data) > MAX_FRAME:
                raise ValueError
            message = json.loads(text_data)
            if message.get("op") != "say" or not isinstance(message.get("text"), str):
                raise ValueError
        except (ValueError, AttributeError):
            await self._refused("bad_message")
            return
        try:
            stored = await database_sync_to_async(self._store)(message["text"])
        except DomainError as refusal:
            with translation.override(self.language):
                await self._refused(refusal.code, refusal.user_message())
            return
        await self.channel_layer.group_send(group(self.request_id), stored)

    async def chat_message(self, event):
        await self.send(
            text_data=json.dumps(
                {
                    "type": "message",
                    "id": event["id"],
                    "from_support": event["from_support"],
                    "text": event["text"],
                    "at": event["at"],
                },
                ensure_ascii=False,
            )
        )

    async def _refused(self, code: str, message: str = "") -> None:
        frame = {
            "type": "refused",
            "code": code,
            "status": kind_of(code).status,
            "message": message,
        }
        await self.send(text_data=json.dumps(frame))

    def _store(self, text: str) -> dict:
        support_request = SupportRequest.objects.get(pk=self.request_id)
        user = self.scope.get("user")
        message = services.post_message(
            support_request,
            text,
            from_support=self.from_support,
            author=user if self.from_support else None,
        )
        return {
            "type": "chat.message",
            "id": message.pk,
            "from_support": message.from_support,
            "text": message.body,
            "at": message.sent_at.isoformat(),
        }

    @database_sync_to_async
    def _identify(self, slug: str, request_id: int):
        """(request, speaking as IT support?, language) or None for anyone else."""
        load(self.scope)
        support_request = (
            SupportRequest.objects.filter(pk=request_id, consultation__slug=slug)
            .select_related("consultation")
            .first()
        )
        if support_request is None:
            return None
        user = self.scope.get("user")
        if (
            user is not None
            and user.is_authenticated
            and user.has_perm("remote.support", support_request.consultation)
        ):
            return support_request.pk, True, getattr(user, "language", "en")
        if not queries.is_own_request(self.scope, support_request, support_request.consultation):
            return None
        return support_request.pk, False, support_request.language
