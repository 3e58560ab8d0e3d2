"""Who is on the other end of a WebSocket, read once when it connects.

Channels' SessionMiddleware wraps every outgoing message to save a changed session; the
floor never changes the session, and it sends every snapshot to every client, so that
wrapper would cost one extra call per client per change. This middleware reads the
session and the user once, at connection, and leaves `send` alone."""

from http.cookies import SimpleCookie
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser

from .db import floor_db


def _load(session_key: str | None):
    if not session_key:
        return {}, AnonymousUser()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    session = dict(store.items())
    user = get_user(SimpleNamespace(session=store))
    return session, user


class ReadOnlySessionMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        cookies = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                try:
                    cookies.load(value.decode("latin-1"))
                except Exception:  # a malformed cookie header means no session, not an error
                    cookies = SimpleCookie()
        morsel = cookies.get(settings.SESSION_COOKIE_NAME)
        session, user = await floor_db(_load)(morsel.value if morsel else None)
        return await self.inner({**scope, "session": session, "user": user}, receive, send)
