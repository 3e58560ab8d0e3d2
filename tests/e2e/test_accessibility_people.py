"""The pages of inviting people and handling registrations under axe-core, in English and
Arabic: the people page and its CSV preview, an invitation's accept page, the registration
list with stranded registrations and a bulk outcome, the participation guide's editor and
its delivery report, and the presiding officer's ballot approvals. No violation of impact
"serious" or "critical"."""

import re

import pytest

from plenary.core.models import OutboxMessage
from plenary.directory.models import State
from plenary.people import services as people
from tests import factories

from .test_accessibility import Audit, _context, _follow, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CSV = b"state,email,name,language\nSA,focal.sa@example.gov,Noura,ar\nKE,focal.ke@example.gov,,en\n"


@pytest.fixture
def invitation_path(vcc2, secretariat_user, settings):
    """The path of a pending invitation's link, as its e-mail gives it."""
    settings.PLENARY_BASE_URL = "http://testserver"
    people.invite(
        vcc2.consultation,
        email="invited@example.gov",
        name="Invited person",
        role=people.Role.FOCAL_POINT,
        state=State.objects.get(iso2="EG"),
        language="ar",
        actor=secretariat_user,
    )
    mail = OutboxMessage.objects.get(to=["invited@example.gov"])
    return re.search(r"/ar(/invitation/[\w-]+/)", mail.body).group(1)


@pytest.fixture
def registrations(vcc2):
    """Registrations waiting for Kenya (no focal point: stranded) and some for Switzerland,
    and one approved participant for the guide's report."""
    consultation = vcc2.consultation
    for n in range(1, 4):
        factories.registered(consultation, "KE", n)
        factories.registered(consultation, "CH", n)
    factories.participant(consultation, "CH", 9, speaker=False)


def _secretariat_pages(page, root, audit, language) -> None:
    page.goto(f"{root}/c/vcc-2/people/")
    audit.check(page, "people", language)
    page.set_input_files(
        "#id_file", files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    _follow(page.locator("form[action$='/people/import/'] button"))
    assert page.locator("form[action$='/people/import/send/']").count() == 1
    audit.check(page, "people, CSV preview", language)
    wrong = CSV + b"Atlantis,x@example.gov,,en\n"
    page.goto(f"{root}/c/vcc-2/people/")
    page.set_input_files(
        "#id_file", files=[{"name": "wrong.csv", "mimeType": "text/csv", "buffer": wrong}]
    )
    _follow(page.locator("form[action$='/people/import/'] button"))
    assert page.locator("#problems-heading").count() == 1
    audit.check(page, "people, CSV refused", language)

    page.goto(f"{root}/c/vcc-2/registration/participants/")
    assert page.locator("[id^=stranded-]").count() >= 1
    audit.check(page, "registration list, stranded", language)
    page.locator("input[name=participant][type=checkbox]").first.check()
    _follow(page.locator("#bulk button[value=approve]"))
    assert page.locator("#results-title").count() == 1
    audit.check(page, "registration list, bulk outcome", language)

    page.goto(f"{root}/c/vcc-2/registration/guide/")
    audit.check(page, "guide editor", language)
    _follow(page.locator("form[action$='/guide/send/'] button"))
    assert page.locator("main tbody tr[id^=delivery-]").count() >= 1
    audit.check(page, "guide deliveries", language)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_people_and_registration_pages_pass_axe(
    live_server,
    vcc2,
    browser,
    client,
    secretariat_user,
    chair,
    invitation_path,
    registrations,
    language,
):
    audit = Audit(f"people-{language}")
    root = f"{live_server.url}/{language}"

    visitor = _context(browser, language)
    page = visitor.new_page()
    page.goto(f"{root}{invitation_path}")
    assert page.locator("#id_password1").count() == 1
    audit.check(page, "invitation accept", language)
    page.fill("#id_name", "Invited person")
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "other")
    _follow(page.locator("main form button"))
    assert page.locator(".invalid-feedback").count() >= 1
    audit.check(page, "invitation accept, refused", language)
    visitor.close()

    context = _context(browser, language)
    _sign_in(context, client, live_server.url, secretariat_user)
    _secretariat_pages(context.new_page(), root, audit, language)
    context.close()

    factories.draft_ballot(vcc2.consultation, title=f"Draft {language}")
    context = _context(browser, language)
    _sign_in(context, client, live_server.url, chair)
    page = context.new_page()
    page.goto(f"{root}/c/vcc-2/ballots/approvals/")
    assert page.locator("form[action$='/approve/']").count() >= 1
    audit.check(page, "ballot approvals", language)
    context.close()
    audit.assert_clean()
