"""Who is on the other end of a WebSocket, read once, by the consumer, when it connects.

Channels' SessionMiddleware wraps every outgoing message to save a changed session; the
floor never changes the session, and it sends every snapshot to every client, so that
wrapper would cost one extra call per client per change. This middleware only finds the
session key in the cookie; the consumer reads the session and the user (`load`) in the
same database call as the rest of who the client is, so that a storm of reconnections
costs one trip to a database thread a client rather than two."""

from http.cookies import SimpleCookie
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser


def load(scope) -> None:
    """Fill the scope's "session" (a plain dict) and "user" from its session key, once.
    Call it from a database thread."""
    if "user" in scope:
        return
    session_key = scope.get("session_key")
    if not session_key:
        scope["session"], scope["user"] = {}, AnonymousUser()
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    scope["session"] = dict(store.items())
    scope["user"] = get_user(SimpleNamespace(session=store))


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
        scope = {key: value for key, value in scope.items() if key not in ("session", "user")}
        scope["session_key"] = morsel.value if morsel else None
        return await self.inner(scope, receive, send)
