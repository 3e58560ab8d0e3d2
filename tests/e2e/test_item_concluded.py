"""The chair, in Arabic on a 1366×768 screen, records the outcome of the item under
discussion: the item closes, and a delegate's live page follows at once (its buttons off,
what was concluded shown) — in Chromium, against the ASGI server (uvicorn)."""

import pytest

from plenary.floor import services as floor
from plenary.outcomes import services as outcomes
from plenary.outcomes.models import ItemOutcome
from tests import factories

from .conftest import off_the_browsers_loop, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONCLUSION = "The Council takes note of the report and endorses its recommendations."
SCREEN = {"width": 1366, "height": 768}


def _on_the_floor(consultation, chair):
    item = factories.on_the_floor(consultation, "1.2", actor=chair)
    outcomes.draft_conclusion(item, texts={"en": CONCLUSION}, original="en", actor=chair)
    return item


def test_the_chair_records_the_outcome_and_the_delegates_page_follows(
    uvicorn_server, vcc2, browser, client, chair
):
    consultation = vcc2.consultation
    item = off_the_browsers_loop(_on_the_floor, consultation, chair)
    egypt = factories.participant(
        consultation, "EG", name="Delegate EG", email="eg@example.org", language="ar"
    )
    token = factories.link(egypt)

    delegate = browser.new_context(locale="ar", timezone_id="Africa/Cairo").new_page()
    delegate.goto(f"{uvicorn_server}/j/{token}")
    delegate.goto(f"{uvicorn_server}/ar/c/vcc-2/live/")
    wait_until(delegate, "document.getElementById('connection').classList.contains('d-none')")
    assert delegate.locator("#ask").is_enabled()

    context = browser.new_context(locale="ar", viewport=SCREEN, timezone_id="Europe/Zurich")
    client.force_login(chair)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": uvicorn_server}]
    )
    console = context.new_page()
    console.goto(f"{uvicorn_server}/ar/c/vcc-2/console/")
    assert console.locator("html").get_attribute("dir") == "rtl"
    assert item.label in console.locator("#current-item").inner_text()

    # The agenda list stays where the chair scrolled it, through a redraw by the socket...
    console.evaluate("document.getElementById('agenda-list').scrollTop = 10000")
    scrolled = console.evaluate("document.getElementById('agenda-list').scrollTop")
    assert scrolled > 0
    console.locator("button[value=close_list]").click()
    wait_until(console, "document.querySelector('button[value=open_list]') !== null")
    assert console.evaluate("document.getElementById('agenda-list').scrollTop") == scrolled
    console.locator("button[value=open_list]").click()
    wait_until(console, "document.querySelector('button[value=close_list]') !== null")

    # ...and the outcome's buttons are on the screen without scrolling.
    agreed = console.locator("#record-outcome button[value=agreed]")
    box = agreed.bounding_box()
    assert box is not None and box["y"] + box["height"] <= SCREEN["height"]
    assert console.evaluate("window.scrollY") == 0
    with console.expect_navigation():
        agreed.click()
    assert console.evaluate("document.getElementById('agenda-list').scrollTop") == scrolled
    assert console.locator("#record-outcome").count() == 0  # nothing more to record
    outcome = ItemOutcome.objects.get(item=item)
    assert (outcome.state, outcome.recorded) == (ItemOutcome.State.AGREED, True)
    assert floor.floor_of(consultation).list_open is False

    # The delegate's page follows: the buttons off, what was concluded shown.
    wait_until(delegate, "document.getElementById('ask').disabled")
    assert delegate.locator("#point-of-order").is_disabled()
    assert delegate.locator("#object-button").is_disabled()
    concluded = delegate.locator("#concluded")
    assert concluded.is_visible() and concluded.inner_text().strip() != ""
    assert CONCLUSION in delegate.locator("#conclusion").inner_text()
    assert delegate.locator("#list-state").inner_text().strip() != ""
    context.close()
