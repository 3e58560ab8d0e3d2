"""A delegate registers in Arabic, the focal point approves and names them speaker, and
the personal link opens their page with the speaker role — in Chromium."""

import re

import pytest

from plenary.core.models import OutboxMessage
from plenary.registration.models import Participant
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, client, live_server, user):
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_register_approve_name_speaker_and_open_the_link(
    live_server, vcc2, browser, client, focal_ch
):
    factories.open_registration(vcc2.consultation)

    delegate = browser.new_context(locale="ar").new_page()
    delegate.goto(f"{live_server.url}/ar/c/vcc-2/register/")
    assert delegate.locator("html").get_attribute("dir") == "rtl"
    delegate.fill("#id_name", "Amina Haddad")
    delegate.fill("#id_email", "amina@example.org")
    delegate.select_option("#id_delegation", "state:CH")
    delegate.select_option("#id_language", "ar")
    delegate.locator("main form button").click()
    assert Participant.objects.filter(email="amina@example.org", status="pending").exists()

    focal = browser.new_context().new_page()
    _login(focal, client, live_server, focal_ch)
    focal.goto(f"{live_server.url}/en/c/vcc-2/delegation/")
    focal.get_by_role("button", name="Approve").click()
    focal.get_by_role("button", name="Name as speaker").click()
    assert Participant.objects.get(email="amina@example.org").is_speaker

    mail = OutboxMessage.objects.filter(to=["amina@example.org"]).order_by("-pk").first()
    assert mail.language == "ar"
    url = re.search(r"https?://\S+/j/\S+", mail.body).group(0)
    token_path = url.split("/j/", 1)[1]
    delegate.goto(f"{live_server.url}/j/{token_path}")
    assert "/j/" not in delegate.url
    assert delegate.locator("#role").inner_text() != ""
    assert delegate.locator("html").get_attribute("lang") == "ar"
