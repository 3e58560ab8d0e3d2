"""The report of the consultation (R26), built from a real situation on VCC-2: registered
delegations, speeches with exact times, proposed conclusions, an objection that defers an
item and an item proposed for decision by correspondence."""

import datetime
import io
import xml.etree.ElementTree as ET

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from docx import Document as read_docx
from docx.oxml.ns import qn

from plenary.consultations.models import AgendaItemDocument, Document
from plenary.core import timezones
from plenary.floor import services as floor
from plenary.floor.models import FloorRequest
from plenary.outcomes import services as outcomes
from plenary.reports import report
from tests import factories

UTC = datetime.UTC
SPOKEN = datetime.datetime(2020, 11, 16, 11, tzinfo=UTC)
AGREED_EN = "The Council is invited to approve the list of candidates in Document C20/21(Rev.3)."
AGREED_FR = "Le Conseil est invité à approuver la liste des candidats figurant dans le Document C20/21(Rév.3)."
WTISD_EN = "The consultation proposes the theme of World Telecommunication Day 2021."
URGENT_EN = "The consultation proposes the appointment of the External Auditor."
SVG = "{http://www.w3.org/2000/svg}"


def _speak(consultation, chair, participant, seconds: int, offset: int) -> None:
    request = floor.ask_for_floor(participant)
    floor.give_floor(consultation, request, actor=chair)
    floor.end_speech(consultation, actor=chair)
    start = SPOKEN + datetime.timedelta(minutes=offset)
    # The speech's own clock (what the floor counts) and its span, as if it had lasted so.
    FloorRequest.objects.filter(pk=request.pk).update(
        started_at=start, ended_at=start + datetime.timedelta(seconds=seconds), used_seconds=seconds
    )


@pytest.fixture
def situation(consultation, chair, secretariat_user):
    """CH (2 approved, 1 pending), CN, EG (Council), BE (observer) and a Sector Member;
    speeches on 1.2 and 1.3; 1.1 agreed, 1.5 for correspondence, 1.3 deferred at the
    request of Switzerland, 1.2 with a drafted conclusion, 2.1 under discussion."""
    ch = factories.delegation(consultation, "CH")
    speakers = {
        iso2: factories.participant(consultation, iso2) for iso2 in ("CH", "CN", "EG", "BE")
    }
    factories.participant(consultation, ch, 2, speaker=False)
    factories.registered(consultation, ch, 3)
    factories.participant(consultation, factories.delegation(consultation), speaker=False)

    contribution = Document.objects.create(
        consultation=consultation, symbol="VC/99", kind=Document.Kind.CONTRIBUTION
    )
    AgendaItemDocument.objects.create(
        item=factories.item(consultation, "1.1"), document=contribution, position=9
    )

    floor.open_meeting(consultation, factories.meeting(consultation, 1), actor=chair)
    floor.set_item(consultation, factories.item(consultation, "1.2"), actor=chair)
    _speak(consultation, chair, speakers["CH"], 120, 0)
    _speak(consultation, chair, speakers["CN"], 90, 3)
    _speak(consultation, chair, speakers["BE"], 60, 5)
    _speak(consultation, chair, speakers["CH"], 30, 7)
    outcomes.draft_conclusion(
        factories.item(consultation, "1.2"), texts={"en": WTISD_EN}, original="en", actor=chair
    )
    floor.set_item(consultation, factories.item(consultation, "1.3"), actor=chair)
    _speak(consultation, chair, speakers["EG"], 45, 10)
    outcomes.record_objection(
        factories.item(consultation, "1.3"), ch, "object", actor=secretariat_user
    )
    floor.set_item(consultation, factories.item(consultation, "1.1"), actor=chair)
    outcomes.draft_conclusion(
        factories.item(consultation, "1.1"),
        texts={"en": AGREED_EN, "fr": AGREED_FR},
        original="en",
        actor=chair,
    )
    outcomes.record_outcome(factories.item(consultation, "1.1"), "agreed", actor=chair)
    floor.set_item(consultation, factories.item(consultation, "1.5"), actor=chair)
    outcomes.draft_conclusion(
        factories.item(consultation, "1.5"), texts={"en": URGENT_EN}, original="en", actor=chair
    )
    outcomes.record_outcome(factories.item(consultation, "1.5"), "correspondence", actor=chair)
    floor.set_item(consultation, factories.item(consultation, "2.1"), actor=chair)
    return consultation


def _entries(context) -> dict:
    return {entry["label"]: entry for group in context["discussed"] for entry in group["items"]}


def _svg(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 (our own output, parsed to check it)


def _text(document) -> str:
    paragraphs = [p.text for p in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(paragraphs + cells)


# --- attendance and statistics --------------------------------------------------------------
def test_attendance_counts_approved_participants_and_their_delegations(situation):
    with translation.override("en"):
        counts = report.attendance(situation)
    assert counts["total"] == {"delegations": 5, "participants": 6}
    category = {
        code: (row["delegations"], row["participants"])
        for code, row in counts["by_category"].items()
    }
    assert category == {
        "council": (3, 4),
        "observer": (1, 1),
        "palestine": (0, 0),
        "sector_member": (1, 1),
    }
    region = {
        code: (row["delegations"], row["participants"]) for code, row in counts["by_region"].items()
    }
    assert region == {"A": (0, 0), "B": (2, 3), "C": (0, 0), "D": (1, 1), "E": (1, 1)}
    assert counts["by_category"]["council"]["label"] == "Council Member State"


def test_speaking_statistics_count_interventions_and_exact_seconds(situation):
    with translation.override("en"):
        statistics = report.speaking_statistics(situation)
    assert (statistics["interventions"], statistics["seconds"]) == (5, 345)
    assert statistics["duration"] == "5:45"
    assert [(r["name"], r["interventions"], r["seconds"]) for r in statistics["by_delegation"]] == [
        ("Switzerland", 2, 150),
        ("China", 1, 90),
        ("Belgium", 1, 60),
        ("Egypt", 1, 45),
    ]
    assert [(r["code"], r["interventions"], r["seconds"]) for r in statistics["by_category"]] == [
        ("council", 4, 285),
        ("observer", 1, 60),
    ]
    assert [(r["code"], r["seconds"]) for r in statistics["by_region"]] == [
        ("B", 210),
        ("E", 90),
        ("D", 45),
    ]
    items = [(r["label"], r["interventions"], r["seconds"]) for r in statistics["items"]]
    assert items == [("1.2", 4, 300), ("1.3", 1, 45)]
    first = statistics["items"][0]
    top = first["by_delegation"][0]
    assert (top["name"], top["seconds"]) == ("Switzerland", 150)


def test_statistics_names_follow_the_active_language(situation):
    with translation.override("fr"):
        statistics = report.speaking_statistics(situation)
    assert statistics["by_delegation"][0]["name"] == "Suisse"


def test_unfinished_speeches_are_not_counted(situation):
    FloorRequest.objects.filter(delegation__state__iso2="EG").update(ended_at=None)
    statistics = report.speaking_statistics(situation)
    assert (statistics["interventions"], statistics["seconds"]) == (4, 300)


# --- the report's content --------------------------------------------------------------------
def test_agreed_conclusion_is_given_in_the_requested_language(situation):
    context = report.report_context(situation, "fr")
    agreed = _entries(context)["1.1"]
    assert agreed["state"] == "agreed"
    assert agreed["recorded"] is True
    assert agreed["conclusion"] == {
        "text": AGREED_FR,
        "language": "fr",
        "is_original": False,
        "note": "",
    }
    assert agreed["documents"] == ["C20/21(Rev.3)"]
    assert agreed["contributions"] == ["VC/99"]
    assert context["cover"]["title"] == "Deuxième consultation virtuelle des Conseillers"


def test_missing_translation_falls_back_to_the_original_marked_as_such(situation):
    context = report.report_context(situation, "es")
    conclusion = _entries(context)["1.1"]["conclusion"]
    assert conclusion["text"] == AGREED_EN
    assert conclusion["language"] == "en"
    assert conclusion["is_original"] is True
    assert "Inglés" in conclusion["note"]


def test_discussed_items_deferred_correspondence_and_information(situation):
    context = report.report_context(situation, "en")
    entries = _entries(context)
    assert list(entries) == ["1.1", "1.2", "1.3", "1.5", "2.1"]
    assert entries["1.2"]["state"] == "conclusion_proposed"
    assert entries["1.2"]["recorded"] is False
    assert entries["2.1"]["state_label"] == "Under discussion"
    assert [group["number"] for group in context["discussed"]] == [1, 2]

    [deferred] = context["deferred"]
    assert deferred["label"] == "1.3"
    assert deferred["requested_by"] == ["Switzerland"]
    assert "Switzerland" in deferred["reason"]
    assert deferred["conclusion"] is None

    [urgent] = context["correspondence"]
    assert (urgent["label"], urgent["conclusion"]["text"]) == ("1.5", URGENT_EN)

    information = [entry["label"] for entry in context["information"]]
    assert information[0] == "3.1"
    assert all(label.startswith("3.") for label in information)

    assert context["cover"]["heading"] == (
        "Report of the Chair of the Second Virtual Consultation of Councillors (VCC-2)"
    )
    assert "Secretary-General" in context["cover"]["submitted"]
    assert context["cover"]["dates"] == timezones.format_day_range(
        datetime.date(2020, 11, 16), datetime.date(2020, 11, 20), "en"
    )
    assert any("November 20, 2020" in text for text in context["introduction"]["paragraphs"])
    assert "non-decision-making" in context["introduction"]["nature"]
    assert any("Rule 3.1" in text for text in context["introduction"]["paragraphs"])
    assert any("Saif Bin Ghelaita" in text for text in context["introduction"]["paragraphs"])
    assert context["charts"]["by_region"].startswith("<svg")


def test_the_html_page_shows_the_report(situation, rf):
    context = report.report_context(situation, "en")
    request = rf.get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    html = render_to_string("reports/report.html", context, request=request)
    assert "Report of the Chair of the Second Virtual Consultation" in html
    assert AGREED_EN in html
    assert "<svg" in html and 'role="img"' in html
    assert "7. Speaking statistics" in html


# --- files ----------------------------------------------------------------------------------
def test_docx_has_the_headings_and_the_conclusions(situation):
    document = read_docx(io.BytesIO(report.report_docx(situation, "en")))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["1. Introduction", "2. Attendance"]
    for heading in (
        "3. Items discussed",
        "4. Items deferred to the next physical session",
        "5. Items proposed for decision by correspondence",
        "6. Items noted for information (Group 3)",
        "7. Speaking statistics",
    ):
        assert heading in headings
    text = _text(document)
    assert AGREED_EN in text and URGENT_EN in text
    assert "Switzerland" in text
    assert "5:45" in text
    assert document.core_properties.title.startswith("Report of the Chair")
    assert not document.element.body.findall(f".//{qn('w:bidi')}")


def test_french_docx_gives_the_french_conclusion(situation):
    text = _text(read_docx(io.BytesIO(report.report_docx(situation, "fr"))))
    assert AGREED_FR in text
    assert WTISD_EN in text  # no French version: the English original


def test_arabic_docx_reads_right_to_left(situation):
    document = read_docx(io.BytesIO(report.report_docx(situation, "ar")))
    body = document.element.body
    paragraphs = body.findall(f".//{qn('w:p')}")
    assert paragraphs
    assert all(p.find(f"{qn('w:pPr')}/{qn('w:bidi')}") is not None for p in paragraphs)
    assert body.find(f"{qn('w:sectPr')}/{qn('w:bidi')}") is not None
    assert document.tables[0]._tbl.tblPr.find(qn("w:bidiVisual")) is not None


def test_bar_chart_is_valid_svg_with_escaped_labels():
    svg = report.bar_chart_svg(
        [("<script>alert(1)</script>", 3.0), ("Region B & C", 1.5), ("Zero", 0)],
        title='Time "by" <region>',
        unit="min",
    )
    root = _svg(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == 'Time "by" <region>'
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert len(root.findall(f".//{SVG}rect")) == 3
    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    right_to_left = _svg(report.bar_chart_svg([("أ", 1)], title="ع", unit="", rtl=True))
    assert (right_to_left.get("direction"), right_to_left.get("text-anchor")) == ("rtl", "start")
    assert float(right_to_left.find(f"{SVG}text").get("x")) == report.CHART_WIDTH
    assert _svg(report.bar_chart_svg([], title="Empty", unit="s")) is not None


def test_report_pdf(situation):
    import shutil

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    pdf = report.report_pdf(situation, "en")
    assert pdf is not None
    assert pdf.startswith(b"%PDF")
