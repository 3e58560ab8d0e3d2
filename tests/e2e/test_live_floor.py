"""A speaker follows the meeting live in Arabic and asks for the floor; the chair's change
reaches the page over the WebSocket — in Chromium, against the ASGI server (uvicorn)."""

import datetime
from pathlib import Path

import pytest

from plenary.core.models import User
from plenary.floor import services
from plenary.registration import services as registration
from plenary.registration.models import Delegation

from .conftest import off_the_browsers_loop, wait_until

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OPEN = datetime.datetime(2020, 10, 20, 9, tzinfo=datetime.UTC)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def test_speaker_asks_for_the_floor_and_sees_the_chair_give_it(uvicorn_server, vcc2, browser):
    consultation = vcc2.consultation
    chair = User.objects.get(email="chair@example.org")
    off_the_browsers_loop(
        services.open_meeting,
        consultation,
        consultation.meetings.get(kind="meeting", number=1),
        actor=chair,
    )
    off_the_browsers_loop(
        services.set_item,
        consultation,
        consultation.groups.get(number=1).items.get(number=2),
        actor=chair,
    )
    _egypt, token = _speaker(consultation, "EG", language="ar")
    belgium, _token = _speaker(consultation, "BE")

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
