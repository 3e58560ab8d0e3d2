"""The live floor's database work, in the one thread that asgiref gives a server process for
work outside an HTTP request, keeping that thread's connection open between calls.

Channels' `database_sync_to_async` closes the connection after every call (CONN_MAX_AGE is 0,
as Django advises under ASGI, where each HTTP request runs in a thread of its own). For the
floor that meant a new PostgreSQL connection — a backend process forked, ~8 ms here — for
each step of each WebSocket's opening, four per client: after a server crash its thousands
of clients came back at some twenty per second and per process. Here the thread keeps its
one connection; it is checked (`SELECT 1`) after an error or a second unused, and opened
again if PostgreSQL went away meanwhile."""

import time

from asgiref.sync import sync_to_async
from django.db import connection

CHECK_AFTER_SECONDS = 1.0
_used = [0.0]


def _usable() -> None:
    if connection.connection is None:
        return
    if connection.errors_occurred or time.monotonic() - _used[0] > CHECK_AFTER_SECONDS:
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()


def floor_db(function):
    """`function` run in the floor's database thread, as an awaitable (also a decorator)."""

    def run(*args, **kwargs):
        _usable()
        try:
            return function(*args, **kwargs)
        finally:
            _used[0] = time.monotonic()

    return sync_to_async(run, thread_sensitive=True)


def close() -> None:
    """Close the floor thread's connection (the test run does, before it drops its database)."""
    from asgiref.sync import SyncToAsync

    SyncToAsync.single_thread_executor.submit(lambda: connection.close()).result(timeout=30)
