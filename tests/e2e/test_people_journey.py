"""The people of a consultation, walked in Chromium as each person would: the secretariat
invites the focal points of the 48 Council Member States from a CSV file; the Saudi focal
point opens the link of their e-mail in Arabic, makes their account and approves two
registrations of their state; the secretariat approves a hundred registrations of a state
whose focal point never answered, sends the participation guide to everyone approved over
a real SMTP server, follows its delivery and sends it again to one person; the presiding
officer approves a prepared ballot and confirms the agenda from the console at the opening
meeting.

Each person starts at the home page (the focal point at the link of their e-mail) and only
clicks links and buttons and fills fields. The clicks and the fields of each task's
straight path are counted and printed (run with -s); the deliberate mistakes and the
checks afterwards are not. The screenshots are those of the user guide (docs/guide.md,
"Inviting focal points and handling registrations")."""

import csv
import io
import re

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from plenary.ballots.models import Ballot
from plenary.core.accounts import requires_mfa
from plenary.core.models import OutboxMessage, User
from plenary.people.models import Invitation
from plenary.registration.models import Delegation, FocalPoint, Participant
from tests import factories
from tests.core.test_mail import Inbox, _free_port

from .conftest import off_the_browsers_loop
from .test_setup_journey import PASSWORD, Tally, _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARABIC = "SA"  # Saudi Arabia's focal point reads in Arabic
SILENT = "KE"  # Kenya's focal point never answers its invitation
FOCAL_PASSWORD = "a-long-passphrase-for-the-focal-point"
CSV_MIME = "text/csv"
# The language each region's focal point reads in (Saudi Arabia's is Arabic).
REGION_LANGUAGE = {"A": "es", "B": "fr", "C": "ru", "D": "fr", "E": "en"}


def _address(iso2: str) -> str:
    return f"focal.{iso2.lower()}@example.gov"


def _council_csv(consultation) -> tuple[bytes, list[str]]:
    """The 48 seats of the consultation's term as the secretariat's CSV file: state, email,
    name, language; and the states in order."""
    seats = sorted(
        consultation.council_term.seats.select_related("region", "state"),
        key=lambda seat: seat.state.iso2,
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["state", "email", "name", "language"])
    for seat in seats:
        iso2 = seat.state.iso2
        language = "ar" if iso2 == ARABIC else REGION_LANGUAGE[seat.region.code]
        writer.writerow([iso2, _address(iso2), f"Focal point {iso2}", language])
    return buffer.getvalue().encode("utf-8"), [seat.state.iso2 for seat in seats]


def _smtp(settings):
    """A real SMTP server on a free local port, as tests/core/test_mail.py runs it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    return inbox, controller


def _run_worker():
    """The background worker's pass over the outbox (as `plenary worker` runs it)."""
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=io.StringIO()
    )


def _sign_in_secretariat(hands, page, live_server, user, totp_code) -> None:
    hands.start("sign in (secretariat)")
    page.goto(f"{live_server.url}/fr/")
    hands.click("header a[href*='/accounts/login/']")
    hands.fill("input[name=login]", user.email)
    hands.fill("input[name=password]", PASSWORD)
    hands.click("main form button[type=submit]")
    assert "/accounts/2fa/authenticate/" in page.url
    hands.fill("input[name=code]", totp_code(user))
    hands.click("main form button[type=submit]")
    # One consultation: the home page leads to it.
    assert page.url.endswith("/fr/c/vcc-2/"), page.url


def _to_people_page(hands) -> None:
    hands.click("header a[href$='/fr/c/vcc-2/registration/']")
    hands.click("main a[href$='/fr/c/vcc-2/people/']")


def _invite_from_csv(hands, page, consultation) -> list[str]:
    """(a) A file with an unknown state and a row given twice is refused naming the lines,
    nothing sent; then the 48 focal points, previewed, then sent."""
    data, states = _council_csv(consultation)
    assert len(states) == 48 and ARABIC in states and SILENT in states
    hands.start("invite 48 focal points (CSV)")
    _to_people_page(hands)
    with hands.uncounted():
        lines = data.decode().splitlines()
        wrong = "\n".join([*lines[:3], "Atlantis,focal.xx@example.gov,Nobody,en", lines[2]])
        hands.attach("#id_file", "wrong.csv", CSV_MIME, wrong.encode())
        hands.click("form[action$='/people/import/'] button")
        problems = page.locator("main .alert-danger li").all_inner_texts()
        assert len(problems) == 2, problems
        assert "4" in problems[0] and "Atlantis" in problems[0], problems
        assert "5" in problems[1] and "3" in problems[1], problems  # line 5 repeats line 3
        assert not Invitation.objects.exists()
        assert not OutboxMessage.objects.filter(to__icontains="example.gov").exists()
    hands.attach("#id_file", "council-focal-points.csv", CSV_MIME, data)
    hands.click("form[action$='/people/import/'] button")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 48
    arabic = rows.filter(has_text=_address(ARABIC))
    assert arabic.locator("td").nth(4).inner_text().strip() == "ar"
    assert not Invitation.objects.exists()  # a preview sends nothing
    _shot(page, "people-fr.png")
    hands.click("form[action$='/people/import/send/'] button")
    assert page.url.endswith("/fr/c/vcc-2/people/")
    assert Invitation.objects.filter(role=Invitation.Role.FOCAL_POINT).count() == 48
    mails = OutboxMessage.objects.filter(to__icontains="@example.gov")
    assert mails.count() == 48
    assert sorted(address for m in mails for address in m.to) == sorted(map(_address, states))
    assert mails.get(to=[_address(ARABIC)]).language == "ar"
    return states


def _focal_point_accepts(hands, browser, consultation) -> User:
    """(b) The Saudi focal point opens the link of their e-mail: the page in Arabic, a
    password (a second factor only if the role asks for one), then "My delegation"."""
    mail = OutboxMessage.objects.get(to=[_address(ARABIC)])
    link = re.search(r"https?://\S+/ar/invitation/[\w-]+/", mail.body).group(0)
    context = browser.new_context(
        locale="ar", timezone_id="Asia/Riyadh", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    hands.page = page
    hands.start("focal point: accept (ar)")
    page.goto(link)
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    assert _address(ARABIC) in page.locator("main dl").inner_text()
    assert page.input_value("#id_name") == f"Focal point {ARABIC}"  # as the secretariat gave it
    hands.fill("#id_name", "Noura Al-Qahtani")
    hands.fill("#id_password1", FOCAL_PASSWORD)
    hands.fill("#id_password2", FOCAL_PASSWORD)
    _shot(page, "invitation-ar.png")
    hands.click("main form button")
    noura = User.objects.get(email=_address(ARABIC))
    assert not requires_mfa(noura)  # a focal point signs in with a password alone
    assert page.url.endswith("/ar/c/vcc-2/delegation/"), page.url
    assert html.get_attribute("dir") == "rtl"
    assert FocalPoint.objects.filter(user=noura, delegation__state__iso2=ARABIC).exists()
    return page, context


def _focal_point_decides(hands, page, people) -> None:
    first, second = people
    hands.start("focal point: approve 2, name 1 speaker")
    hands.click(f"#participant-{first.pk} button[value=approve]")
    hands.click(f"#participant-{second.pk} button[value=approve]")
    hands.click(f"#participant-{first.pk} button[value=speaker]")
    for person in people:
        person.refresh_from_db()
    assert first.status == second.status == Participant.Status.APPROVED
    assert (first.role, second.role) == (Participant.Role.SPEAKER, Participant.Role.VIEWER)
    assert page.locator("html").get_attribute("dir") == "rtl"


def _bulk_approve(hands, page, kenya: Delegation) -> None:
    """(c) A hundred registrations of Kenya, whose focal point never answered: the list
    filtered by Kenya, then the stranded block's button (the list has no select-all, and
    selecting them one by one would take a hundred clicks on two pages)."""
    hands.start("approve 100 stranded (bulk)")
    hands.click("header a[href$='/fr/c/vcc-2/registration/']")
    hands.click("main a[href$='/registration/participants/?status=pending']")
    hands.choose("#id_delegation", value=str(kenya.pk))
    hands.click("main form[role=search] button")
    count = page.locator("#bulk").evaluate("form => form.previousElementSibling.textContent")
    assert "100" in count, count
    assert page.locator("main tbody tr[id^=participant-]").count() == 50  # a page of 50
    stranded = page.locator(f"#stranded-{kenya.pk}")
    assert "100" in stranded.inner_text()
    hands.click(f"#stranded-{kenya.pk} button[value=approve]")
    assert f"delegation={kenya.pk}" in page.url
    outcome = page.locator("#results-title + table tbody tr")
    assert outcome.count() == 100
    assert outcome.locator(".text-bg-success").count() == 100
    assert page.locator(f"#stranded-{kenya.pk}").count() == 0
    approved = Participant.objects.filter(delegation=kenya, status=Participant.Status.APPROVED)
    assert approved.count() == 100
    assert not Participant.objects.filter(delegation=kenya, status="pending").exists()
    _shot(page, "registrations-fr.png")


def _send_guide(hands, page, consultation, inbox) -> None:
    """(d) The guide to everyone approved; the report shows each waiting, then sent once the
    worker has delivered; sent again to one person."""
    approved = list(consultation.participants.filter(status=Participant.Status.APPROVED))
    hands.start("send the guide to all")
    hands.click("header a[href$='/fr/c/vcc-2/registration/']")
    hands.click("main a[href$='/fr/c/vcc-2/registration/guide/']")
    hands.click("form[action$='/registration/guide/send/'] button")
    assert page.url.endswith("/fr/c/vcc-2/registration/guide/deliveries/")
    rows = page.locator("main tbody tr[id^=delivery-]")
    assert rows.count() == len(approved) >= 102
    assert rows.locator(".text-bg-secondary").count() == len(approved)  # all waiting
    _run_worker()
    with hands.uncounted():
        hands.click("main a[href='?']")  # the report again, "All"
    assert rows.locator(".text-bg-success").count() == len(approved), page.locator(
        "main tbody"
    ).inner_text()[:2000]
    delivered = {address for envelope in inbox.envelopes for address in envelope.rcpt_tos}
    assert {person.email for person in approved} <= delivered
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "guide-deliveries-fr.png")

    hands.start("send the guide again to one")
    person = next(p for p in approved if p.delegation.state.iso2 == ARABIC)
    before = sum(person.email in envelope.rcpt_tos for envelope in inbox.envelopes)
    hands.click(f"#delivery-{person.pk} button")
    assert person.name in page.locator("main .alert-success").inner_text()
    assert page.locator(f"#delivery-{person.pk} .text-bg-secondary").count() == 1  # waiting
    _run_worker()
    after = sum(person.email in envelope.rcpt_tos for envelope in inbox.envelopes)
    assert after == before + 1
    with hands.uncounted():
        hands.click("main a[href='?']")
    assert page.locator(f"#delivery-{person.pk} .text-bg-success").count() == 1


def _presiding_officer(hands, browser, live_server, consultation, chair) -> None:
    """(e) The presiding officer approves the secretariat's prepared ballot on their own
    page, then confirms the agenda from the console while the opening meeting is on."""
    draft = factories.draft_ballot(consultation, title="Dates of the next session")
    context = browser.new_context(locale="en", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    hands.page = page
    hands.start("presiding officer: sign in")
    page.goto(f"{live_server.url}/en/")
    hands.click("header a[href*='/accounts/login/']")
    hands.fill("input[name=login]", chair.email)
    hands.fill("input[name=password]", PASSWORD)
    hands.click("main form button[type=submit]")
    assert page.url.endswith("/en/c/vcc-2/"), page.url
    hands.start("presiding officer: approve ballot")
    hands.click("header a[href$='/en/c/vcc-2/ballots/']")
    hands.click("main a[href$='/en/c/vcc-2/ballots/approvals/']")
    assert page.locator(f"#draft-{draft.pk}-title").count() == 1
    hands.click(f"form[action$='/ballots/{draft.pk}/approve/'] button")
    draft.refresh_from_db()
    assert draft.status == Ballot.Status.OPEN and draft.approved_by == chair
    assert page.url.endswith(f"/en/c/vcc-2/ballots/{draft.pk}/")

    off_the_browsers_loop(factories.opening_meeting, consultation, actor=chair)
    hands.start("chair: confirm the agenda")
    hands.click("header a[href$='/en/c/vcc-2/console/']")
    assert page.locator("#confirm-agenda").count() == 1
    hands._count("fields")
    page.check("#confirm-agenda-box")
    hands.click("#confirm-agenda form button")
    consultation.refresh_from_db()
    assert consultation.agenda_confirmed_at is not None
    assert page.locator("#agenda-confirmed").count() == 1, page.url
    context.close()


def test_people_invited_registrations_decided_and_the_guide_sent(
    live_server, vcc2, browser, settings, secretariat_user, chair, totp_code
):
    consultation = vcc2.consultation
    # A fast hasher: the journey is about the pages, not the hashing of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PLENARY_BASE_URL = live_server.url  # the links in the e-mails lead here
    settings.PLENARY_LINK_MAIL_DELAY_SECONDS = 0
    for user in (secretariat_user, chair):
        user.set_password(PASSWORD)
        user.save()
    inbox, controller = _smtp(settings)
    saudis = [factories.registered(consultation, ARABIC, n, language="ar") for n in (1, 2)]
    kenya = factories.delegation(consultation, SILENT)
    for n in range(1, 101):
        factories.registered(consultation, kenya, n)
    try:
        context = browser.new_context(
            locale="fr", timezone_id="Europe/Paris", viewport={"width": 1366, "height": 900}
        )
        page = context.new_page()
        hands = Tally(page)
        _sign_in_secretariat(hands, page, live_server, secretariat_user, totp_code)
        _invite_from_csv(hands, page, consultation)

        focal_page, focal_context = _focal_point_accepts(hands, browser, consultation)
        _focal_point_decides(hands, focal_page, saudis)
        focal_context.close()

        hands.page = page
        assert Invitation.objects.get(state__iso2=SILENT).status == Invitation.Status.PENDING
        _bulk_approve(hands, page, kenya)
        _send_guide(hands, page, consultation, inbox)
        context.close()

        _presiding_officer(hands, browser, live_server, consultation, chair)
    finally:
        controller.stop()
    print("\nPeople tasks, straight path (clicks / fields typed or chosen):")
    for task, counts in hands.tasks.items():
        print(f"  {task:<40} {counts['clicks']:>3} clicks  {counts['fields']:>3} fields")
