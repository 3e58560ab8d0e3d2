"""The registration list: one box selects every registration of the page, so that a
delegation with a focal point can still have 50 registrations approved in three clicks."""

from plenary.registration.models import Participant
from tests import factories

from .test_people_journey import _sign_in_secretariat
from .test_setup_journey import PASSWORD, Tally


def test_one_box_selects_the_page_and_the_selection_is_approved(
    live_server, vcc2, browser, settings, secretariat_user, totp_code
):
    consultation = vcc2.consultation
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    secretariat_user.set_password(PASSWORD)
    secretariat_user.save()
    for n in range(1, 31):
        factories.registered(consultation, "BR", n)
    context = browser.new_context(locale="es", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    hands = Tally(page)
    _sign_in_secretariat(hands, page, live_server, secretariat_user, totp_code)
    page.goto(f"{live_server.url}/es/c/vcc-2/registration/participants/?status=pending")
    boxes = page.locator("input[type=checkbox][name=participant]")
    assert boxes.count() == 30
    page.check("#select-page")
    assert all(boxes.nth(n).is_checked() for n in range(boxes.count()))
    boxes.nth(0).uncheck()
    assert not page.is_checked("#select-page")  # the box follows the rows
    boxes.nth(0).check()
    assert page.is_checked("#select-page")
    with page.expect_navigation():
        page.click("#bulk button[value=approve]")
    approved = Participant.objects.filter(
        consultation=consultation, delegation__state__iso2="BR", status=Participant.Status.APPROVED
    )
    assert approved.count() == 30
    context.close()
