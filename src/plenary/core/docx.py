"""Word documents in the Council's layout, shared by the planning's files and the report:
A4 with 20 mm margins, tables with a bold header row repeated on every page, each line of
a cell its own paragraph, and right to left in Arabic (every paragraph, table and section,
Arabic runs marked right to left, symbols kept in their order)."""

import io
import re

from django.conf import settings
from docx import Document as _new_document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_DIRECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

# Where a paragraph's, a section's bidi element goes: before these siblings (OOXML order).
AFTER_PPR_BIDI = (
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
_AFTER_SECTPR_BIDI = ("w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange")

# Right-to-left documents: runs with Arabic letters are marked right to left, runs of Latin
# letters and digits only are embedded left to right (Unicode LRE ... PDF).
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LEFT_TO_RIGHT = re.compile(r"[A-Za-z0-9]")
LRE, PDF = "\u202a", "\u202c"


def is_rtl(language: str) -> bool:
    """Whether the language reads right to left (settings.LANGUAGES_BIDI)."""
    return language.split("-")[0] in settings.LANGUAGES_BIDI


def document_symbol(document) -> str:
    """A document's symbol, in square brackets while the document is not yet available
    (any object with `symbol` and `pending`, a consultations Document)."""
    return f"[{document.symbol}]" if document.pending else document.symbol


def new_docx(*, landscape: bool):
    """An empty A4 document, portrait or landscape, with 20 mm margins."""
    document = _new_document()
    section = document.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    else:
        section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    return document


def fill_cell(
    cell, lines: list[str], *, bold: bool = False, italic_from: int | None = None
) -> None:
    """Each line of a table cell as its own paragraph (first one reused)."""
    for n, line in enumerate(lines or [""]):
        paragraph = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
        run = paragraph.add_run(line)
        run.bold = bold or None
        if italic_from is not None and n >= italic_from:
            run.italic = True


def add_table(document, columns: list[str]):
    """A grid table with one bold header row, which repeats on every page."""
    grid = document.add_table(rows=1, cols=len(columns))
    grid.style = "Table Grid"
    grid.autofit = False
    for cell, text in zip(grid.rows[0].cells, columns, strict=True):
        fill_cell(cell, [text], bold=True)
    grid.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    return grid


def set_widths(grid, widths_mm) -> None:
    """The columns' widths in millimetres (Word reads them from every cell)."""
    for column, width in zip(grid.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for row in grid.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def make_rtl(document) -> None:
    """Every paragraph, table and section of the body reads right to left."""
    body = document.element.body
    for paragraph in body.iter(qn("w:p")):
        properties = paragraph.get_or_add_pPr()
        if properties.find(qn("w:bidi")) is None:
            properties.insert_element_before(OxmlElement("w:bidi"), *AFTER_PPR_BIDI)
    for run in body.iter(qn("w:r")):
        texts = run.findall(qn("w:t"))
        content = "".join(text.text or "" for text in texts)
        if _ARABIC.search(content):
            run.get_or_add_rPr().get_or_add_rtl()
        elif texts and _LEFT_TO_RIGHT.search(content):
            # A symbol such as [C20/40] or C20/21(Rev.3) keeps its order and its brackets
            # inside a right-to-left paragraph: a left-to-right embedding around it.
            texts[0].text = LRE + (texts[0].text or "")
            texts[-1].text = (texts[-1].text or "") + PDF
    for grid in document.tables:
        grid.table_direction = WD_TABLE_DIRECTION.RTL
    for section in document.sections:
        properties = section._sectPr
        if properties.find(qn("w:bidi")) is None:
            properties.insert_element_before(OxmlElement("w:bidi"), *_AFTER_SECTPR_BIDI)


def docx_bytes(document, language: str, title: str) -> bytes:
    """The finished document's bytes, with its title and language; right to left if the
    language is."""
    document.core_properties.title = title
    document.core_properties.language = language
    if is_rtl(language):
        make_rtl(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
