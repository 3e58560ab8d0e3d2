"""Remote participation in Chromium: the rehearsal's microphone and camera check with
Chromium's fake devices, and a live chat between a participant and IT support over the
WebSocket, served by uvicorn."""

from pathlib import Path

import pytest

from plenary.remote.models import SupportMessage, SupportRequest
from tests import factories

from .conftest import CHROMIUM, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _browser_with_fake_devices(playwright, *, allow: bool):
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    args.append("--use-fake-device-for-media-stream")
    if allow:
        args.append("--use-fake-ui-for-media-stream")  # answers "allow" to the prompt
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)


def test_the_rehearsal_check_finds_the_microphone_and_camera(live_server, vcc2):
    from playwright.sync_api import sync_playwright

    consultation = vcc2.consultation
    person = factories.participant(
        consultation,
        "CN",
        speaker=False,
        name="Delegate CN",
        email="cn.remote@example.org",
        language="zh-hans",
    )
    token = factories.link(person)
    with sync_playwright() as playwright:
        browser = _browser_with_fake_devices(playwright, allow=True)
        context = browser.new_context(locale="zh-CN")
        context.grant_permissions(["microphone", "camera"], origin=live_server.url)
        page = context.new_page()
        page.goto(f"{live_server.url}/j/{token}")
        page.goto(f"{live_server.url}/zh-hans/c/vcc-2/rehearsal/check/")
        assert "Delegate CN" in page.locator("#link-status").inner_text()
        page.locator("#device-start").click()
        wait_until(page, "document.getElementById('device-result').dataset.state")
        assert page.locator("#device-result").get_attribute("data-state") == "msgOk"
        wait_until(page, "document.getElementById('device-video').videoWidth > 0")
        wait_until(page, "document.getElementById('device-level').value > 0")
        assert page.locator("#device-list li").count() == 2
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "rehearsal-check-zh-hans.png")
        browser.close()

        # Refused permission: a plain message, not a silent failure.
        browser = _browser_with_fake_devices(playwright, allow=False)
        page = browser.new_page(locale="en-GB")
        page.goto(f"{live_server.url}/en/c/vcc-2/rehearsal/check/")
        assert "No personal link" in page.locator("#link-status").inner_text()
        page.locator("#device-start").click()
        wait_until(page, "document.getElementById('device-result').dataset.state")
        assert page.locator("#device-result").get_attribute("data-state") == "msgDenied"
        assert "not allowed" in page.locator("#device-result").inner_text()
        browser.close()


def test_a_participant_chats_with_it_support(uvicorn_server, vcc2, browser, it_support):
    consultation = vcc2.consultation
    person = factories.participant(
        consultation,
        "EG",
        speaker=False,
        name="Delegate EG",
        email="eg.remote@example.org",
        language="ar",
    )
    token = factories.link(person)
    delegate = browser.new_context(locale="ar").new_page()
    delegate.goto(f"{uvicorn_server}/j/{token}")
    delegate.goto(f"{uvicorn_server}/ar/c/vcc-2/")
    delegate.locator("#help-button").click()
    delegate.locator("input[name=channel][value=chat]").check()
    delegate.fill("#id_subject", "لا أسمع شيئا")
    delegate.locator("#support-form button[type=submit]").click()
    request = SupportRequest.objects.get(participant=person)
    assert request.channel == "chat" and request.language == "ar"

    staff = browser.new_context().new_page()
    from django.test import Client

    client = Client()
    client.force_login(it_support)
    staff.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": uvicorn_server}]
    )
    staff.goto(f"{uvicorn_server}/en/c/vcc-2/support/")
    staff.get_by_role("link", name=str(request.pk), exact=True).click()
    assert "Egypt" in staff.locator("#person").inner_text()

    for page in (delegate, staff):
        wait_until(page, "document.getElementById('chat-status').textContent === ''")
    delegate.fill("#id_text", "<img src=x onerror=alert(1)> hello")
    delegate.locator("#chat-form button[type=submit]").click()
    wait_until(
        staff,
        "[...document.querySelectorAll('#chat-log .chat-text')].some(e => e.textContent.includes('hello'))",
    )
    assert staff.locator("#chat-log img").count() == 0  # shown as text
    staff.fill("#id_text", "Please reload the page.")
    staff.locator("#chat-form button[type=submit]").click()
    wait_until(
        delegate,
        "[...document.querySelectorAll('#chat-log .chat-text')].some(e => e.textContent.includes('reload'))",
    )
    assert list(
        SupportMessage.objects.filter(request=request).values_list("from_support", flat=True)
    ) == [False, True]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    staff.screenshot(path=SCREENSHOTS / "support-desk-en.png")
