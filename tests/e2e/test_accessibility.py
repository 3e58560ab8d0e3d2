"""Each role's journey in Chromium, in English, Arabic and Chinese, with axe-core run on every
page it visits: no violation of impact "serious" or "critical" is allowed; the others are
reported as warnings. One test per role walks the three languages in one browser.
The screenshots of each role's main page are kept in docs/screenshots/ and shown in the
user guide (docs/guide.md)."""

import json
import os
import re
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from plenary.ballots import services as ballots
from plenary.core.models import OutboxMessage, User
from plenary.directory.models import State
from plenary.floor import services as floor
from plenary.registration import services as registration
from plenary.registration.models import Participant
from tests import factories

from .conftest import off_the_browsers_loop

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
AXE_SOURCE = (Path(__file__).parent / "axe" / "axe.min.js").read_text(encoding="utf-8")
LANGUAGES = ("en", "ar", "zh-hans")
BLOCKING = {"serious", "critical"}
# The viewer's zone for each reading language: the times beneath Geneva time differ.
ZONES = {"en": "America/New_York", "ar": "Africa/Cairo", "zh-hans": "Asia/Shanghai"}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class AxeFinding(UserWarning):
    """An axe-core violation of impact "moderate" or "minor": reported, not failed."""


class Audit:
    """axe-core run on each page a journey visits, after checking that the page declares the
    reader's language and direction; the findings are kept by page. With PLENARY_AXE_REPORT
    set to a file name, one JSON line per page checked is appended to it (the figures of
    violations per page)."""

    def __init__(self, journey: str):
        self.journey = journey
        self.pages = []

    def check(self, page, name: str, language: str) -> None:
        # axe is evaluated as a script through the DevTools protocol, not added as a
        # <script> element: the pages' Content-Security-Policy (script-src 'self') would
        # refuse an inline one, and the journeys must run under the real policy.
        page.wait_for_load_state("load")
        name = f"{name} [{language}]"
        html = page.locator("html")
        assert html.get_attribute("lang") == language, name
        assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr"), name
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(AXE_SOURCE)
        violations = page.evaluate(
            """() => axe.run(document, {resultTypes: ['violations']}).then(result =>
                 result.violations.map(v => ({
                   id: v.id, impact: v.impact, help: v.help,
                   targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
                   detail: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160) + ' — ' + n.failureSummary),
                   count: v.nodes.length})))"""
        )
        self.pages.append((name, page.url, violations))
        if report := os.environ.get("PLENARY_AXE_REPORT"):
            with open(report, "a", encoding="utf-8") as lines:
                lines.write(
                    json.dumps(
                        {
                            "journey": self.journey,
                            "page": name,
                            "path": urlsplit(page.url).path,
                            "violations": [
                                {"id": v["id"], "impact": v["impact"], "nodes": v["count"]}
                                for v in violations
                            ],
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        for violation in violations:
            if violation["impact"] not in BLOCKING:
                warnings.warn(
                    f"{name}: {violation['id']} ({violation['impact']}, "
                    f"{violation['count']} nodes) {violation['targets']}",
                    AxeFinding,
                    stacklevel=2,
                )

    def assert_clean(self) -> None:
        blocking = [
            f"{name} <{url}>: {v['id']} ({v['impact']}) — {v['help']}: {v['detail']}"
            for name, url, violations in self.pages
            for v in violations
            if v["impact"] in BLOCKING
        ]
        assert self.pages, "no page was checked"
        assert blocking == [], "\n".join(blocking)


@pytest.fixture
def audit(request):
    return Audit(request.node.name)


def _context(browser, language):
    return browser.new_context(
        locale=language,
        timezone_id=ZONES[language],
        viewport={"width": 1280, "height": 900},
    )


def _sign_in(context, client, base_url, user):
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )


def _follow(locator):
    """Click a link or a form's button and wait for the page it leads to."""
    with locator.page.expect_navigation():
        locator.click()


def _screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name)


def _speaker(consultation, iso2, language):
    """A speaker of the state reading in the language, as the screenshots show them."""
    return factories.participant(
        consultation,
        iso2,
        name=f"Delegate {iso2}",
        email=f"delegate.{iso2.lower()}.{language}@example.org",
        language=language,
    )


# --- participant -----------------------------------------------------------------------------

PARTICIPANTS = {"en": "KE", "ar": "EG", "zh-hans": "CN"}


def test_participant_registers_and_opens_the_personal_link(
    live_server, vcc2, browser, audit, secretariat_user
):
    consultation = vcc2.consultation
    factories.open_registration(consultation)
    for language in LANGUAGES:
        context = _context(browser, language)
        page = context.new_page()
        page.goto(f"{live_server.url}/{language}/c/vcc-2/register/")
        audit.check(page, "register", language)
        email = f"person.{language}@example.org"
        page.fill("#id_name", f"Person {language}")
        page.fill("#id_email", email)
        page.select_option("#id_delegation", f"state:{PARTICIPANTS[language]}")
        page.select_option("#id_language", language)
        _follow(page.locator("main form button"))
        audit.check(page, "registered", language)
        person = Participant.objects.get(email=email, status="pending")

        registration.approve(person, actor=secretariat_user)
        mail = OutboxMessage.objects.filter(to=[email]).order_by("-pk").first()
        assert mail.language == language
        link = re.search(r"https?://\S+/j/(\S+)", mail.body).group(1)
        page.goto(f"{live_server.url}/j/{link}")
        assert "/j/" not in page.url
        assert page.locator("#role").inner_text().strip() != ""
        audit.check(page, "participant home", language)
        if language == "en":
            _screenshot(page, "participant-home-en.png")
        context.close()
    audit.assert_clean()


# --- delegation focal point ------------------------------------------------------------------


def test_focal_point_names_a_speaker_and_submits_a_contribution(
    live_server, vcc2, browser, client, audit, focal_ch
):
    from plenary.contributions.models import Contribution

    consultation = vcc2.consultation
    factories.open_registration(consultation)
    delegation = factories.delegation(consultation, "CH")
    item = factories.item(consultation, "1.2")
    for language in LANGUAGES:
        person = factories.registered(
            consultation,
            delegation,
            name=f"Délégué {language}",
            email=f"ch.{language}@example.org",
            language=language,
            now=None,
        )
        context = _context(browser, language)
        _sign_in(context, client, live_server.url, focal_ch)
        page = context.new_page()
        page.goto(f"{live_server.url}/{language}/c/vcc-2/delegation/")
        audit.check(page, "delegation", language)
        _follow(page.locator(f"#participant-{person.pk} button[value=approve]"))
        audit.check(page, "delegation after approval", language)
        _follow(page.locator(f"#participant-{person.pk} button[value=speaker]"))
        person.refresh_from_db()
        assert person.is_speaker
        audit.check(page, "delegation after naming", language)
        if language == "en":
            _screenshot(page, "delegation-en.png")

        page.goto(f"{live_server.url}/{language}/c/vcc-2/contributions/")
        audit.check(page, "contributions", language)
        _follow(page.locator(f"main a[href$='/{language}/c/vcc-2/contributions/new/']"))
        audit.check(page, "contribution form", language)
        title = f"Contribution of Switzerland ({language})"
        page.select_option("#id_item", str(item.pk))
        page.fill("#id_title", title)
        page.fill("#id_comments", "The document is clear.")
        page.fill("#id_way_forward", "The Council notes the report.")
        page.select_option("#id_lead_state", str(delegation.state_id))
        _follow(page.locator("main form:not([enctype]) button"))
        assert re.search(r"/contributions/\d+/$", page.url)
        assert Contribution.objects.filter(title=title, status="submitted").exists()
        audit.check(page, "contribution submitted", language)
        if language == "en":
            page.goto(f"{live_server.url}/en/c/vcc-2/contributions/")
            assert title in page.locator("main table").inner_text()
            audit.check(page, "contributions with ours", "en")
            _screenshot(page, "contributions-en.png")
        context.close()
    audit.assert_clean()


# --- presiding officer -----------------------------------------------------------------------

CONSOLE_ITEMS = {"en": 2, "ar": 3, "zh-hans": 4}
CONSOLE_SPEAKERS = {"en": "DE", "ar": "SA", "zh-hans": "CN"}


def test_presiding_officer_chairs_from_the_console(
    live_server, vcc2, browser, client, audit, chair
):
    consultation = vcc2.consultation
    group = consultation.groups.get(number=1)
    # The console opens today's meetings only: meeting 1 is held now.
    meeting = factories.under_way(factories.meeting(consultation, 1))
    for language in LANGUAGES:
        speaker = _speaker(consultation, CONSOLE_SPEAKERS[language], language)
        context = _context(browser, language)
        _sign_in(context, client, live_server.url, chair)
        page = context.new_page()
        console = f"{live_server.url}/{language}/c/vcc-2/console/"
        page.goto(console)
        audit.check(page, "console", language)
        page.select_option("#meeting", str(meeting.pk))
        _follow(page.locator("button[value=open_meeting]"))
        assert floor.floor_of(consultation).meeting_id == meeting.pk
        item = group.items.get(number=CONSOLE_ITEMS[language])
        _follow(
            page.locator(f"form:has(input[name=item][value='{item.pk}']) button[value=take_up]")
        )
        assert floor.floor_of(consultation).item_id == item.pk
        audit.check(page, "console, item taken up", language)

        off_the_browsers_loop(floor.ask_for_floor, speaker)
        page.goto(console)
        _follow(page.locator("button[value=give]").first)
        expect(page.locator("#console-countdown")).to_contain_text(":")
        assert floor.floor_of(consultation).speaking is not None
        page.fill("#text-en", "The Council takes note of the document.")
        page.select_option("#original", "en")
        _follow(page.locator("button[value=draft]"))
        assert page.locator("main .alert-danger").count() == 0
        expect(page.locator("#text-en")).to_have_value("The Council takes note of the document.")
        audit.check(page, "console, speaker on the floor", language)
        if language == "en":
            _screenshot(page, "console-en.png")
        _follow(page.locator("button[value=end]"))
        assert floor.floor_of(consultation).speaking is None
        context.close()
    audit.assert_clean()


# --- speaker on the live page ----------------------------------------------------------------

LIVE_SPEAKERS = {"en": "KE", "ar": "EG", "zh-hans": "CN"}


def test_speaker_asks_for_the_floor_on_the_live_page(uvicorn_server, vcc2, browser, audit, chair):
    consultation = vcc2.consultation
    off_the_browsers_loop(factories.on_the_floor, consultation, "1.2", actor=chair)
    for position, language in enumerate(LANGUAGES, start=1):
        token = factories.link(_speaker(consultation, LIVE_SPEAKERS[language], language))
        context = _context(browser, language)
        page = context.new_page()
        page.goto(f"{uvicorn_server}/j/{token}")
        page.goto(f"{uvicorn_server}/{language}/c/vcc-2/live/")
        # Waits that poll with locators: a predicate string would be eval'd, which the
        # pages' Content-Security-Policy refuses.
        expect(page.locator("#connection")).to_have_class(re.compile(r"\bd-none\b"))
        expect(page.locator("#item-label")).not_to_have_text("")
        audit.check(page, "live", language)
        page.locator("#ask").click()
        expect(page.locator("#queue li")).to_have_count(position)
        expect(page.locator("#my-position")).not_to_have_text(re.compile(r"^\s*$"))
        audit.check(page, "live, floor asked", language)
        if language == "en":
            _screenshot(page, "live-en.png")
        context.close()
    audit.assert_clean()


# --- voting focal point ----------------------------------------------------------------------

VOTERS = {"en": "CA", "ar": "EG", "zh-hans": "CN"}
PASSWORD = "a-long-passphrase-for-voting"


def test_voting_focal_point_signs_in_with_a_second_factor_and_votes(
    live_server, vcc2, browser, audit, totp_code, settings, secretariat_user, chair
):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from plenary.ballots.models import Reply

    # A fast hasher for the voters' passwords: the journey is about the pages, and the
    # production hasher would spend seconds of the test's time on the three sign-ins.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    consultation = vcc2.consultation
    ballot = factories.ballot(
        consultation,
        actor=secretariat_user,
        approved_by=chair,
        title="Appointment of the External Auditor",
        question="Do you approve the proposed conclusion on item 1.5?",
        proposals=[
            (
                factories.item(consultation, "1.5"),
                "The Council appoints the External Auditor as proposed.",
            )
        ],
    )
    proposal = ballot.proposals.get()
    for language in LANGUAGES:
        voter = User.objects.create_user(f"vote.{language}@example.org", PASSWORD)
        voter.language = language
        voter.save()
        TOTP.activate(voter, generate_totp_secret())
        ballots.appoint_voting_focal_point(
            ballot, State.objects.get(iso2=VOTERS[language]), voter, actor=secretariat_user
        )
        context = _context(browser, language)
        page = context.new_page()
        target = f"/{language}/c/vcc-2/ballots/{ballot.pk}/"
        page.goto(f"{live_server.url}/{language}/accounts/login/?next={target}")
        audit.check(page, "sign in", language)
        page.fill("input[name=login]", voter.email)
        page.fill("input[name=password]", PASSWORD)
        _follow(page.locator("main form button[type=submit]").first)
        assert "/accounts/2fa/authenticate/" in page.url
        audit.check(page, "second factor", language)
        page.fill("input[name=code]", totp_code(voter))
        _follow(page.locator("main form button[type=submit]").first)
        assert page.url == f"{live_server.url}{target}"
        audit.check(page, "ballot", language)
        page.check(f"input[name='{proposal.pk}-choice'][value=in_favour]")
        _follow(page.locator(f"form[action$='/proposals/{proposal.pk}/reply/'] button"))
        reply = Reply.objects.get(proposal=proposal, elector__focal_point=voter, current=True)
        assert reply.choice == "in_favour"
        assert reply.digest in page.locator("main").inner_text()  # the receipt
        audit.check(page, "ballot, reply sent", language)
        if language == "en":
            _screenshot(page, "ballot-en.png")
        context.close()
    audit.assert_clean()


# --- secretariat -----------------------------------------------------------------------------


def test_secretariat_watches_the_registration_dashboard(
    live_server, vcc2, browser, client, audit, secretariat_user
):
    consultation = vcc2.consultation
    factories.open_registration(consultation)
    _speaker(consultation, "CH", "en")
    factories.registered(
        consultation, "BR", name="Pending person", email="pending.br@example.org", now=None
    )
    for language in LANGUAGES:
        context = _context(browser, language)
        _sign_in(context, client, live_server.url, secretariat_user)
        page = context.new_page()
        page.goto(f"{live_server.url}/{language}/c/vcc-2/registration/")
        speakers = page.locator("main .progress").first
        assert speakers.get_attribute("aria-valuenow") == "1"
        audit.check(page, "registration dashboard", language)
        if language == "en":
            _screenshot(page, "registration-dashboard-en.png")
        context.close()
    audit.assert_clean()
