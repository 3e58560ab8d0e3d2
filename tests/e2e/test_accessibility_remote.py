"""Remote participation pages under axe-core, in English, Arabic and Chinese: a viewer joins
a meeting, chooses a listening language, tests the equipment and asks IT support for help;
IT support answers from the desk; the secretariat sets the meeting up; the interpreter takes
the booth; anyone watches the public webcast."""

import datetime

import pytest
from django.utils import timezone

from plenary.core.models import User
from plenary.registration import services as registration
from plenary.registration.models import Delegation
from plenary.remote import services as remote
from plenary.remote.models import RemoteSettings, SupportRequest

from .test_accessibility import LANGUAGES, _context, _follow, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OPEN = datetime.datetime(2020, 10, 20, 9, tzinfo=datetime.UTC)
VIEWERS = {"en": "KE", "ar": "EG", "zh-hans": "CN"}


@pytest.fixture
def meeting_now(vcc2):
    consultation = vcc2.consultation
    meeting = consultation.meetings.get(kind="meeting", number=1)
    meeting.starts_at = timezone.now() - datetime.timedelta(minutes=5)
    meeting.ends_at = timezone.now() + datetime.timedelta(hours=3)
    meeting.save()
    secretariat = User.objects.get(email="secretariat@example.org")
    remote.set_meeting_links(
        meeting,
        actor=secretariat,
        speaker_url="https://platform.example.org/speak",
        viewer_url="https://platform.example.org/watch",
        interpreter_url="https://platform.example.org/booth",
        webcast_url="https://webcast.example.org/vcc-2",
    )
    for language in ("ar", "zh-hans", "en"):
        remote.set_caption_feed(
            meeting, language, f"https://captions.example.org/{language}", actor=secretariat
        )
    RemoteSettings.objects.update_or_create(
        consultation=consultation, defaults={"webcast_public": True}
    )
    return meeting


def _viewer(consultation, iso2, language):
    secretariat = User.objects.get(email="secretariat@example.org")
    person = registration.register(
        consultation,
        delegation=Delegation.objects.get(consultation=consultation, state__iso2=iso2),
        name=f"Viewer {iso2}",
        email=f"viewer.{iso2.lower()}@example.org",
        language=language,
        now=OPEN,
    )
    registration.approve(person, actor=secretariat)
    person.refresh_from_db()
    return person, registration.send_link(person, actor=secretariat)


def test_a_viewer_joins_listens_tests_and_asks_for_help(live_server, vcc2, meeting_now, browser):
    from .test_accessibility import Audit

    audit = Audit("remote viewer")
    consultation = vcc2.consultation
    base = f"{live_server.url}"
    for language in LANGUAGES:
        person, token = _viewer(consultation, VIEWERS[language], language)
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
    person, _token = _viewer(consultation, "KE", "en")
    request = remote.open_request(
        consultation, channel="callback", subject="Call me", phone="+254 20 2222222",
        participant=person,
    )  # fmt: skip
    remote.post_message(request, "The sound cuts out.", from_support=False)
    people = {
        "it.support@example.org": [
            ("support desk", "/c/vcc-2/support/"),
            ("support request", f"/c/vcc-2/support/{request.pk}/"),
        ],
        "secretariat@example.org": [
            ("remote participation", "/c/vcc-2/remote/"),
            ("meeting set-up", f"/c/vcc-2/remote/meetings/{meeting_now.pk}/"),
        ],
        "interpreter.fr@example.org": [
            ("interpretation booth", f"/c/vcc-2/booth/?meeting={meeting_now.pk}"),
        ],
    }
    for language in LANGUAGES:
        for email, pages in people.items():
            context = _context(browser, language)
            _sign_in(context, client.__class__(), live_server.url, User.objects.get(email=email))
            page = context.new_page()
            for name, path in pages:
                page.goto(f"{live_server.url}/{language}{path}")
                assert "/accounts/" not in page.url, page.url  # signed in, not sent away
                audit.check(page, name, language)
            context.close()
    booths = {row["language"]: row for row in remote.booths(meeting_now)}
    assert booths["fr"]["staffed"]  # the interpreter's page took the French booth
    audit.assert_clean()
