"""The WebSocket of the live floor: /ws/consultations/<slug>/floor/.

On connection the client receives the current snapshot; afterwards every change. A client
that comes back sends {"op": "sync", "v": <version it holds>} and gets the snapshot if it
is newer. A speaker sends {"op": "ask"} (or "point_of_order", "withdraw"); everything
else is refused with a reason, rate-limited, logged, and the connection stays open."""

import asyncio
import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation

from plenary.consultations.models import Consultation
from plenary.core import audit
from plenary.core.errors import DomainError
from plenary.registration.models import Participant
from plenary.registration.views import SESSION_KEY

from . import services, snapshot
from .hub import hub

MAX_MESSAGE_BYTES = 1024
BURST = 5  # messages
BURST_SECONDS = 2.0
FLOOD_CLOSE = 60  # messages in one minute before the connection is closed


class FloorConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        slug = self.scope["url_route"]["kwargs"]["slug"]
        identity = await self._identify(slug)
        if identity is None:
            await self.close(code=4403)
            return
        self.consultation_id, self.participant_id, self.is_chair, self.language = identity
        self.sent = []
        self._pending = ""
        self._wake = asyncio.Event()
        await self.accept()
        await self.deliver(await database_sync_to_async(self._current)())
        self._writer = asyncio.get_running_loop().create_task(self._write())
        await hub.join(self.consultation_id, self)

    async def disconnect(self, code):
        if hasattr(self, "consultation_id"):
            hub.leave(self.consultation_id, self)
        if getattr(self, "_writer", None) is not None:
            self._writer.cancel()

    def offer(self, text: str) -> None:
        """Hand the newest snapshot to this connection's writer without waiting for it.

        The hub calls this for every client on every change. A client whose socket is full
        (a slow link) makes only its own writer wait, never the others; if several snapshots
        arrive meanwhile, it gets the newest, which holds the whole state."""
        self._pending = text
        self._wake.set()

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.base_send({"type": "websocket.send", "text": self._pending})

    async def deliver(self, text: str) -> None:
        await self.base_send({"type": "websocket.send", "text": text})

    async def receive(self, text_data=None, bytes_data=None):
        pace = self._pace()
        if pace == "flood":
            await self.close(code=4429)
            return
        if pace == "limited":
            await self.send(text_data='{"type":"refused","code":"rate_limited"}')
            return
        if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
            await self._refuse("bad_message")
            return
        try:
            message = json.loads(text_data)
            op = message["op"]
        except (ValueError, KeyError, TypeError):
            await self._refuse("bad_message")
            return
        if message.get("c") not in (None, self.scope["url_route"]["kwargs"]["slug"]):
            await self._refuse("wrong_consultation")
            return
        if op == "sync":
            current = await database_sync_to_async(self._current)()
            held = message.get("v")
            if not isinstance(held, int) or json.loads(current).get("v", 0) > held:
                await self.deliver(current)
            return
        if op in {"ask", "point_of_order", "withdraw"}:
            await self._act(op)
            return
        if op == "object":
            await self._act(f"object:{message.get('kind', '')}")
            return
        await self._refuse("unknown_op")

    def _pace(self) -> str:
        """ "ok", "limited" (answered, not acted on) or "flood" (the connection is closed)."""
        now = time.monotonic()
        self.sent = [t for t in self.sent if now - t < 60]
        self.sent.append(now)
        if len(self.sent) > FLOOD_CLOSE:
            return "flood"
        if sum(1 for t in self.sent if now - t < BURST_SECONDS) > BURST:
            return "limited"
        return "ok"

    async def _act(self, op: str) -> None:
        try:
            await database_sync_to_async(self._do)(op)
        except DomainError as refusal:
            with translation.override(self.language):
                await self.send(
                    text_data=json.dumps(
                        {"type": "refused", "code": refusal.code, "message": refusal.user_message()}
                    )
                )

    def _do(self, op: str) -> None:
        if self.participant_id is None:
            raise DomainError(
                translation.gettext_lazy(
                    "Only speakers may ask for the floor; viewers follow the meeting."
                ),
                code="not_speaker",
            )
        participant = Participant.objects.select_related("consultation", "delegation").get(
            pk=self.participant_id
        )
        if op.startswith("object:"):
            from plenary.outcomes.services import record_objection

            floor = services.floor_of(participant.consultation)
            if floor.item_id is None:
                raise DomainError(
                    translation.gettext_lazy("No item is under discussion."), code="no_item"
                )
            record_objection(
                floor.item,
                participant.delegation,
                op.split(":", 1)[1],
                actor=None,
                participant=participant,
            )
            return
        if op == "withdraw":
            floor = services.floor_of(participant.consultation)
            request = floor.requests.filter(
                delegation=participant.delegation, item_id=floor.item_id, status="waiting"
            ).first()
            if request is None:
                raise DomainError(
                    translation.gettext_lazy("This request is no longer waiting."),
                    code="not_waiting",
                )
            services.withdraw_request(request, participant=participant)
            return
        kind = "point_of_order" if op == "point_of_order" else "speak"
        services.ask_for_floor(participant, kind=kind)

    async def _refuse(self, code: str) -> None:
        await database_sync_to_async(audit.record)(
            "floor.message_refused", data={"code": code, "participant": self.participant_id}
        )
        await self.send(text_data=json.dumps({"type": "refused", "code": code}))

    def _current(self) -> str:
        known = hub.last.get(self.consultation_id)
        data = snapshot.build(self.consultation_id)
        if known and known[0] >= data.get("v", 0):
            return known[1]
        return snapshot.encode(data)

    @database_sync_to_async
    def _identify(self, slug: str):
        consultation = Consultation.objects.filter(slug=slug).first()
        if consultation is None:
            return None
        session = self.scope.get("session") or {}
        user = self.scope.get("user")
        participant = None
        participant_id = session.get(SESSION_KEY)
        if participant_id:
            participant = Participant.objects.filter(
                pk=participant_id, consultation=consultation, status="approved"
            ).first()
        if participant is None and user is not None and user.is_authenticated:
            participant = Participant.objects.filter(
                user=user, consultation=consultation, status="approved"
            ).first()
        is_chair = bool(
            user is not None
            and user.is_authenticated
            and user.has_perm("consultations.chair_meeting", consultation)
        )
        if participant is None and not is_chair:
            return None
        language = participant.language if participant else getattr(user, "language", "en")
        return consultation.pk, participant.pk if participant else None, is_chair, language
