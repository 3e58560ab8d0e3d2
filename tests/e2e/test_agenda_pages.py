"""The agenda as a delegate sees it, in Arabic (right-to-left) and Chinese, in Chromium.
The screenshots are kept in docs/screenshots/ and shown in the README."""

from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agenda_in_arabic_reads_right_to_left(live_server, vcc2, page):
    page.goto(f"{live_server.url}/ar/c/vcc-2/agenda/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    # Right-to-left: the first column (item number) is on the right of the subject.
    number = page.locator("#item-1\\.1 th").bounding_box()
    subject = page.locator("#item-1\\.1 td").first.bounding_box()
    assert number["x"] > subject["x"]
    assert page.locator("tr[id^=item-]").count() == 66
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "agenda-ar.png")


def test_agenda_in_chinese(live_server, vcc2, page):
    page.goto(f"{live_server.url}/zh-hans/c/vcc-2/agenda/")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert "世界电信和信息社会日" in page.locator("#item-1\\.2").inner_text()
    page.screenshot(path=SCREENSHOTS / "agenda-zh-hans.png")


def test_home_shows_the_viewers_own_time(live_server, vcc2, page):
    # The browser context is in Asia/Shanghai: 12:00 in Geneva is 19:00 there in November.
    page.goto(f"{live_server.url}/en/c/vcc-2/")
    local = page.locator(".viewer-time").nth(3)
    local.wait_for(state="visible")
    assert "Asia/Shanghai" in local.inner_text()
    assert "19:00" in local.inner_text()


def test_language_switcher_remembers_the_choice(live_server, vcc2, page):
    page.goto(f"{live_server.url}/en/states/")
    page.select_option("#language-select", "ar")
    page.wait_for_url(f"{live_server.url}/ar/states/")
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/ar/c/vcc-2/"
