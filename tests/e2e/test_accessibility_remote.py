"""Remote participation pages under axe-core, in English, Arabic and Chinese: a viewer joins
a meeting, chooses a listening language, tests the equipment and asks IT support for help;
IT support answers from the desk; the secretariat sets the meeting up; the interpreter takes
the booth; anyone watches the public webcast."""

import datetime

import pytest

from plenary.remote import services as remote
from plenary.remote.models import RemoteSettings, SupportRequest
from tests import factories

from .test_accessibility import LANGUAGES, _context, _follow, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWERS = {"en": "KE", "ar": "EG", "zh-hans": "CN"}


@pytest.fixture
def meeting_now(vcc2, secretariat_user):
    consultation = vcc2.consultation
    meeting = factories.under_way(
        factories.meeting(consultation, 1),
        since=datetime.timedelta(minutes=5),
        until=datetime.timedelta(hours=3),
    )
    remote.set_meeting_links(
        meeting,
        actor=secretariat_user,
        speaker_url="https://platform.example.org/speak",
        viewer_url="https://platform.example.org/watch",
        interpreter_url="https://platform.example.org/booth",
        webcast_url="https://webcast.example.org/vcc-2",
    )
    for language in ("ar", "zh-hans", "en"):
        remote.set_caption_feed(
            meeting, language, f"https://captions.example.org/{language}", actor=secretariat_user
        )
    RemoteSettings.objects.update_or_create(
        consultation=consultation, defaults={"webcast_public": True}
    )
    return meeting


def _viewer(consultation, iso2, language):
    """A viewer of the state reading in the language, as the screenshots show them."""
    return factories.participant(
        consultation,
        iso2,
        speaker=False,
        name=f"Viewer {iso2}",
        email=f"viewer.{iso2.lower()}@example.org",
        language=language,
    )


def test_a_viewer_joins_listens_tests_and_asks_for_help(live_server, vcc2, meeting_now, browser):
    from .test_accessibility import Audit

    audit = Audit("remote viewer")
    consultation = vcc2.consultation
    base = f"{live_server.url}"
    for language in LANGUAGES:
        person = _viewer(consultation, VIEWERS[language], language)
        token = factories.link(person)
        context = _context(browser, language)
        page = context.new_page()
        page.goto(f"{base}/j/{token}")
        page.goto(f"{base}/{language}/c/vcc-2/meetings/{meeting_now.pk}/join/")
        assert page.locator("#join-link").get_attribute("href").endswith("/watch")
        audit.check(page, "join a meeting", language)
        page.select_option("#listening-language", "fr")
        _follow(page.locator("#listening-form button"))
        assert page.locator("#listening-language").input_value() == "fr"
        page.goto(f"{base}/{language}/c/vcc-2/rehearsal/check/")
        audit.check(page, "rehearsal check", language)
        page.goto(f"{base}/{language}/c/vcc-2/help/")
        audit.check(page, "help form", language)
        page.locator("input[name=channel][value=form]").check()
        page.fill("#id_subject", "No sound")
        _follow(page.locator("#support-form button[type=submit]"))
        assert SupportRequest.objects.filter(participant=person).exists()
        audit.check(page, "help request", language)
        page.goto(f"{base}/{language}/c/vcc-2/webcast/")
        audit.check(page, "webcast", language)
        context.close()
    audit.assert_clean()


def test_it_support_the_secretariat_and_the_interpreter_pages(
    live_server, vcc2, meeting_now, browser, client
):
    from .test_accessibility import Audit

    audit = Audit("remote staff")
    consultation = vcc2.consultation
    person = _viewer(consultation, "KE", "en")
    request = remote.open_request(
        consultation, channel="callback", subject="Call me", phone="+254 20 2222222",
        participant=person,
    )  # fmt: skip
    remote.post_message(request, "The sound cuts out.", from_support=False)
    people = [
        (
            factories.it_support(),
            [
                ("support desk", "/c/vcc-2/support/"),
                ("support request", f"/c/vcc-2/support/{request.pk}/"),
            ],
        ),
        (
            factories.secretariat(),
            [
                ("remote participation", "/c/vcc-2/remote/"),
                ("meeting set-up", f"/c/vcc-2/remote/meetings/{meeting_now.pk}/"),
            ],
        ),
        (
            factories.interpreter(),
            [("interpretation booth", f"/c/vcc-2/booth/?meeting={meeting_now.pk}")],
        ),
    ]
    for language in LANGUAGES:
        for user, pages in people:
            context = _context(browser, language)
            _sign_in(context, client.__class__(), live_server.url, user)
            page = context.new_page()
            for name, path in pages:
                page.goto(f"{live_server.url}/{language}{path}")
                assert "/accounts/" not in page.url, page.url  # signed in, not sent away
                audit.check(page, name, language)
            context.close()
    booths = {row["language"]: row for row in remote.booths(meeting_now)}
    assert booths["fr"]["staffed"]  # the interpreter's page took the French booth
    audit.assert_clean()
