"""A speaker follows the meeting live in Arabic and asks for the floor; the chair's change
reaches the page over the WebSocket — in Chromium, against the ASGI server (uvicorn)."""

from pathlib import Path

import pytest

from plenary.floor import services
from tests import factories

from .conftest import off_the_browsers_loop, wait_until

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_speaker_asks_for_the_floor_and_sees_the_chair_give_it(
    uvicorn_server, vcc2, browser, chair
):
    consultation = vcc2.consultation
    off_the_browsers_loop(factories.on_the_floor, consultation, "1.2", actor=chair)
    egypt = factories.participant(
        consultation, "EG", name="Delegate EG", email="eg@example.org", language="ar"
    )
    token = factories.link(egypt)
    belgium = factories.participant(consultation, "BE", name="Delegate BE", email="be@example.org")

    page = browser.new_context(locale="ar", timezone_id="Africa/Cairo").new_page()
    page.goto(f"{uvicorn_server}/j/{token}")
    page.goto(f"{uvicorn_server}/ar/c/vcc-2/live/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    wait_until(page, "document.getElementById('connection').classList.contains('d-none')")

    off_the_browsers_loop(services.ask_for_floor, belgium)  # an observer asks first
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

    off_the_browsers_loop(services.give_floor, consultation, actor=chair)
    wait_until(page, "document.getElementById('countdown').textContent.includes(':')")
    assert "Egypt" not in page.locator("#speaker").inner_text()  # names are in Arabic
    assert page.locator("#queue li").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "live-ar.png")
