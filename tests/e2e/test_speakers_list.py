"""A delegate follows the rolling list of speakers in Russian: the chair's changes redraw it
(the page learns of them over the live floor's WebSocket and fetches the list alone)."""

import pytest

from plenary.floor import services
from tests import factories

from .conftest import off_the_browsers_loop, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_rolling_list_follows_the_chair(uvicorn_server, vcc2, browser, chair):
    consultation = vcc2.consultation
    off_the_browsers_loop(factories.on_the_floor, consultation, "1.2", actor=chair)
    russia = factories.participant(
        consultation, "RU", name="Delegate RU", email="ru@example.org", language="ru"
    )
    belgium = factories.participant(consultation, "BE", name="Delegate BE", email="be@example.org")
    token = factories.link(russia)

    page = browser.new_context(locale="ru", timezone_id="Europe/Moscow").new_page()
    page.goto(f"{uvicorn_server}/j/{token}")
    page.goto(f"{uvicorn_server}/ru/c/vcc-2/speakers/")
    assert page.locator("#speakers-list").count() == 1
    assert page.locator(".speaker-waiting").count() == 0
    page.wait_for_timeout(500)  # the socket opens

    off_the_browsers_loop(services.ask_for_floor, belgium)
    wait_until(page, "document.querySelectorAll('.speaker-waiting').length === 1")
    off_the_browsers_loop(services.give_floor, consultation, actor=chair)
    wait_until(page, "document.querySelectorAll('.speaker-now').length === 1")
    assert page.locator(".speaker-waiting").count() == 0
    off_the_browsers_loop(services.end_speech, consultation, actor=chair)
    wait_until(page, "document.querySelectorAll('.speaker-done').length === 1")
    assert "Бельгия" in page.locator(".speaker-done").inner_text()  # the name in Russian
