"""The time management plan as delegates see it, and the secretariat's planning desk, in
Chromium."""

import re
from pathlib import Path

import pytest

from plenary.planning import services

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_shows_days_timeline_and_local_times(live_server, vcc2, page):
    services.publish_plan(vcc2.consultation, actor=None)
    page.goto(f"{live_server.url}/en/c/vcc-2/plan/")
    assert page.locator("svg.plan-timeline rect").count() > 34
    first_day = page.locator("#day-1")
    assert "12:00–15:00" in first_day.inner_text()
    local = page.locator("section .viewer-time").first
    local.wait_for(state="visible")
    assert "19:00–22:00" in local.inner_text()  # Asia/Shanghai, the browser's zone
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "plan-en.png")


def test_secretariat_sees_the_shortfall_and_publishes(
    live_server, vcc2, page, client, secretariat_user
):
    consultation = vcc2.consultation
    for item in consultation.groups.get(number=1).items.all():
        item.base_minutes = 60
        item.save()
    client.force_login(secretariat_user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    page.goto(f"{live_server.url}/en/c/vcc-2/plan/manage/")
    assert re.search(r"120 minutes are missing", page.locator("#shortfall").inner_text())
    page.get_by_role("button", name="Publish this plan").click()
    page.wait_for_url(f"{live_server.url}/en/c/vcc-2/plan/")
    assert "Version 1" in page.locator("main").inner_text()
    assert page.locator("#unscheduled-title").is_visible()
