"""The daily journal (items taken, speakers in order with the time each used, outcomes) as a
page, Word and PDF in six languages; and the rolling list of speakers of an item."""

import datetime
import io
import shutil

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from docx import Document as read_docx
from hypothesis import given, settings
from hypothesis import strategies as st

from plenary.core import timezones
from plenary.floor import services as floor
from plenary.floor.models import FloorRequest
from plenary.outcomes import services as outcomes
from plenary.reports import journal
from tests import factories

UTC = datetime.UTC
DAY = datetime.date(2020, 11, 16)  # meeting 1 of VCC-2
SPOKEN = datetime.datetime(2020, 11, 16, 11, tzinfo=UTC)  # 12:00 in Geneva
AGREED_EN = "The Council is invited to approve the list of candidates."
AGREED_FR = "Le Conseil est invité à approuver la liste des candidats."


def _speak(consultation, chair, participant, seconds: int, offset: int, **kind) -> FloorRequest:
    request = floor.ask_for_floor(participant, **kind)
    floor.give_floor(consultation, request, actor=chair)
    floor.end_speech(consultation, actor=chair)
    start = SPOKEN + datetime.timedelta(minutes=offset)
    # The speech's own clock (what the floor counts) and its span, as if it had lasted so.
    FloorRequest.objects.filter(pk=request.pk).update(
        started_at=start, ended_at=start + datetime.timedelta(seconds=seconds), used_seconds=seconds
    )
    return request


@pytest.fixture
def day(consultation, chair):
    """On 16 November: 1.2 with Switzerland (2:00), China on a point of order (0:30) and
    Egypt (1:15), agreed; then 1.3 with Belgium (0:45), still under discussion; Switzerland
    waiting on 1.3."""
    people = {iso2: factories.participant(consultation, iso2) for iso2 in ("CH", "CN", "EG", "BE")}
    floor.open_meeting(consultation, factories.meeting(consultation, 1), actor=chair)
    floor.set_item(consultation, factories.item(consultation, "1.2"), actor=chair)
    _speak(consultation, chair, people["CH"], 120, 0)
    _speak(consultation, chair, people["CN"], 30, 3, kind=FloorRequest.Kind.POINT_OF_ORDER)
    _speak(consultation, chair, people["EG"], 75, 4)
    item = factories.item(consultation, "1.2")
    outcomes.draft_conclusion(
        item, texts={"en": AGREED_EN, "fr": AGREED_FR}, original="en", actor=chair
    )
    outcomes.record_outcome(item, "agreed", actor=chair)
    floor.set_item(consultation, factories.item(consultation, "1.3"), actor=chair)
    _speak(consultation, chair, people["BE"], 45, 10)
    floor.ask_for_floor(people["CH"])
    return people


# --- the time each speech used ------------------------------------------------------------------


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(-100, 10**5) | st.none()), max_size=30)
)
def test_durations_are_each_speechs_span_and_none_while_it_goes_on(spans):
    speeches = []
    for pk, (start, length) in enumerate(spans, start=1):
        started = SPOKEN + datetime.timedelta(seconds=start)
        ended = None if length is None else started + datetime.timedelta(seconds=length)
        speeches.append(FloorRequest(pk=pk, started_at=started, ended_at=ended))
    used = journal.durations(speeches)
    assert set(used) == {s.pk for s in speeches}
    for (_start, length), speech in zip(spans, speeches, strict=True):
        assert used[speech.pk] == (None if length is None else float(max(length, 0)))


# --- the journal's content ------------------------------------------------------------------------


def test_the_journal_lists_items_speakers_in_order_times_and_outcomes(consultation, day):
    context = journal.journal_context(consultation, DAY, "en")
    assert context["held"]
    assert context["meetings"][0].startswith("Meeting 1, ")
    assert "Geneva time, UTC+1" in context["meetings"][0]
    assert [e["label"] for e in context["items"]] == ["1.2", "1.3"]
    first, second = context["items"]
    assert [(r["delegation"], r["time_used"], r["point_of_order"]) for r in first["speakers"]] == [
        ("Switzerland", "2:00", False),
        ("China", "0:30", True),
        ("Egypt", "1:15", False),
    ]
    assert first["speakers"][0]["started"] == "12:00"  # on Geneva's clock
    assert first["total"] == "3:45"
    assert first["state"] == "agreed" and first["recorded"]
    assert first["conclusion"]["text"] == AGREED_EN
    assert [r["delegation"] for r in second["speakers"]] == ["Belgium"]
    assert not second["recorded"]


def test_the_days_are_the_meeting_days_on_genevas_clock(consultation, day):
    days = journal.journal_days(consultation)
    assert DAY in days
    assert datetime.date(2020, 11, 10) not in days  # the rehearsal is not a meeting day


def test_a_day_without_a_meeting_is_a_clear_page(consultation, day):
    empty = datetime.date(2020, 11, 22)  # a Sunday after the meetings
    context = journal.journal_context(consultation, empty, "en")
    assert not context["held"] and context["items"] == [] and context["meetings"] == []
    html = Client().get(f"/en/c/vcc-2/journal/{empty:%Y-%m-%d}/").content.decode()
    assert "No meeting of the consultation was held on this day." in html


@pytest.mark.parametrize("forged", ["2020-13-45", "yesterday", "2020-11-16x", "20201116"])
def test_a_forged_day_is_not_found(client, day, forged):
    assert client.get(f"/en/c/vcc-2/journal/{forged}/").status_code == 404
    assert client.get(f"/en/c/vcc-2/journal/{forged}.docx").status_code == 404


def test_the_page_shows_the_journal_and_links_word_and_pdf(client, consultation, day):
    response = client.get(f"/en/c/vcc-2/journal/{DAY:%Y-%m-%d}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Journal of the VCC-2, Monday, November 16, 2020" in html
    assert html.index("Switzerland") < html.index("China") < html.index("Egypt")
    assert "3:45" in html and "Point of order" in html
    assert f"/en/c/vcc-2/journal/{DAY:%Y-%m-%d}.docx?language=en" in html
    index = client.get("/en/c/vcc-2/journal/").content.decode()
    assert f"/en/c/vcc-2/journal/{DAY:%Y-%m-%d}/" in index
    # Where the secretariat and the delegations look: the consultation's page, the report.
    for page in ("/en/c/vcc-2/", "/en/c/vcc-2/report/"):
        assert 'href="/en/c/vcc-2/journal/"' in client.get(page).content.decode()
    assert 'href="/en/c/vcc-2/speakers/"' in client.get("/en/c/vcc-2/").content.decode()


def test_a_chosen_language_frames_the_journal_whatever_the_readers(client, consultation, day):
    html = client.get(f"/en/c/vcc-2/journal/{DAY:%Y-%m-%d}/?language=fr").content.decode()
    assert 'lang="fr"' in html
    assert "lundi 16 novembre 2020" in html  # the date through Babel, in French
    assert AGREED_FR in html and AGREED_EN not in html
    assert "Suisse" in html
    # An unknown language falls back to the reader's.
    html = client.get(f"/en/c/vcc-2/journal/{DAY:%Y-%m-%d}/?language=xx").content.decode()
    assert "Monday, November 16, 2020" in html


# --- Word and PDF ----------------------------------------------------------------------------------


def _text(document) -> str:
    paragraphs = [p.text for p in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(paragraphs + cells)


def test_the_word_journal_has_the_items_the_speakers_and_the_outcomes(client, consultation, day):
    response = client.get(f"/en/c/vcc-2/journal/{DAY:%Y-%m-%d}.docx")
    assert response.status_code == 200
    assert f"vcc-2-journal-{DAY:%Y-%m-%d}-en.docx" in response["Content-Disposition"]
    document = read_docx(io.BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert any(h.startswith("1.2 ") for h in headings) and any(
        h.startswith("1.3 ") for h in headings
    )
    table = document.tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["No.", "Delegation", "Started", "Time used"]
    assert rows[1] == ["1", "Switzerland", "12:00", "2:00"]
    assert rows[2] == ["2", "China (Point of order)", "12:03", "0:30"]
    assert rows[3][1] == "Egypt" and rows[3][3] == "1:15"
    text = _text(document)
    assert "Agreed as proposed conclusion" in text and AGREED_EN in text
    assert document.core_properties.language == "en"


def test_the_arabic_word_journal_reads_right_to_left(consultation, day):
    from docx.oxml.ns import qn

    document = read_docx(io.BytesIO(journal.journal_docx(consultation, DAY, "ar")))
    assert document.core_properties.language == "ar"
    first = document.paragraphs[0]._p
    assert first.pPr is not None and first.pPr.find(qn("w:bidi")) is not None


def test_the_word_journal_of_a_day_without_a_meeting_says_so(consultation, day):
    document = read_docx(
        io.BytesIO(journal.journal_docx(consultation, datetime.date(2020, 11, 22), "fr"))
    )
    assert not document.tables
    assert len([p for p in document.paragraphs if p.text.strip()]) == 3  # body, title, line


def test_the_pdf_journal(client, consultation, day):
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    from pypdf import PdfReader

    response = client.get(f"/en/c/vcc-2/journal/{DAY:%Y-%m-%d}.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1  # a day of two items fits on one page
    text = reader.pages[0].extract_text()
    assert "Switzerland" in text and "3:45" in text


# --- the rolling list of speakers ---------------------------------------------------------------------


def test_the_rolling_list_follows_the_floor(client, consultation, chair, day):
    factories.signed_in_by_link(client, day["EG"])
    html = client.get("/en/c/vcc-2/speakers/").content.decode()
    listed = html.split('id="speakers-list"')[1]
    assert "1.3" in listed and "Belgium" in listed and "Switzerland" in listed
    assert listed.index("Belgium") < listed.index("Switzerland")  # spoke, then waiting
    assert "0:45" in listed
    assert 'data-ws="/ws/consultations/vcc-2/floor/?lang=en"' in html
    assert 'href="/en/c/vcc-2/speakers/"' in client.get("/en/c/vcc-2/live/").content.decode()
    version = int(listed.split('data-version="')[1].split('"')[0])
    # Nothing changed: the page's cheap question gets no body.
    unchanged = client.get(f"/en/c/vcc-2/speakers/?part=list&since={version}")
    assert unchanged.status_code == 204 and unchanged.content == b""
    # The chair gives the floor to Switzerland: the list says so at the next question.
    floor.give_floor(consultation, actor=chair)
    changed = client.get(f"/en/c/vcc-2/speakers/?part=list&since={version}")
    assert changed.status_code == 200
    part = changed.content.decode()
    assert "speaker-now" in part and "Switzerland" in part.split("speaker-now")[1]
    assert "<html" not in part


def test_the_list_of_an_item_no_longer_on_the_floor(client, consultation, day):
    factories.signed_in_by_link(client, day["EG"])
    item = factories.item(consultation, "1.2")
    html = client.get(f"/en/c/vcc-2/speakers/{item.pk}/").content.decode()
    listed = html.split('id="speakers-list"')[1]
    assert listed.index("Switzerland") < listed.index("China") < listed.index("Egypt")
    assert "Agreed as proposed conclusion" in listed
    assert "speaker-waiting" not in listed


def test_a_forged_item_is_not_found_and_strangers_are_refused(client, consultation, day):
    factories.signed_in_by_link(client, day["EG"])
    assert client.get("/en/c/vcc-2/speakers/999999/").status_code == 404
    assert client.get("/en/c/vcc-2/speakers/999999/?part=list").status_code == 404
    stranger = Client()
    assert stranger.get("/en/c/vcc-2/speakers/").status_code in (302, 403)


def test_a_focal_point_signed_in_follows_the_list_by_asking(client, consultation, day):
    client.force_login(factories.focal_point("CH"))
    response = client.get("/en/c/vcc-2/speakers/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-part="?part=list"' in html and "data-ws=" not in html  # no socket: it polls
    assert "Belgium" in html.split('id="speakers-list"')[1]


@pytest.mark.parametrize("language", ["ar", "zh-hans", "en", "fr", "ru", "es"])
def test_the_journal_in_each_of_the_six_languages(client, consultation, day, language):
    html = client.get(f"/en/c/vcc-2/journal/{DAY:%Y-%m-%d}/?language={language}").content.decode()
    article = html.split('<article class="journal"')[1]
    assert f'lang="{language}"' in article[:40]
    assert ('dir="rtl"' in article[:60]) == (language == "ar")
    with translation.override(language):
        assert gettext("Outcome") in article and gettext("Delegation") in article
    document = read_docx(io.BytesIO(journal.journal_docx(consultation, DAY, language)))
    assert document.core_properties.language == language
    assert "2:00" in _text(document)


def test_an_item_settled_without_speakers_is_listed_on_its_meeting_day(consultation, chair, day):
    from django.utils import timezone

    from plenary.outcomes.models import ItemOutcome

    item = factories.item(consultation, "1.5")
    outcomes.record_outcome(item, "deferred", actor=chair)
    today = timezone.localdate(timezone.now(), timezones.zone(consultation.time_zone))
    # Recorded today, a day without a meeting of VCC-2 (2020): not a meeting day for that.
    assert not journal.journal_context(consultation, today, "en")["held"]
    # Moved to the meeting day, it is listed there, after the items spoken on.
    moment = SPOKEN + datetime.timedelta(hours=1)
    ItemOutcome.objects.filter(item=item).update(changed_at=moment)
    entries = journal.journal_context(consultation, DAY, "en")["items"]
    assert [e["label"] for e in entries] == ["1.2", "1.3", "1.5"]
    assert entries[-1]["speakers"] == [] and entries[-1]["state"] == "deferred"
