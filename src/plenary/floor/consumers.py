"""The WebSocket of the live floor: /ws/consultations/<slug>/floor/.

On connection the client receives the current snapshot; afterwards every change. A client
that comes back sends {"op": "sync", "v": <version it holds>} and gets the snapshot if it
is newer. A speaker sends {"op": "ask"} (or "point_of_order", "reply", "withdraw",
"object"), answered with {"type": "done", "op": ...} once committed or refused with a
reason; the chair's console sends {"op": "chair", "action": <a console button>, ...} and gets {"type": "done"}
once the change is committed and published. Everything else is refused with a reason,
rate-limited, logged, and the connection stays open.

A plain ASGI application rather than a Channels consumer: almost every connection only
receives, and thousands stay open through a meeting, so each costs one small object with
one coroutine (no receive queue, dispatch tasks or channel of its own; the hub holds the
one subscription per process), and a change is written to every socket in one pass."""

import asyncio
import json
import logging
import time
from urllib.parse import parse_qsl

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from websockets.protocol import State

from plenary.consultations.models import Consultation
from plenary.core import audit
from plenary.core.errors import DomainError, kind_of
from plenary.core.models import User
from plenary.core.socket_session import load
from plenary.outcomes.services import record_objection
from plenary.registration.models import Participant
from plenary.registration.session import participant_of

from . import queries, services, snapshot
from .db import floor_db
from .hub import hub

logger = logging.getLogger(__name__)
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)

MAX_MESSAGE_BYTES = 1024
BURST = 5  # messages
BURST_SECONDS = 2.0
FLOOD_CLOSE = 60  # messages in one minute before the connection is closed


class FloorConsumer:
    """One connection to the live floor."""

    __slots__ = (
        "_direct",
        "_pending",
        "_writer",
        "consultation_id",
        "is_chair",
        "language",
        "participant_id",
        "scope",
        "send",
        "sent",
        "slug",
        "user_id",
    )

    @classmethod
    def as_asgi(cls):
        async def app(scope, receive, send):
            await cls(scope, send).run(receive)

        return app

    def __init__(self, scope, send):
        self.scope = scope
        self.send = send
        self.slug = scope["url_route"]["kwargs"]["slug"]
        self.sent = None
        self._pending = None
        self._writer = None
        self._direct = None

    async def run(self, receive) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        identity = await self._identify(self.slug)
        if identity is None:
            await self.send({"type": "websocket.close", "code": 4403})
            return
        self.consultation_id, self.participant_id, self.is_chair, self.language = identity
        user = self.scope.get("user")
        self.user_id = user.pk if user is not None and user.is_authenticated else None
        self.scope = None  # nothing of the session is kept for the connection's lifetime
        await self.send({"type": "websocket.accept"})
        self._direct = _direct_socket(self.send)
        current = hub.current(self.consultation_id) or await floor_db(self._current)()
        await self.deliver(current)
        await hub.join(self.consultation_id, self)
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message["type"] == "websocket.receive" and not await self.receive(
                    message.get("text")
                ):
                    return
        finally:
            hub.leave(self.consultation_id, self)

    def offer(self, text: str, frame: bytes | None = None) -> None:
        """Write the newest snapshot to this connection without waiting for it.

        The hub calls this for every client on every change, with the snapshot's WebSocket
        frame encoded once for all of them. While the socket has room (nearly always) that
        frame is written straight to it, as `broadcast()` of `websockets` does: no frame
        built per client, no coroutine. Otherwise the write goes through the ASGI `send`,
        started here as an eager task would start it. A client whose socket is full (a slow
        link) gets a task that waits for it alone, never holding up the others; if snapshots
        arrive meanwhile, it then gets the newest, which holds the whole state."""
        if self._writer is not None:
            self._pending = text
            return
        direct = self._direct
        if frame is not None and direct is not None and _writable(direct):
            direct.transport.write(frame)
            return
        write = self.send({"type": "websocket.send", "text": text})
        try:
            waiting_for = write.send(None)
        except StopIteration:
            return
        except OSError:
            return  # the client went away; its disconnect ends run()
        except Exception:  # one broken connection never stops the others' snapshots
            logger.exception("floor: writing a snapshot failed")
            return
        self._writer = asyncio.get_running_loop().create_task(self._finish(write, waiting_for))

    async def _finish(self, write, waiting_for) -> None:
        """Drive a write that found the socket full to its end, as a task would: wait for
        what it waits for, then resume it; then send what was offered meanwhile."""
        try:
            while True:
                if waiting_for is None:
                    await asyncio.sleep(0)
                else:
                    waiting_for._asyncio_future_blocking = False
                    await asyncio.wait((waiting_for,))
                try:
                    waiting_for = write.send(None)
                except StopIteration:
                    break
            while self._pending is not None:
                text, self._pending = self._pending, None
                await self.send({"type": "websocket.send", "text": text})
        except OSError:
            pass  # the client went away; its disconnect ends run()
        except Exception:
            logger.exception("floor: writing a snapshot failed")
        finally:
            write.close()
            self._writer = None

    async def deliver(self, text: str) -> None:
        await self.send({"type": "websocket.send", "text": text})

    async def close(self, code: int) -> None:
        await self.send({"type": "websocket.close", "code": code})

    async def receive(self, text_data: str | None) -> bool:
        """Answer one message; False once the connection is closed for flooding."""
        message = _parse(text_data)
        if message is not None and message.get("c") not in (None, self.slug):
            message = {"op": "wrong_consultation"}
        if message is not None and message["op"] == "chair" and await self._may_chair():
            # The chair's console has no limit over HTTP either; its actions are checked
            # and audited by the service.
            await self._chair(message)
            return True
        pace = self._pace()
        if pace == "flood":
            await self.close(4429)
            return False
        if pace == "limited":
            await self.deliver('{"type":"refused","code":"rate_limited","status":429}')
            return True
        if message is None:
            await self._refuse("bad_message")
            return True
        op = message["op"]
        if op == "wrong_consultation":
            await self._refuse("wrong_consultation")
        elif op == "sync":
            # What this process last sent its clients: the connection has joined the hub,
            # so anything newer reaches it anyway, and the hub's watch sends what the
            # database holds beyond it within a second. No database work for a page that
            # comes back and sends this right after the snapshot it was given on opening.
            known = hub.last.get(self.consultation_id)
            current = known[1] if known else await floor_db(self._current)()
            held = message.get("v")
            if not isinstance(held, int) or (known[0] if known else _v(current)) > held:
                await self.deliver(current)
        elif op in {"ask", "point_of_order", "reply", "withdraw"}:
            await self._act(op)
        elif op == "object":
            await self._act(f"object:{message.get('kind', '')}")
        elif op == "chair":
            await self._chair(message)  # refused and audited by the service
        else:
            await self._refuse("unknown_op")
        return True

    def _pace(self) -> str:
        """ "ok", "limited" (answered, not acted on) or "flood" (the connection is closed)."""
        now = time.monotonic()
        self.sent = [t for t in self.sent or () if now - t < 60]
        self.sent.append(now)
        if len(self.sent) > FLOOD_CLOSE:
            return "flood"
        if sum(1 for t in self.sent if now - t < BURST_SECONDS) > BURST:
            return "limited"
        return "ok"

    async def _refused(self, refusal: DomainError) -> None:
        with translation.override(self.language):
            await self.deliver(
                json.dumps(
                    {
                        "type": "refused",
                        "code": refusal.code,
                        "status": refusal.status,
                        "message": refusal.user_message(),
                    }
                )
            )

    async def _act(self, op: str) -> None:
        """A speaker's op; answered with {"type": "done", "op": ...} once committed, so that
        the page knows it need not send it again after a dropped connection."""
        try:
            await floor_db(self._do)(op)
        except DomainError as refusal:
            await self._refused(refusal)
            return
        await self.deliver(json.dumps({"type": "done", "op": op.split(":", 1)[0]}))

    async def _chair(self, message: dict) -> None:
        action = message.get("action")
        try:
            await floor_db(self._run_chair_action)(action, message)
        except DomainError as refusal:
            await self._refused(refusal)
            return
        await self.deliver(json.dumps({"type": "done", "action": action}))

    def _run_chair_action(self, action, message: dict) -> None:
        # The user is read again for each action, so that a chair whose role was withdrawn
        # during the meeting is refused at once.
        consultation = Consultation.objects.get(pk=self.consultation_id)
        actor = (
            User.objects.filter(pk=self.user_id, is_active=True).first() if self.user_id else None
        )
        services.run_chair_action(
            consultation, action if isinstance(action, str) else "", message, actor=actor
        )

    def _do(self, op: str) -> None:
        if self.participant_id is None:
            raise DomainError(
                _("Only speakers may ask for the floor; viewers follow the meeting."),
                code="not_speaker",
            )
        participant = Participant.objects.select_related("consultation", "delegation").get(
            pk=self.participant_id
        )
        if op.startswith("object:"):
            floor = services.floor_of(participant.consultation)
            if floor.item_id is None:
                raise DomainError(_("No item is under discussion."), code="no_item")
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
            request = queries.waiting_request_of(floor, participant.delegation)
            if request is None:
                raise DomainError(_("This request is no longer waiting."), code="not_waiting")
            services.withdraw_request(request, participant=participant)
            return
        kind = op if op in ("point_of_order", "reply") else "speak"
        services.ask_for_floor(participant, kind=kind)

    async def _refuse(self, code: str) -> None:
        await floor_db(audit.record)(
            "floor.message_refused", data={"code": code, "participant": self.participant_id}
        )
        await self.deliver(
            json.dumps({"type": "refused", "code": code, "status": kind_of(code).status})
        )

    def _current(self) -> str:
        """The snapshot of the database's version: the hub's if it has that one (one small
        query, the common case), else built."""
        known = hub.last.get(self.consultation_id)
        if known and known[0] >= snapshot.version(self.consultation_id):
            return known[1]
        return snapshot.encode(snapshot.build(self.consultation_id))

    @floor_db
    def _identify(self, slug: str):
        """Who this is, in as few queries as a storm of reconnections needs: the
        consultation's key, the participant, and whether the person chairs only when that
        decides admission; otherwise it waits for the first chair message (`_may_chair`)."""
        load(self.scope)
        consultation_id = _consultation_id(slug)
        if consultation_id is None:
            return None
        user = self.scope.get("user")
        signed_in = user is not None and user.is_authenticated
        participant = participant_of(self.scope, Consultation(pk=consultation_id))
        is_chair = False if not signed_in else None
        if participant is None:
            is_chair = signed_in and _chairs(user, consultation_id)
            if not is_chair:
                return None
        language = _page_language(self.scope) or (
            participant.language if participant else getattr(user, "language", "en")
        )
        return consultation_id, participant.pk if participant else None, is_chair, language

    async def _may_chair(self) -> bool:
        if self.is_chair is None:
            self.is_chair = await floor_db(_chairs_by_id)(self.user_id, self.consultation_id)
        return self.is_chair


def _page_language(scope) -> str | None:
    """The language of the page that opened the socket (`?lang=` in its address), so that
    refusals read as the page does; None when absent or not one of the site's."""
    for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
        if name == "lang" and value in LANGUAGE_CODES:
            return value
    return None


def _consultation_id(slug: str) -> int | None:
    return Consultation.objects.filter(slug=slug).values_list("pk", flat=True).first()


def _chairs(user, consultation_id: int) -> bool:
    consultation = Consultation.objects.filter(pk=consultation_id).first()
    return bool(consultation and user.has_perm("consultations.chair_meeting", consultation))


def _chairs_by_id(user_id: int | None, consultation_id: int) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    return bool(user and _chairs(user, consultation_id))


def _direct_socket(send):
    """The uvicorn connection behind `send`, if a frame encoded once may be written to it
    as it is: uvicorn's `websockets` protocol (the one `serve` runs; uvicorn is pinned) with
    no extension negotiated, since per-message deflate compresses each connection's frames
    with its own context. Anything else (another server, a test's communicator, deflate
    on) gets every snapshot through its ASGI `send`."""
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:  # pragma: no cover - uvicorn[standard] is a dependency
        return None
    protocol = getattr(send, "__self__", None)
    if type(protocol) is not WebSocketsSansIOProtocol or protocol.conn.extensions:
        return None
    return protocol


def _writable(protocol) -> bool:
    """Open, accepted, not closing, and its socket below the high-water mark: what uvicorn's
    own `send` waits for. A frame written now goes out whole between uvicorn's own frames
    (pings, a close), which it also writes whole in one call."""
    return (
        protocol.writable.is_set()
        and protocol.handshake_complete
        and not protocol.close_sent
        and protocol.conn.state is State.OPEN
        and not protocol.transport.is_closing()
    )


def _v(text: str) -> int:
    return json.loads(text).get("v", 0)


def _parse(text_data: str | None) -> dict | None:
    """The message as a dict with an "op", or None if it is not one."""
    if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
        return None
    try:
        message = json.loads(text_data)
    except ValueError:
        return None
    if not isinstance(message, dict) or "op" not in message:
        return None
    return message
