"""China's focal point, reading Spanish, confirms a co-submission from the contributions page
in Chromium; Switzerland's contribution then shows China as confirmed, by her."""

import pytest

from plenary.contributions.models import ContributionState
from plenary.directory.models import State
from tests import factories
from tests.contributions.test_co_submission import _cn_focal, _joint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_focal_point_confirms_a_co_submission_in_spanish(live_server, vcc2, browser, client):
    consultation = factories.open_registration(vcc2.consultation)  # the deadline is ahead
    focal_ch = factories.focal_point("CH")
    cn_focal = _cn_focal(consultation, language="es")
    china = State.objects.get(iso2="CN")
    contribution = _joint(consultation, focal_ch, [china], now=None)

    client.force_login(cn_focal)
    page = browser.new_context(locale="es").new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/es/c/vcc-2/contributions/")
    assert page.locator("html").get_attribute("lang") == "es"
    waiting = page.locator("#awaiting li[data-state=CN]")
    assert contribution.title in waiting.inner_text()
    assert "Suiza" in waiting.inner_text()  # the first submitter, named in Spanish
    waiting.locator("button[value=confirm]").click()
    page.wait_for_url(f"{live_server.url}/es/c/vcc-2/contributions/")
    assert page.locator("#awaiting").count() == 0
    row = ContributionState.objects.get(contribution=contribution, state=china)
    assert row.confirmed_by == cn_focal and not row.on_behalf

    page.goto(f"{live_server.url}/es/c/vcc-2/contributions/{contribution.pk}/")
    confirmed = page.locator("tr[data-state=CN]")
    assert confirmed.get_attribute("data-standing") == "confirmed"
    assert "Li Wei" in confirmed.inner_text()
    assert page.locator("tr[data-state=CN] button").count() == 0  # nothing left to click
