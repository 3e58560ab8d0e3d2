"""The live floor's database work, in a few threads of its own that keep their connections
open between calls.

Channels' `database_sync_to_async` closes the connection after every call (CONN_MAX_AGE is 0,
as Django advises under ASGI, where each HTTP request runs in a thread of its own). For the
floor that meant a new PostgreSQL connection — a backend process forked, ~8 ms here — for
each step of each WebSocket's opening, four per client: after a server crash its thousands
of clients came back at some twenty per second and per process. Here each floor thread keeps
its one connection; it is checked (`SELECT 1`) after an error or a second unused, and opened
again if PostgreSQL went away meanwhile.

Several threads, not asgiref's one: after a server is killed, thousands of openings queue
for the database at once. In one thread they wait for PostgreSQL one after the other, and the
watch that keeps the hub's snapshot fresh waits behind them, so each opening then builds the
snapshot itself; with PLENARY_FLOOR_DB_THREADS threads (4) the waits overlap and the watch
keeps its pace (docs/performance.md, "A reconnect storm")."""

import asyncio
import contextvars
import functools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection

CHECK_AFTER_SECONDS = 1.0
_local = threading.local()
_pool: list[ThreadPoolExecutor] = []
_pool_lock = threading.Lock()


def _threads() -> int:
    return max(1, int(getattr(settings, "PLENARY_FLOOR_DB_THREADS", 4)))


def _executor() -> ThreadPoolExecutor:
    if not _pool:
        with _pool_lock:
            if not _pool:
                _pool.append(ThreadPoolExecutor(_threads(), thread_name_prefix="floor-db"))
    return _pool[0]


def _usable() -> None:
    if connection.connection is None:
        return
    used = getattr(_local, "used", 0.0)
    if connection.errors_occurred or time.monotonic() - used > CHECK_AFTER_SECONDS:
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()


def _in_thread(function, args, kwargs):
    _usable()
    try:
        return function(*args, **kwargs)
    finally:
        _local.used = time.monotonic()


def floor_db(function):
    """`function` run in one of the floor's database threads, as an awaitable (also a
    decorator, of functions and methods alike)."""

    @functools.wraps(function)
    async def call(*args, **kwargs):
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(
            _executor(), context.run, _in_thread, function, args, kwargs
        )

    return call


def close() -> None:
    """Close every floor thread's connection and let the threads go (the test run does, before
    it drops its database); the next call starts them again."""
    with _pool_lock:
        if not _pool:
            return
        executor = _pool.pop()
    count = _threads()
    # One task per thread: each waits for the others, so no thread takes two.
    barrier = threading.Barrier(count)

    def close_here():
        try:
            barrier.wait(timeout=30)
        finally:
            connection.close()

    for future in [executor.submit(close_here) for _ in range(count)]:
        future.result(timeout=60)
    executor.shutdown(wait=True)
