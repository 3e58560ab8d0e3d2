"""A speaker follows the meeting live in Arabic and asks for the floor; the chair's change
reaches the page over the WebSocket — in Chromium, against the ASGI server (uvicorn)."""

import asyncio
import datetime
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from plenary.core.models import User
from plenary.floor import services
from plenary.registration import services as registration
from plenary.registration.models import Delegation

from .conftest import wait_until

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OPEN = datetime.datetime(2020, 10, 20, 9, tzinfo=datetime.UTC)
REDIS_URL = "redis://127.0.0.1:6379/6"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_server(settings):
    """uvicorn serving Plenary in a thread, on the test database; the Redis layer carries
    snapshots between this thread and the server's event loop."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
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


def _off_the_browsers_loop(function, *args, **kwargs):
    """Run a service in a thread of its own: Playwright keeps an event loop in this one,
    and publishing a snapshot from sync code needs a thread without one."""
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


def _speaker(consultation, iso2, language="en"):
    secretariat = User.objects.get(email="secretariat@example.org")
    delegation = Delegation.objects.get(consultation=consultation, state__iso2=iso2)
    person = registration.register(
        consultation,
        delegation=delegation,
        name=f"Delegate {iso2}",
        email=f"{iso2.lower()}@example.org",
        language=language,
        now=OPEN,
    )
    registration.approve(person, actor=secretariat)
    registration.designate_speaker(person, actor=secretariat)
    person.refresh_from_db()
    return person, registration.send_link(person, actor=secretariat)


def test_speaker_asks_for_the_floor_and_sees_the_chair_give_it(asgi_server, vcc2, browser):
    consultation = vcc2.consultation
    chair = User.objects.get(email="chair@example.org")
    _off_the_browsers_loop(
        services.open_meeting,
        consultation,
        consultation.meetings.get(kind="meeting", number=1),
        actor=chair,
    )
    _off_the_browsers_loop(
        services.set_item,
        consultation,
        consultation.groups.get(number=1).items.get(number=2),
        actor=chair,
    )
    _egypt, token = _speaker(consultation, "EG", language="ar")
    belgium, _token = _speaker(consultation, "BE")

    page = browser.new_context(locale="ar", timezone_id="Africa/Cairo").new_page()
    page.goto(f"{asgi_server}/j/{token}")
    page.goto(f"{asgi_server}/ar/c/vcc-2/live/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    wait_until(page, "document.getElementById('connection').classList.contains('d-none')")

    _off_the_browsers_loop(services.ask_for_floor, belgium)  # an observer asks first
    wait_until(
        page,
        "document.querySelectorAll('#queue li').length === 1 && !document.querySelector('#queue li').textContent.includes('…')",
    )
    page.locator("#ask").click()  # over the WebSocket
    wait_until(page, "document.querySelectorAll('#queue li').length === 2")
    first = page.locator("#queue li").first
    assert "list-group-item-primary" in first.get_attribute(
        "class"
    )  # Egypt, a Council Member State, goes first
    assert page.locator("#my-position").inner_text().strip() != ""

    _off_the_browsers_loop(services.give_floor, consultation, actor=chair)
    wait_until(page, "document.getElementById('countdown').textContent.includes(':')")
    assert "Egypt" not in page.locator("#speaker").inner_text()  # names are in Arabic
    assert page.locator("#queue li").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "live-ar.png")
