"""The chair, in Russian, interrupts a speech for a point of order from the console and the
speech resumes with the time it had left; a delegate's live page follows — in Chromium,
against the ASGI server (uvicorn), the console's buttons going over its WebSocket."""

import datetime
import re

import pytest

from plenary.floor import services
from plenary.floor.models import FloorRequest
from tests import factories

from .conftest import off_the_browsers_loop, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _spoken_for(request_pk: int, seconds: int) -> None:
    """The speech began `seconds` ago (rather than waiting for it)."""
    request = FloorRequest.objects.get(pk=request_pk)
    FloorRequest.objects.filter(pk=request_pk).update(
        resumed_at=request.resumed_at - datetime.timedelta(seconds=seconds)
    )


def _left(text: str) -> int:
    """Seconds of a countdown "1:58" (any sign or mark around it)."""
    minutes, seconds = re.search(r"(\d+):(\d\d)", text).groups()
    return int(minutes) * 60 + int(seconds)


def test_chair_in_russian_interrupts_a_speech_for_a_point_of_order_and_it_resumes(
    uvicorn_server, vcc2, browser, client, chair
):
    consultation = vcc2.consultation
    off_the_browsers_loop(factories.on_the_floor, consultation, "1.2", actor=chair)
    russia = factories.participant(
        consultation, "RU", name="Delegate RU", email="ru@example.org", language="ru"
    )
    belgium = factories.participant(consultation, "BE", name="Delegate BE", email="be@example.org")
    speech = off_the_browsers_loop(services.ask_for_floor, russia)

    client.force_login(chair)
    chairing = browser.new_context(locale="ru", timezone_id="Europe/Moscow")
    chairing.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": uvicorn_server}]
    )
    console = chairing.new_page()
    console.goto(f"{uvicorn_server}/ru/c/vcc-2/console/")
    assert console.locator("html").get_attribute("lang") == "ru"
    token = factories.link(russia)
    live = browser.new_context(locale="ru", timezone_id="Europe/Moscow").new_page()
    live.goto(f"{uvicorn_server}/j/{token}")
    live.goto(f"{uvicorn_server}/ru/c/vcc-2/live/")
    wait_until(live, "document.getElementById('connection').classList.contains('d-none')")
    console.wait_for_timeout(1000)  # the console's socket opens (else its forms post)

    console.locator("button[value=give]").first.click()  # over the console's socket
    wait_until(console, "!!document.getElementById('console-countdown')")
    wait_until(live, "document.getElementById('countdown').textContent.includes(':')")
    off_the_browsers_loop(_spoken_for, speech.pk, 60)  # a minute of the three spoken
    off_the_browsers_loop(services.ask_for_floor, belgium, kind="point_of_order")
    interrupt = console.locator("button.btn-warning[value=give]")
    wait_until(console, "!!document.querySelector('button.btn-warning[value=give]')")
    interrupt.click()

    wait_until(console, "!!document.getElementById('console-interrupted')")
    assert 110 <= _left(console.locator("#console-interrupted").inner_text()) <= 120
    wait_until(live, "!document.getElementById('interrupted').classList.contains('d-none')")
    assert 110 <= _left(live.locator("#interrupted").inner_text()) <= 120
    assert "Delegate BE" in live.locator("#speaker").inner_text()  # the point of order
    assert FloorRequest.objects.get(pk=speech.pk).status == "interrupted"

    console.locator("button[value=end]").click()  # the point of order ends
    wait_until(console, "!document.getElementById('console-interrupted')")
    wait_until(live, "document.getElementById('interrupted').classList.contains('d-none')")
    wait_until(live, "document.getElementById('speaker').textContent.includes('Delegate RU')")
    resumed = _left(live.locator("#countdown").inner_text())
    assert 100 <= resumed <= 120  # the time it had left, not three minutes again
    assert 100 <= _left(console.locator("#console-countdown").inner_text()) <= 120
    wait_until(live, "document.querySelectorAll('#totals-delegations tr').length === 2")
    chairing.close()
