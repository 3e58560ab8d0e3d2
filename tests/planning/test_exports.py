"""The plan, the agenda and the meetings as Word, Excel and iCalendar files, read back with
the libraries a delegation's programs use (R5, R8, R14, R24)."""

import datetime
import io
import shutil
import subprocess

import pytest
from docx import Document as read_docx
from docx.oxml.ns import qn
from icalendar import Calendar
from openpyxl import load_workbook

from plenary.directory.models import State
from plenary.planning import exports, services
from tests import factories

UTC = datetime.UTC
COLUMNS = [
    "Agenda item",
    "Title",
    "Document",
    "Related information",
    "Summary record",
    "Res./Dec.",
]


@pytest.fixture
def version(consultation):
    return services.publish_plan(consultation, actor=None)


def docx(data: bytes):
    return read_docx(io.BytesIO(data))


def header(table) -> list[str]:
    return [cell.text for cell in table.rows[0].cells]


def data_rows(document) -> int:
    return sum(len(table.rows) - 1 for table in document.tables)


def events(data: bytes) -> list:
    return Calendar.from_ical(data).walk("VEVENT")


# --- Word ----------------------------------------------------------------------------------
def test_plan_docx_has_the_councils_columns_and_a_row_per_slot(consultation, version):
    document = docx(exports.plan_docx(consultation, version, "en"))
    texts = [paragraph.text for paragraph in document.paragraphs]

    assert texts[0] == "Second Virtual Consultation of Councillors (VCC-2)"
    assert texts[1] == "Time management plan"
    assert texts[2].startswith("Version 1, published on ")
    assert "Day 1 — Monday, November 16, 2020, 12:00–15:00 Geneva time" in texts
    assert "Day 5 — Friday, November 20, 2020, 12:00–15:00 Geneva time" in texts
    assert document.tables
    assert all(header(table) == COLUMNS for table in document.tables)
    assert data_rows(document) == len(version.slots)

    rows = {row.cells[0].text.split("\n")[0]: row for t in document.tables for row in t.rows[1:]}
    assert rows["1.1"].cells[0].text == "1.1\n12:00–12:10"
    assert rows["1.1"].cells[2].text == "C20/21(Rev.3)"
    assert rows["1.3"].cells[3].text == "ADM 4"
    assert rows["1.7"].cells[2].text == "[C20/40]"  # pending: in square brackets
    assert rows["1.11"].cells[3].text == "VC/8\nADM 27"  # contribution, then reference
    assert rows["1.1"].cells[4].text == ""


def test_plan_docx_says_why_an_item_is_not_scheduled(consultation):
    too_long = factories.item(consultation, "1.3")
    too_long.base_minutes = 200  # longer than the three-hour window
    too_long.save()
    version = services.publish_plan(consultation, actor=None)
    assert [entry["reason"] for entry in version.unscheduled] == ["too_long"]

    document = docx(exports.plan_docx(consultation, version, "en"))
    texts = [paragraph.text for paragraph in document.paragraphs]
    rest = texts[texts.index("Not scheduled") + 1 :]
    assert any(
        text.startswith("1.3 Report by the Chairman")
        and "It needs more time than a whole meeting day." in text
        and "200 minutes" in text
        for text in rest
    )
    assert data_rows(document) == len(version.slots)


def test_plan_docx_without_a_published_plan(consultation):
    document = docx(exports.plan_docx(consultation, None, "en"))
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert "No time management plan has been published yet." in texts
    assert not document.tables


def test_plan_docx_in_french_has_the_same_tables(consultation, version):
    english = docx(exports.plan_docx(consultation, version, "en"))
    french = docx(exports.plan_docx(consultation, version, "fr"))
    assert len(french.tables) == len(english.tables)
    assert [len(t.rows) for t in french.tables] == [len(t.rows) for t in english.tables]
    assert french.core_properties.language == "fr"
    # The day headings follow CLDR's French patterns.
    assert any("lundi 16 novembre 2020" in p.text for p in french.paragraphs)


def test_arabic_documents_read_right_to_left(consultation, version):
    for data in (
        exports.plan_docx(consultation, version, "ar"),
        exports.agenda_docx(consultation, "ar"),
    ):
        document = docx(data)
        assert document.tables
        for table in document.tables:
            assert table._tbl.tblPr.find(qn("w:bidiVisual")) is not None
        for paragraph in document.paragraphs:
            assert paragraph._p.pPr.find(qn("w:bidi")) is not None
        assert document.sections[0]._sectPr.find(qn("w:bidi")) is not None
        assert document.paragraphs[0].runs[0].font.rtl  # the title, in Arabic
        # Symbols keep their brackets the right way round inside right-to-left text.
        cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
        assert "\u202a[C20/40]\u202c" in cells

    english = docx(exports.plan_docx(consultation, version, "en"))
    assert not list(english.element.body.iter(qn("w:bidi")))


def test_agenda_docx_by_group(consultation):
    document = docx(exports.agenda_docx(consultation, "en"))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert len(headings) == 3
    assert headings[0].startswith("Group 1: All items requiring a decision before the end of 2020")
    assert [h.split(":")[0] for h in headings] == ["Group 1", "Group 2", "Group 3"]
    texts = [p.text for p in document.paragraphs]
    assert "Urgent: on the agenda" in texts
    assert any(text.startswith("Draft agenda") for text in texts)
    assert all(
        header(table) == ["Item", "Subject", "Reference", "Documents"] for table in document.tables
    )
    assert data_rows(document) == 66
    cells = [row.cells for table in document.tables for row in table.rows[1:]]
    assert next(c for c in cells if c[0].text == "1.7")[3].text == "[C20/40]"


# --- Excel ---------------------------------------------------------------------------------
def test_plan_xlsx(consultation, version):
    workbook = load_workbook(io.BytesIO(exports.plan_xlsx(consultation, version, "en")))
    plan, rest = workbook.worksheets
    header_row = [cell.value for cell in plan[1]]
    assert header_row == ["Day", "Time (Geneva time)", *COLUMNS]
    assert all(cell.font.b for cell in plan[1])
    assert plan.freeze_panes == "A2"
    assert plan.max_row - 1 == len(version.slots)
    first = [cell.value for cell in plan[2]]
    assert first[:3] == ["Day 1 — Monday, November 16, 2020", "12:00–12:10", "1.1"]
    pending = next(row for row in plan.iter_rows(min_row=2, values_only=True) if row[2] == "1.7")
    assert pending[4] == "[C20/40]"
    assert plan.column_dimensions["D"].width > plan.column_dimensions["C"].width
    assert rest.title == "Not scheduled"
    assert rest.max_row == 1
    assert not plan.sheet_view.rightToLeft

    arabic = load_workbook(io.BytesIO(exports.plan_xlsx(consultation, version, "ar")))
    assert all(sheet.sheet_view.rightToLeft for sheet in arabic.worksheets)
    assert arabic.worksheets[0].max_row == plan.max_row


# --- iCalendar -----------------------------------------------------------------------------
def test_consultation_calendar(consultation, version):
    data = exports.calendar_ics(consultation, version, "en")
    assert b"\r\n" in data
    calendar = Calendar.from_ical(data)
    assert str(calendar["PRODID"]) == "-//Plenary//Plenary//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert "VCC-2" in str(calendar["X-WR-CALNAME"])
    found = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    assert len(found) == 6
    assert sorted(found) == sorted(
        ["VCC-2 — Rehearsal", *[f"VCC-2 — Meeting {n}" for n in range(1, 6)]]
    )
    first = found["VCC-2 — Meeting 1"]
    assert first.decoded("DTSTART") == datetime.datetime(2020, 11, 16, 11, tzinfo=UTC)
    assert first.decoded("DTEND") == datetime.datetime(2020, 11, 16, 14, tzinfo=UTC)
    assert str(first["UID"]) == "vcc-2-meeting-1@plenary"
    assert "12:00–12:10 1.1 List of candidates" in str(first["DESCRIPTION"])
    rehearsal = found["VCC-2 — Rehearsal"].decoded("DTSTART")
    assert rehearsal == datetime.datetime(2020, 11, 10, 11, tzinfo=UTC)
    assert first.decoded("DTSTAMP") == version.published_at.replace(microsecond=0)
    uids = [str(event["UID"]) for event in calendar.walk("VEVENT")]
    assert len(set(uids)) == len(uids)


def test_state_calendar_adds_the_items_it_will_speak_on(consultation):
    switzerland = State.objects.get(iso2="CH")
    for label in ("1.2", "1.5"):
        services.reply_on_item(
            factories.item(consultation, label), switzerland, will_speak=True, minutes=5, actor=None
        )
    services.reply_on_item(
        factories.item(consultation, "1.6"), switzerland, will_speak=False, actor=None
    )
    version = services.publish_plan(consultation, actor=None)

    found = events(exports.calendar_ics(consultation, version, "en", state=switzerland))
    assert len(found) == 6 + 2
    slots = {slot["label"]: slot for slot in version.slots}
    spoken = {str(e["SUMMARY"]).split(":")[0]: e for e in found if ":" in str(e["SUMMARY"])}
    assert sorted(spoken) == ["VCC-2 1.2", "VCC-2 1.5"]
    for label in ("1.2", "1.5"):
        event = spoken[f"VCC-2 {label}"]
        assert event.decoded("DTSTART") == datetime.datetime.fromisoformat(slots[label]["start"])
        assert event.decoded("DTEND") == datetime.datetime.fromisoformat(slots[label]["end"])
        assert str(event["UID"]) == f"vcc-2-item-{slots[label]['item']}-CH@plenary"
        assert "5 minutes" in str(event["DESCRIPTION"])
    assert str(spoken["VCC-2 1.2"]["SUMMARY"]).startswith("VCC-2 1.2: World Telecommunication")
    uids = [str(event["UID"]) for event in found]
    assert len(set(uids)) == len(uids)


def test_calendar_before_any_plan(consultation):
    found = events(exports.calendar_ics(consultation, None, "fr"))
    assert len(found) == 6
    assert all(event.decoded("DTSTAMP") == consultation.opens_at for event in found)


# --- PDF through LibreOffice ----------------------------------------------------------------
def test_plan_docx_converts_to_pdf(consultation, version, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if not office:
        pytest.skip("LibreOffice is not installed")
    source = tmp_path / "plan.docx"
    source.write_bytes(exports.plan_docx(consultation, version, "en"))
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = tmp_path / "plan.pdf"
    assert pdf.exists()
    assert pdf.read_bytes().startswith(b"%PDF")
