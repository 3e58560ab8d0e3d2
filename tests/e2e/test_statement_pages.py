"""A statement for the interpreters in Chromium: an Arabic-speaking speaker finds the link on
their join page and sends the text; the French booth's interpreter (reading the site in English) sees it under "check
against delivery" and downloads it with that in its name."""

import datetime
import io
from pathlib import Path

import pytest
from django.test import Client
from pypdf import PdfWriter

from plenary.remote import services as remote
from plenary.statements.models import Statement
from tests import factories
from tests.api.conftest import activate_totp

from .test_accessibility import _context, _follow, _screenshot, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_speaker_sends_and_the_booth_reads_checked_against_delivery(
    live_server, vcc2, browser, secretariat_user, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    consultation = vcc2.consultation
    meeting = factories.under_way(
        factories.meeting(consultation, 1), until=datetime.timedelta(hours=3)
    )
    remote.set_meeting_links(
        meeting, actor=secretariat_user, speaker_url="https://platform.example.org/speak"
    )
    speaker = factories.participant(
        consultation, "EG", name="Speaker EG", email="eg.statement@example.org", language="ar"
    )
    token = factories.link(speaker)
    text = tmp_path / "statement.pdf"
    text.write_bytes(_pdf())

    page = _context(browser, "ar").new_page()
    page.goto(f"{live_server.url}/j/{token}")
    page.goto(f"{live_server.url}/ar/c/vcc-2/meetings/{meeting.pk}/join/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    _follow(page.locator("#send-statement"))
    page.select_option("#id_item", str(factories.item(consultation, "1.2").pk))
    page.select_option("#id_language", "ar")
    page.set_input_files("#id_upload", str(text))
    _follow(page.locator("#statement-form button[type=submit]"))
    assert page.locator("#sent li").count() == 1
    statement = Statement.objects.get()
    assert (statement.speaker, statement.language) == (speaker, "ar")

    interpreter = factories.interpreter()
    booth = browser.new_context(
        locale="en", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900}
    )
    _sign_in(booth, Client(), live_server.url, activate_totp(interpreter))
    page = booth.new_page()
    page.goto(f"{live_server.url}/en/c/vcc-2/booth/")
    _follow(page.locator("#statements-link"))
    assert page.locator("#check-against-delivery").is_visible()
    row = page.locator("#statements tbody tr").first.inner_text()
    assert "Egypt" in row and "Speaker EG" in row and "Arabic" in row
    with page.expect_download() as download:
        page.locator("#statements a.btn").first.click()
    assert download.value.suggested_filename.endswith(
        f"-1.2-EG-ar-{statement.pk}-check-against-delivery.pdf"
    )
    assert Path(download.value.path()).read_bytes() == text.read_bytes()
    page.mouse.move(0, 0)
    _screenshot(page, "statements-en.png")
