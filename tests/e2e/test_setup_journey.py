"""A secretariat officer sets up a consultation from the site alone, in French, in Chromium:
a new Council term, a copy of VCC-2 with other dates and numbers, its agenda from the
workbook the secretariat keeps, the dates moved, and a consultation from scratch. The
officer starts at the home page and only clicks links and buttons and fills fields.

The clicks and the fields typed on each task's straight path are counted and printed (run
with -s); the deliberate mistakes on the way (a list one seat short, a daily window that
ends before it starts) are not counted. The screenshots are those of the user guide
(docs/guide.md, "Setting up a consultation")."""

import datetime
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import icalendar
import pytest

from plenary.consultations.models import Consultation
from plenary.core import timezones
from plenary.directory.models import CouncilTerm, State
from plenary.planning.models import Meeting
from tests.consultations.vcc2_files import xlsx_bytes

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "a-long-passphrase-for-the-secretariat"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Tally:
    """The officer's hands: every click and every field filled goes through here and is
    counted against the task at hand, except for the deliberate mistakes and the checks
    afterwards (`uncounted`)."""

    def __init__(self, page):
        self.page = page
        self.tasks: dict[str, dict[str, int]] = {}
        self.task = ""
        self.counting = True

    def start(self, task: str) -> None:
        self.task = task
        self.tasks[task] = {"clicks": 0, "fields": 0}

    def _count(self, kind: str) -> None:
        if self.counting:
            self.tasks[self.task][kind] += 1

    def click(self, selector: str) -> None:
        """Click a link or a button and wait for the page it leads to."""
        self._count("clicks")
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()

    def fill(self, selector: str, value: str) -> None:
        field = self.page.locator(selector)
        fold = self.page.locator(f"details:has({selector})")
        if fold.count() and not field.is_visible():
            # A text's other languages are folded beneath its English field: open them.
            self._count("clicks")
            fold.locator("summary").first.click()
        self._count("fields")
        self.page.fill(selector, value)

    def choose(self, selector: str, **option) -> None:
        self._count("fields")
        self.page.select_option(selector, **option)

    def attach(self, selector: str, name: str, mime: str, data: bytes) -> None:
        self._count("fields")
        self.page.set_input_files(
            selector, files=[{"name": name, "mimeType": mime, "buffer": data}]
        )

    @contextmanager
    def uncounted(self):
        self.counting = False
        try:
            yield
        finally:
            self.counting = True

    def report(self) -> str:
        lines = ["Set-up tasks, straight path (clicks / fields typed or chosen):"]
        for task, counts in self.tasks.items():
            lines.append(f"  {task:<32} {counts['clicks']:>3} clicks  {counts['fields']:>3} fields")
        return "\n".join(lines)


def _shot(page, name: str, selector: str | None = None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if selector:
        page.locator(selector).screenshot(path=SCREENSHOTS / name)
    else:
        page.screenshot(path=SCREENSHOTS / name)


def _term_lines(vcc2) -> tuple[list[str], set[str], set[str]]:
    """VCC-2's 48 seats as "region,ISO" lines, with two seats given to two other Member
    States of the same regions; and the states that left and joined."""
    seats = sorted(
        vcc2.consultation.council_term.seats.select_related("region", "state"),
        key=lambda seat: (seat.region.code, seat.state.iso2),
    )
    on_council = {seat.state.iso2 for seat in seats}
    left, joined, lines = set(), set(), []
    for seat in seats:
        code = seat.region.code
        if code in ("B", "D") and code not in {s[0] for s in joined}:
            newcomer = (
                State.objects.filter(status=State.Status.MEMBER, region=seat.region)
                .exclude(iso2__in=on_council)
                .order_by("iso2")
                .first()
            )
            left.add(seat.state.iso2)
            joined.add(f"{code}{newcomer.iso2}")
            lines.append(f"{code},{newcomer.iso2}")
        else:
            lines.append(f"{code},{seat.state.iso2}")
    return lines, left, {entry[1:] for entry in joined}


def _sign_in(hands, page, live_server, user, totp_code) -> None:
    hands.start("sign in")
    page.goto(f"{live_server.url}/fr/")
    assert page.locator("html").get_attribute("lang") == "fr"
    hands.click("header a[href*='/accounts/login/']")
    hands.fill("input[name=login]", user.email)
    hands.fill("input[name=password]", PASSWORD)
    hands.click("main form button[type=submit]")
    assert "/accounts/2fa/authenticate/" in page.url
    hands.fill("input[name=code]", totp_code(user))
    hands.click("main form button[type=submit]")
    assert page.locator("header a[href$='/fr/secretariat/consultations/']").count() == 1


def _enter_term(hands, page, vcc2) -> CouncilTerm:
    """(a) A new Council term: first one seat short (refused, nothing stored), then 48."""
    lines, left, joined = _term_lines(vcc2)
    assert len(lines) == 48 and len(left) == len(joined) == 2
    hands.start("enter a Council term")
    hands.click("header a[href$='/fr/secretariat/consultations/']")
    hands.click("main a[href$='/fr/secretariat/council/']")
    hands.fill("#id_name", "2095-2098")
    hands.fill("#id_starts_on", "2095-01-01")
    hands.fill("#id_ends_on", "2098-12-31")
    with hands.uncounted():
        page.fill("#id_members", "\n".join(lines[:47]))
        hands.click("button[name=action][value=save]")
        problems = page.locator("#problems").inner_text()
        assert "47" in problems and "48" in problems, problems
        assert not CouncilTerm.objects.filter(name="2095-2098").exists()
        # What was typed is kept, so that only the list needs correcting.
        assert page.input_value("#id_name") == "2095-2098"
    hands.fill("#id_members", "\n".join(lines))
    hands.click("button[name=action][value=preview]")
    assert page.locator("#problems").count() == 0
    assert "48" in page.locator("#preview").inner_text()
    assert not CouncilTerm.objects.filter(name="2095-2098").exists()  # a preview saves nothing
    _shot(page, "council-term-fr.png", "main")
    hands.click("button[name=action][value=save]")
    term = CouncilTerm.objects.get(name="2095-2098")
    assert page.url.endswith(f"/fr/secretariat/council/{term.pk}/")
    held = set(term.seats.values_list("state__iso2", flat=True))
    assert len(held) == 48 and joined <= held and not left & held
    assert (term.starts_on, term.ends_on) == (
        datetime.date(2095, 1, 1),
        datetime.date(2098, 12, 31),
    )
    return term


COPY = {
    "#id_acronym": "VCC-97",
    "#id_title_en": "Ninety-seventh Virtual Consultation of Councillors",
    "#id_title_fr": "Quatre-vingt-dix-septième consultation virtuelle des Conseillers",
    "#id_letter_reference": "DM-97/1001",
    "#id_time_zone_label_en": "Nairobi time",
    "#id_time_zone_label_fr": "heure de Nairobi",
    "#id_time_zone_label_ar": "",
    "#id_time_zone_label_zh-hans": "",
    "#id_time_zone_label_ru": "",
    "#id_time_zone_label_es": "",
    "#id_speaker_capacity": "250",
    "#id_speakers_per_delegation_max": "2",
    "#id_contribution_max_pages": "4",
    "#id_contribution_deadline_time": "17:00",
}


def _copy_vcc2(hands, page, term) -> Consultation:
    """(b) VCC-2 copied with a new first day, window, zone, capacity, speakers, page limit and
    deadline time; first with a window that ends before it starts (refused under its field)."""
    hands.start("copy VCC-2")
    hands.click("header a[href$='/fr/secretariat/consultations/']")
    hands.fill("#id_slug", "vcc-97")
    hands.choose("#id_source", value="vcc-2")
    hands.fill("#id_starts_on", "2097-03-04")
    hands.click("#new-consultation button")
    assert "/fr/secretariat/consultations/new/" in page.url
    assert page.input_value("#id_starts_on") == "2097-03-04"
    for selector, value in COPY.items():
        hands.fill(selector, value)
    hands.choose("#id_council_term", label="2095-2098")
    hands.choose("#id_time_zone", value="Africa/Nairobi")
    with hands.uncounted():
        page.fill("#id_daily_start", "11:30")
        page.fill("#id_daily_end", "09:00")
        hands.click("button[name=action][value=create]")
        under = page.locator("#id_daily_end ~ .text-danger")
        assert under.count() == 1, under.all_inner_texts()
        assert "11:30" in under.inner_text() and "09:00" in under.inner_text()
        assert not Consultation.objects.filter(slug="vcc-97").exists()
        assert page.input_value("#id_acronym") == "VCC-97"  # the rest is kept
        page.locator("#id_daily_end").scroll_into_view_if_needed()
        _shot(page, "setup-error-fr.png", "#section-dates")
    hands.fill("#id_daily_start", "09:00")
    hands.fill("#id_daily_end", "11:30")
    hands.click("button[name=action][value=preview]")
    dates = page.locator("#preview-dates")
    header = dates.locator("thead").inner_text()
    assert "Africa/Nairobi" in header and "UTC" in header and "heure de Nairobi" in header
    first_day = dates.locator("tbody tr", has_text="4").filter(has_text="09:00").first
    cells = first_day.locator("td").all_inner_texts()
    assert "09:00" in cells[0] and "11:30" in cells[0], cells  # Nairobi, UTC+3
    assert "06:00" in cells[1] and "08:30" in cells[1], cells  # UTC
    assert not Consultation.objects.filter(slug="vcc-97").exists()  # a preview saves nothing
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "setup-new-fr.png")
    _shot(page, "setup-preview-fr.png", "#preview")
    hands.click("button[name=action][value=create]")
    assert page.url.endswith("/fr/c/vcc-97/settings/")
    created = Consultation.objects.get(slug="vcc-97")
    assert created.council_term == term
    assert (created.daily_start, created.daily_end) == (datetime.time(9), datetime.time(11, 30))
    assert created.time_zone == "Africa/Nairobi"
    assert (created.speaker_capacity, created.speakers_per_delegation_max) == (250, 2)
    assert created.contribution_max_pages == 4
    assert created.contribution_deadline_time == datetime.time(17)
    assert created.groups.count() == 3 and not created.groups.filter(items__isnull=False).exists()
    return created


def _import_agenda(hands, page, consultation) -> None:
    """(c) The copy has VCC-2's groups, not its items: the agenda from the workbook."""
    hands.start("import the agenda (XLSX)")
    hands.click("main a[href$='/fr/c/vcc-97/agenda/edit/']")
    hands.click("main a[href$='/fr/c/vcc-97/agenda/import/']")
    hands.attach("#id_file", "vcc2-agenda.xlsx", XLSX, xlsx_bytes())
    hands.click("main form[enctype] button")
    counts = page.locator("#preview-title + table tbody tr").nth(1).locator("td").all_inner_texts()
    assert counts[0].strip() == "66", counts  # items created
    assert consultation.groups.filter(items__isnull=False).count() == 0  # not yet
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "agenda-import-fr.png")
    hands.click("form[action$='/agenda/import/apply/'] button")
    assert page.url.endswith("/fr/c/vcc-97/agenda/edit/")
    with hands.uncounted():
        hands.click("header a[href$='/fr/c/vcc-97/agenda/']")
        assert page.locator("tr[id^=item-]").count() == 66


def _publish_plan(hands, page) -> None:
    """The plan published, so that the calendar offers it and a change of dates needs a
    reason."""
    hands.start("publish the plan")
    hands.click("header a[href$='/fr/c/vcc-97/plan/manage/']")
    hands.click("main form[action$='/plan/publish/'] button")


def _move_dates(hands, page, consultation) -> None:
    """(d) The consultation two weeks later, on its Settings page; once the plan is
    published the reason is asked for. The home page, the plan, the meetings and the
    calendar follow."""
    hands.start("move the dates")
    hands.click("header a[href$='/fr/c/vcc-97/settings/']")
    hands.fill("#id_starts_on", "2097-03-18")
    hands.fill("#id_registration_opens_on", "2097-02-15")
    hands.fill("#id_rehearsal_on", "2097-03-12")
    with hands.uncounted():
        hands.click("button[name=action][value=save]")
        assert page.locator("main .alert-danger").count() >= 1
        consultation.refresh_from_db()
        assert consultation.starts_on == datetime.date(2097, 3, 4)  # nothing changed
        assert page.input_value("#id_starts_on") == "2097-03-18"  # what was typed is kept
    hands.click("button[name=action][value=preview]")
    assert page.locator("#blockers").count() == 0
    assert "starts_on" in page.locator("#preview").inner_text()
    hands.fill("#id_reason", "The Council asked for the consultation two weeks later.")
    hands.click("button[name=action][value=save]")
    assert page.url.endswith("/fr/c/vcc-97/settings/")
    consultation.refresh_from_db()
    assert consultation.starts_on == datetime.date(2097, 3, 18)


def _check_moved(hands, page, consultation) -> None:
    """What the officer looks at after moving the dates (not counted): the home page, the
    plan and the calendar agree with the new dates."""
    with hands.uncounted():
        hands.click("header a[href$='/fr/c/vcc-97/']")
        lead = page.locator("main .lead").inner_text()
        assert lead == timezones.format_day_range(
            consultation.starts_on, consultation.ends_on, "fr"
        )
        assert "09:00–11:30" in page.locator("main dl").inner_text()
        hands.click("main a[href$='/fr/c/vcc-97/plan/']")
    day_one = page.locator("main h2#day-1").inner_text()
    assert "18" in day_one and "2097" in day_one, day_one
    # The plan published before the move is published again at the new dates, with the reason.
    first_slot = page.locator("main section:has(h2#day-1) tbody time").first
    assert first_slot.get_attribute("datetime").startswith("2097-03-18T06:00")
    assert "two weeks later" in page.locator("main").inner_text()
    feed = page.locator("main a[href$='/calendars/vcc-97.ics']").get_attribute("href")
    response = page.request.get(urljoin(page.url, feed))
    assert response.ok
    events = icalendar.Calendar.from_ical(response.body()).walk("VEVENT")
    starts = sorted(event.decoded("dtstart") for event in events)
    utc = datetime.UTC
    assert starts[0] == datetime.datetime(2097, 3, 12, 6, tzinfo=utc)  # the rehearsal
    assert starts[1] == datetime.datetime(2097, 3, 18, 6, tzinfo=utc)  # 09:00 in Nairobi
    # One meeting per day of the plan, on the first meeting days of the new dates (the home
    # page gives the most days the consultation may take).
    days = consultation.meeting_days()[: len(starts) - 1]
    assert [moment.date() for moment in starts[1:]] == days
    assert all(moment.time() == datetime.time(6) for moment in starts)
    stored = Meeting.objects.filter(consultation=consultation).order_by("starts_at")
    assert [m.starts_at for m in stored] == starts


def _from_scratch(hands, page, term) -> None:
    """A consultation from the letter's defaults: a short name, a first day, an acronym and
    an English title."""
    hands.start("create from scratch")
    hands.click("header a[href$='/fr/secretariat/consultations/']")
    hands.fill("#id_slug", "vcc-98")
    hands.fill("#id_starts_on", "2098-03-03")
    hands.click("#new-consultation button")
    hands.fill("#id_acronym", "VCC-98")
    hands.fill("#id_title_en", "Ninety-eighth Virtual Consultation of Councillors")
    hands.click("button[name=action][value=preview]")
    problems = page.evaluate(
        "[...document.querySelectorAll('main .text-danger')].map(e => e.parentElement.querySelector('label').textContent + ': ' + e.textContent)"
    )
    assert page.locator("#preview-dates tbody tr").count() >= 3, problems
    hands.click("button[name=action][value=create]")
    assert page.url.endswith("/fr/c/vcc-98/settings/")
    created = Consultation.objects.get(slug="vcc-98")
    assert created.council_term == term
    assert list(created.groups.values_list("number", flat=True).order_by("number")) == [1, 2, 3]


def test_secretariat_sets_up_a_consultation_in_french(
    live_server, vcc2, browser, settings, secretariat_user, totp_code
):
    # A fast hasher: the journey is about the pages, not the hashing of one password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    secretariat_user.set_password(PASSWORD)
    secretariat_user.save()
    context = browser.new_context(
        locale="fr", timezone_id="Europe/Paris", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    hands = Tally(page)
    _sign_in(hands, page, live_server, secretariat_user, totp_code)
    term = _enter_term(hands, page, vcc2)
    consultation = _copy_vcc2(hands, page, term)
    _import_agenda(hands, page, consultation)
    _publish_plan(hands, page)
    _move_dates(hands, page, consultation)
    _check_moved(hands, page, consultation)
    _from_scratch(hands, page, term)
    assert page.locator("html").get_attribute("lang") == "fr"
    print("\n" + hands.report())
    context.close()
