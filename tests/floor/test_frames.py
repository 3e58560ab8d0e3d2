"""Under the server Plenary runs (uvicorn), a snapshot's frame is encoded once and written to
every follower's socket as it is; with per-message compression, or a socket that is full,
each connection gets it through its own ASGI `send`. Either way the page receives the
snapshot as sent."""

import asyncio
import json
import socket
import threading
import time

import pytest
import uvicorn
from websockets.asyncio.client import connect

from plenary.floor import services
from plenary.floor.hub import hub
from plenary.registration import services as registration
from tests import factories

from .test_floor import _session_cookie


@pytest.fixture
def asgi_server(request, settings):
    """uvicorn serving Plenary in a thread; yields its port and event loop."""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    from plenary.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ws_per_message_deflate=request.param,
        )
    )
    loops = []

    def serve():
        loop = asyncio.new_event_loop()
        loops.append(loop)
        loop.run_until_complete(server.serve())
        # the hub's listener and watch end with the server, as they would with its process
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield port, loops[0]
    server.should_exit = True
    thread.join(timeout=10)
    hub.last.clear()  # what this server's hub sent is no one else's


def _on_loop(loop, function, *args):
    """Run `function` on the server's event loop, as the hub runs there, and return its result."""
    done = threading.Event()
    result = []

    def call():
        try:
            result.append(function(*args))
        finally:
            done.set()

    loop.call_soon_threadsafe(call)
    assert done.wait(5)
    return result[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("asgi_server", "written_directly"), [(False, True), (True, False)], indirect=["asgi_server"]
)
def test_every_follower_receives_the_snapshot_as_published(
    asgi_server, written_directly, client, vcc2, chair
):
    port, loop = asgi_server
    consultation = vcc2.consultation
    services.open_meeting(consultation, factories.meeting(consultation, 1), actor=chair)
    viewer = factories.participant(consultation, "FR", speaker=False)
    cookie = _session_cookie(client.__class__(), token=registration.send_link(viewer, actor=chair))

    async def scenario():
        pages = [
            await connect(
                f"ws://127.0.0.1:{port}/ws/consultations/vcc-2/floor/",
                additional_headers={
                    "Cookie": cookie.decode(),
                    "Origin": f"http://127.0.0.1:{port}",
                },
                compression="deflate" if not written_directly else None,
            )
            for _ in range(3)
        ]
        first = [json.loads(await page.recv()) for page in pages]
        for _ in range(50):
            if hub.count(consultation.pk) == 3:
                break
            await asyncio.sleep(0.05)
        connections = list(hub.rooms[consultation.pk])
        assert [c._direct is not None for c in connections] == [written_directly] * 3
        version = first[0]["v"]
        for step in (1, 2):
            text = json.dumps({"type": "snapshot", "v": version + step, "c": "vcc-2", "é": "ü"})
            await asyncio.to_thread(
                _on_loop, loop, hub._deliver, consultation.pk, version + step, text
            )
            assert [await page.recv() for page in pages] == [text] * 3
        for page in pages:
            await page.close()

    asyncio.run(scenario())
