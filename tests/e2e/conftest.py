import os
import shutil

import pytest

CHROMIUM = os.environ.get("PLENARY_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def browser():
    """One browser per test: Playwright's sync API runs an event loop in this thread for as
    long as it is open, and later tests (WebSocket, channel layer) need the thread free."""
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) to run browser tests."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def uvicorn_server(settings):
    """uvicorn serving Plenary (HTTP and WebSocket) in a thread, on the test database, with
    its own Redis database for the channel layer (13: other browser tests use 6)."""
    import asyncio
    import socket
    import threading
    import time

    import uvicorn

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379/13"]},
        }
    }
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    from plenary.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    channel_layers.backends.clear()


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until a JavaScript expression is true in the page.

    Playwright's wait_for_function builds a function from the string inside the page, which
    the Content-Security-Policy (script-src 'self', no 'unsafe-eval') rightly forbids;
    page.evaluate goes through the DevTools protocol instead, so the pages are tested under
    their real policy."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def off_the_browsers_loop(function, *args, **kwargs):
    """Run a service in a thread of its own: Playwright keeps an event loop in this one,
    and publishing a floor snapshot from sync code needs a thread without one."""
    import threading

    from django.db import connection

    outcome = {}

    def run():
        try:
            outcome["value"] = function(*args, **kwargs)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return outcome.get("value")
