"""The secretariat's set-up pages under axe-core, in English and Arabic: the list of
consultations, a new one with its preview, the settings with what a change contradicts,
the Council terms with a preview, the right to vote, the Sector Members and the import of
an agenda with its preview. No violation of impact "serious" or "critical"."""

import datetime

import pytest

from plenary.directory.models import CouncilSeat, CouncilTerm
from plenary.setup import services as setup
from tests.consultations.vcc2_files import xlsx_bytes

from .test_accessibility import Audit, _context, _follow, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def future(vcc2, secretariat_user):
    """A copy of VCC-2 in 2097, in a term of the same members: its agenda has the groups and
    no items yet."""
    term = CouncilTerm.objects.create(
        name="2095-2098", starts_on=datetime.date(2095, 1, 1), ends_on=datetime.date(2098, 12, 31)
    )
    for seat in vcc2.consultation.council_term.seats.all():
        CouncilSeat.objects.create(term=term, state=seat.state, region=seat.region)
    return setup.create_consultation(
        {"acronym": "VCC-97", "starts_on": datetime.date(2097, 3, 4), "council_term": term},
        slug="vcc-97",
        actor=secretariat_user,
        copy_from=vcc2.consultation,
    )


def _seat_lines(consultation) -> str:
    seats = consultation.council_term.seats.select_related("region", "state")
    return "\n".join(f"{seat.region.code},{seat.state.iso2}" for seat in seats)


def _membership_pages(page, base, audit, language, lines) -> None:
    page.goto(f"{base}/council/")
    audit.check(page, "council terms", language)
    page.fill("#id_name", f"2099-2102 {language}")
    page.fill("#id_starts_on", "2099-01-01")
    page.fill("#id_ends_on", "2102-12-31")
    page.fill("#id_members", lines)
    _follow(page.locator("button[name=action][value=preview]"))
    assert page.locator("#preview").count() == 1
    audit.check(page, "council terms, preview", language)
    _follow(page.locator("main table a").first)
    audit.check(page, "council term", language)
    page.goto(f"{base}/voting-rights/")
    audit.check(page, "right to vote", language)
    page.goto(f"{base}/sector-members/")
    audit.check(page, "sector members", language)


def _setup_pages(page, root, audit, language) -> None:
    page.goto(f"{root}/secretariat/consultations/")
    audit.check(page, "secretariat", language)
    page.fill("#id_slug", f"vcc-new-{language}")
    page.select_option("#id_source", "vcc-2")
    page.fill("#id_starts_on", "2097-06-03")
    _follow(page.locator("#new-consultation button"))
    audit.check(page, "new consultation", language)
    page.select_option("#id_council_term", label="2095-2098")
    page.fill("#id_title_en", "A new consultation")  # a copy's title starts empty
    _follow(page.locator("button[name=action][value=preview]"))
    assert page.locator("#preview-dates").count() == 1
    audit.check(page, "new consultation, preview", language)
    page.fill("#id_daily_end", "08:00")
    _follow(page.locator("button[name=action][value=preview]"))
    assert page.locator("#id_daily_end ~ .text-danger").count() == 1
    audit.check(page, "new consultation, a field refused", language)

    page.goto(f"{root}/c/vcc-2/settings/")
    audit.check(page, "settings", language)
    # VCC-2's meetings were held in 2020: moving them is refused with the list.
    page.fill("#id_starts_on", "2020-11-23")
    page.fill("#id_rehearsal_on", "2020-11-17")
    _follow(page.locator("button[name=action][value=preview]"))
    assert page.locator("#blockers li").count() >= 1
    audit.check(page, "settings, blocked", language)
    page.goto(f"{root}/c/vcc-2/sector-members/")
    audit.check(page, "invited sector members", language)


def _import_pages(page, root, audit, language) -> None:
    page.goto(f"{root}/c/vcc-97/agenda/import/")
    audit.check(page, "agenda import", language)
    page.set_input_files(
        "#id_file", files=[{"name": "agenda.xlsx", "mimeType": XLSX, "buffer": xlsx_bytes()}]
    )
    _follow(page.locator("main form[enctype] button"))
    assert page.locator("form[action$='/agenda/import/apply/']").count() == 1
    audit.check(page, "agenda import, preview", language)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_set_up_pages_pass_axe(
    live_server, vcc2, future, browser, client, secretariat_user, language
):
    audit = Audit(f"setup-{language}")
    context = _context(browser, language)
    _sign_in(context, client, live_server.url, secretariat_user)
    page = context.new_page()
    root = f"{live_server.url}/{language}"
    _setup_pages(page, root, audit, language)
    _membership_pages(page, f"{root}/secretariat", audit, language, _seat_lines(vcc2.consultation))
    _import_pages(page, root, audit, language)
    context.close()
    audit.assert_clean()
